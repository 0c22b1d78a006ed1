// The IRC network against a real ngircd: puppets and relay, presence, the support channel, line
// splitting and injection seen on the server's side of the socket.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import fc from 'fast-check';
import { crash, exited, runCli } from '../cli-process.js';
import {
  SITE,
  type TestBridge,
  baseConfig,
  connectTo,
  type WebVisitor,
  call,
  collect,
  connect,
  next,
  openVisitor,
  sendText,
  startBridge,
  streamFigures,
  until,
  untilTeam,
} from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { HOSTILE_TEXTS } from '../hostile-texts.js';
import { ManualClock } from '../manual-clock.js';
import { ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type Tap, startTap } from '../servers/tap.js';

const AGENT = 'irc:alice@test';
const encoder = new TextEncoder();

/** Quick presence polls and a short connect timeout, for every bridge of these tests. */
const QUICK = { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 };

/** What the bridge must send: one PRIVMSG per non-empty line, NUL and CTCP made harmless. */
function expectedLines(body: string): string[] {
  return body
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/[ \t]+$/, ''))
    .filter((line) => line.length > 0)
    .map((line) => line.replaceAll('\u0000', '\uFFFD').replaceAll('\u0001', '\uFFFD'));
}

/** A visitor named `name` with an open conversation routed to alice. */
const visitor = (t: TestBridge, name: string, assignee: string | null = AGENT) => openVisitor(t, { profile: { name }, assignee });

/** Whether the server says `nick` is away (WHO), as `asking` sees it. */
const isAway = (asking: IrcAgent, nick: string) =>
  new Promise<boolean>((resolve) => {
    asking.client.once('wholist', (event: { users: { nick: string; away?: boolean }[] }) =>
      resolve(event.users.some((u) => u.nick === nick && u.away === true)),
    );
    asking.client.raw(`WHO ${nick}`);
  });

describe('IRC network (puppet mode) against a real ngircd', () => {
  let ngircd: NgircdServer;
  let tap: Tap;
  let t: TestBridge;
  let alice: IrcAgent;

  before(async () => {
    ngircd = await startNgircd();
    tap = await startTap(ngircd.port);
    alice = await connectIrcAgent(ngircd.port, 'alice');
    t = await startBridge({
      // Zed is an agent of another team who is not on IRC (his nick is free on the server).
      teams: [
        { id: 'support', members: ['irc:Alice@test'], sites: [SITE], capacity: 100 },
        { id: 'billing', members: ['irc:zed@test'], sites: [SITE] },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(tap, { ...QUICK, maxPuppets: 20, maxLines: 200 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await alice?.quit();
    await t?.stop();
    await tap?.close();
    await ngircd?.destroy();
  });

  it("carries a visitor's message to the agent from a puppet named after the visitor, and the reply back", async () => {
    const v = await visitor(t, 'Dana Scully');
    const statuses = collect(v.socket, 'message:status');
    const sent = await sendText(v, 'Hello from the shop');
    const got = await alice.next((m) => m.message === 'Hello from the shop');
    assert.equal(got.nick, 'Dana_Scul', "the name made a nick, cut to the server's NICKLEN (9)");
    assert.equal(got.target, 'alice');
    await until(() => statuses.some((s) => s.id === sent.id && s.status === 'sent'), 5000, 'the sent status');

    const reply = next(v.socket, 'message', (m) => m.from === AGENT);
    alice.say(got.nick, 'Hi Dana! How can I help?');
    assert.equal((await reply).text, 'Hi Dana! How can I help?');
    const action = next(v.socket, 'message', (m) => m.from === AGENT && m.text.startsWith('/me'));
    alice.client.raw(`PRIVMSG ${got.nick} :\u0001ACTION checks the order\u0001`);
    assert.equal((await action).text, '/me checks the order');
    // A /me without its closing \x01, as servers that cut an overlong line at 512 bytes and clients
    // that split a long one leave it.
    const cut = next(v.socket, 'message', (m) => m.from === AGENT && m.text.startsWith('/me reads'));
    alice.client.raw(`PRIVMSG ${got.nick} :\u0001ACTION reads the whole order history`);
    assert.equal((await cut).text, '/me reads the whole order history');
    // An empty /me (WeeChat's, with and without its closing \x01) and a bell say nothing: only what follows is stored.
    const received = collect(v.socket, 'message');
    alice.client.raw(`PRIVMSG ${got.nick} :\u0001ACTION\u0001`);
    alice.client.raw(`PRIVMSG ${got.nick} :\u0001ACTION`);
    alice.client.raw(`PRIVMSG ${got.nick} :ding\u0007 dong`);
    alice.say(got.nick, 'after nothing');
    await until(() => received.some((m) => m.text === 'after nothing'), 5000, 'the last line');
    assert.deepEqual(
      received.filter((m) => m.from === AGENT).map((m) => m.text),
      ['ding dong', 'after nothing'],
    );
  });

  it("gives the context line first, in the private chat with the visitor's puppet, with the ref once", async () => {
    const v = await visitor(t, 'Fox Mulder');
    // The visitor writes right after opening: its text still comes after the context line.
    await sendText(v, 'I want to believe');
    const got = await alice.next((m) => m.message === 'I want to believe');
    const ref = v.conversationId.slice(-5).toLowerCase();
    const fromPuppet = alice.messages.filter((m) => m.nick === got.nick);
    assert.equal(fromPuppet.length, 2, JSON.stringify(fromPuppet.map((m) => m.message)));
    const [context] = fromPuppet;
    assert.equal(context!.type, 'privmsg', 'a private message, shown in the query (a NOTICE goes to the server window in many clients)');
    assert.equal(context!.target, 'alice');
    // A bare /whois is the IRC client's own command: the hint names the bot, as the server knows it.
    const hint = /^#(\w+) Fox Mulder \(not verified\), team support\. Reply here; \/msg (\S+) \/whois (\w+) for more\.$/.exec(context!.message);
    assert.ok(hint, context!.message);
    assert.deepEqual([hint[1], hint[3]], [ref, ref]);
    assert.equal(alice.messages.filter((m) => m.message.includes(`#${ref}`) && m !== context).length, 0, 'nothing else about it, from the bot or elsewhere');
    // Doing as it says is answered by the bot.
    alice.say(hint[2]!, `/whois ${ref}`);
    await alice.next((m) => m.type === 'notice' && m.nick === hint[2] && m.message.includes('Fox Mulder'));
  });

  it("sends a visitor's /me longer than a line as CTCP ACTION on every line, each with one space before its text", async () => {
    const vera = await visitor(t, 'Vera');
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    await sendText(vera, `/me ${words}`);
    await alice.next((m) => m.type === 'action' && m.message.includes('word119'));
    const actions = alice.messages.filter((m) => m.type === 'action' && /word\d/.test(m.message));
    assert.ok(actions.length >= 2, `${actions.length} lines`);
    for (const action of actions) assert.match(action.message, /^word\d/, 'no second space after ACTION');
    assert.equal(actions.map((a) => a.message).join(' '), words);
  });

  it('shows two visitors as two puppets and routes each reply to its own visitor', async () => {
    const one = await visitor(t, 'Ann');
    const two = await visitor(t, 'Ben');
    await sendText(one, 'I am one');
    await sendText(two, 'I am two');
    const fromOne = await alice.next((m) => m.message === 'I am one');
    const fromTwo = await alice.next((m) => m.message === 'I am two');
    assert.notEqual(fromOne.nick, fromTwo.nick);
    const atTwo = collect(two.socket, 'message');
    const atOne = next(one.socket, 'message', (m) => m.from === AGENT);
    alice.say(fromOne.nick, 'for one');
    assert.equal((await atOne).text, 'for one');
    alice.say(fromTwo.nick, 'for two');
    await next(two.socket, 'message', (m) => m.text === 'for two');
    assert.equal(atTwo.filter((m) => m.text === 'for one').length, 0);
  });

  it("quits a visitor's puppet when the conversation closes, freeing its slot, and connects it again when the visitor writes again", async () => {
    const v = await visitor(t, 'Gwen');
    await sendText(v, 'thanks, that was all');
    const got = await alice.next((m) => m.message === 'thanks, that was all');
    const online = async () => (await new Promise<{ hostname?: string }>((resolve) => alice.client.whois(got.nick, resolve))).hostname !== undefined;
    assert.ok(await online(), 'the puppet is on IRC');
    const closed = await call(v.socket, 'conversation:close', { conversationId: v.conversationId });
    assert.ok(closed.ok, JSON.stringify(closed));
    // Its connection to the server is closed: one fewer against the server's limit per address.
    await until(async () => !(await online()), 10_000, 'the puppet to quit');
    // The visitor writes again: the conversation opens again with alice, from the same nick.
    await sendText(v, 'one more question');
    const again = await alice.next((m) => m.message === 'one more question');
    assert.equal(again.nick, got.nick);
  });

  it('never gives a puppet the nick of an agent who is away from IRC', async () => {
    const v = await visitor(t, 'Zed');
    await sendText(v, 'zed here, the customer');
    const got = await alice.next((m) => m.message === 'zed here, the customer');
    const tag = v.self.slice('web:v_'.length, 'web:v_'.length + 3);
    // Had the puppet taken "Zed", the bridge would see Zed on IRC and give him what is his.
    assert.match(got.nick, new RegExp(`^Zed\\|${tag}`), 'the suffix, as for a nick in use');
  });

  it('resolves a nick collision deterministically and visibly', async () => {
    const squatter = await connectIrcAgent(ngircd.port, 'Carol');
    try {
      const v = await visitor(t, 'Carol');
      await sendText(v, 'who am I?');
      const got = await alice.next((m) => m.message === 'who am I?');
      // The name cut to fit NICKLEN 9 with a suffix from the visitor's own id.
      const tag = v.self.slice('web:v_'.length, 'web:v_'.length + 3);
      assert.match(got.nick, new RegExp(`^Caro?l?\\|${tag}`));
      assert.ok(got.nick.length <= 9);
    } finally {
      await squatter.quit();
    }
  });

  it('splits a 20,000-byte text (emoji, CJK) into lines of at most 512 bytes that join back exactly', async () => {
    const v = await visitor(t, 'Long Text');
    const unit = '中文字符 emoji \u{1F600}\u{1F469}\u200D\u{1F4BB} ';
    let text = '';
    while (encoder.encode(text).length < 20_000) text += unit;
    text = text.trimEnd();
    await sendText(v, text);
    const first = await alice.next((m) => text.startsWith(m.message) && m.message.length > 10);
    const from = first.nick;
    const lines = await alice.collect((m) => m.nick === from && m.target === 'alice', 1, 20_000);
    // The puppet's first line is the conversation's context line; the text follows it.
    const ofText = () => alice.messages.filter((m) => m.nick === from).slice(1);
    await until(
      () =>
        ofText()
          .map((m) => m.message)
          .join('') === text,
      60_000,
      'the whole text',
    );
    const received = ofText();
    assert.ok(received.length >= 40, `${received.length} lines`);
    assert.ok(lines.length > 0);
    // On the wire, as the server relays it: ":nick!~user@host PRIVMSG alice :text\r\n" <= 512 bytes.
    for (const line of received) {
      const relayed = `:${line.nick}!${line.ident}@${line.hostname} PRIVMSG alice :${line.message}\r\n`;
      assert.ok(encoder.encode(relayed).length <= 512, `${encoder.encode(relayed).length} bytes`);
    }
  });

  it('lets no text inject IRC commands: the server receives exactly the expected PRIVMSGs (property)', async () => {
    const v = await visitor(t, 'Mallory');
    await sendText(v, 'first');
    const first = await alice.next((m) => m.message === 'first');
    const puppetLines = tap.connections.find((lines) => lines.some((line) => line.startsWith(`NICK ${first.nick}`)))!;
    assert.ok(puppetLines, "the puppet's connection goes through the tap");
    const piece = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('\r', '\n', '\r\n', '\u0000', '\u0001', ':', '/', 'QUIT :bye', 'JOIN #evil', 'PRIVMSG bob :x', ' ', '\u{1F600}'),
    );
    const texts = fc
      .array(piece, { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join(''))
      .filter((text) => text.trim().length > 0 && !/^\/me /.test(text));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        round += 1;
        const marker = `#${round}#`;
        const before = puppetLines.length;
        const seen = alice.messages.length;
        const body = `${marker}${text}`;
        await sendText(v, body);
        const expected = expectedLines(body);
        const fromPuppet = (m: { nick: string; type?: string }) => m.nick === first.nick && m.type === 'privmsg';
        await until(() => alice.messages.slice(seen).filter(fromPuppet).length >= expected.length, 10_000, 'the lines at the agent');
        const got = alice.messages.slice(seen).filter(fromPuppet);
        await until(() => puppetLines.slice(before).filter((line) => line.startsWith('PRIVMSG')).length >= expected.length, 5000, 'the lines on the wire');
        const wire = puppetLines.slice(before).filter((line) => !/^(PING|PONG) /.test(line));
        assert.deepEqual(
          wire,
          expected.map((line) => `PRIVMSG alice :${line}`),
        );
        assert.deepEqual(
          got.map((m) => m.message),
          expected,
        );
      }),
      { numRuns: 25 },
    );
  });

  it('sends the hostile corpus as PRIVMSG lines only: the documented lines per text, no command injected', async (context) => {
    const v = await visitor(t, 'Fuzz');
    await sendText(v, 'fuzz start');
    const first = await alice.next((m) => m.message === 'fuzz start');
    const puppetLines = tap.connections.find((lines) => lines.some((line) => line.startsWith(`NICK ${first.nick}`)))!;
    let wireTotal = 0;
    for (const [i, text] of HOSTILE_TEXTS.entries()) {
      const body = `#${i}# ${text}`;
      const before = puppetLines.length;
      const seen = alice.messages.length;
      await sendText(v, body);
      const expected = expectedLines(body); // a line over 512 bytes is split further
      const fromPuppet = (m: { nick: string; type?: string }) => m.nick === first.nick;
      await until(
        () =>
          alice.messages
            .slice(seen)
            .filter(fromPuppet)
            .map((m) => m.message)
            .join('') === expected.join(''),
        10_000,
        `text #${i} at the agent`,
      );
      const wire = puppetLines.slice(before).filter((line) => !/^(PING|PONG) /.test(line));
      wireTotal += wire.length;
      assert.ok(
        wire.every((line) => line.startsWith('PRIVMSG alice :')),
        `only PRIVMSG to alice on the wire for #${i}: ${wire.filter((l) => !l.startsWith('PRIVMSG alice :')).join(' | ')}`,
      );
      const got = alice.messages.slice(seen).filter(fromPuppet);
      assert.ok(
        got.every((m) => m.type === 'privmsg' && m.target === 'alice'),
        `no action, notice or other target for #${i}`,
      );
      assert.equal(got.length, wire.length, `each line on the wire reached the agent once (#${i})`);
      if (encoder.encode(body).length < 400)
        assert.deepEqual(
          got.map((m) => m.message),
          expected,
          `#${i} line for line`,
        );
      else {
        // Split so that each line, as the server relays it, fits 512 bytes (RFC 2812 section 2.3).
        for (const m of got)
          assert.ok(encoder.encode(`:${m.nick}!${m.ident}@${m.hostname} PRIVMSG alice :${m.message}\r\n`).length <= 512, `#${i}: a line over 512 bytes`);
        assert.ok(got.length >= Math.ceil(encoder.encode(expected.join('')).length / 512), `#${i} split into lines`);
      }
    }
    context.diagnostic(`irc hostile corpus: sent ${HOSTILE_TEXTS.length}, PRIVMSG lines on the wire ${wireTotal}`);
  });

  it("turns the agent's away status into team availability (WHO)", async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    const first = await call(socket, 'presence:subscribe', { team: 'support' });
    assert.equal(first.available, true);
    const away = next(socket, 'team:availability', (a) => !a.available, 10_000);
    alice.client.raw('AWAY :lunch');
    assert.deepEqual(await away, { team: 'support', available: false, online: 1 });
    const back = next(socket, 'team:availability', (a) => a.available, 10_000);
    alice.client.raw('AWAY');
    assert.equal((await back).available, true);
  });

  it('shows the visitor away on its puppet when the visitor is away', async () => {
    const v = await visitor(t, 'Eve');
    await sendText(v, 'hello from Eve');
    const got = await alice.next((m) => m.message === 'hello from Eve');
    await call(v.socket, 'presence:set', { status: 'away' });
    await until(() => isAway(alice, got.nick), 10_000, 'the puppet to be away');
  });

  it("shows a visitor's long away text of wide characters cut to fit the server's line, whole characters only", async () => {
    const v = await visitor(t, 'Wide');
    await sendText(v, 'hello from Wide');
    const got = await alice.next((m) => m.message === 'hello from Wide');
    // 190 emoji are 760 bytes: the whole line would pass IRC's 512 and the server would drop the puppet.
    await call(v.socket, 'presence:set', { status: 'away', text: '😀'.repeat(190) });
    let away = '';
    await until(
      () => new Promise<boolean>((resolve) => alice.client.whois(got.nick, (event: { away?: string }) => resolve(Boolean((away = event.away ?? ''))))),
      10_000,
      'the puppet away with its text',
    );
    // As many whole emoji as the server's AWAYLEN (or 200 bytes) leaves room for after "Away: ".
    const budget = Math.min(Number(alice.client.network.options.AWAYLEN) || 200, 200);
    assert.equal(away, `Away: ${'😀'.repeat(Math.floor((budget - 'Away: '.length) / 4))}`);
    await sendText(v, 'still here');
    assert.equal((await alice.next((m) => m.message === 'still here')).nick, got.nick, 'the same puppet, never dropped');
  });

  it('gives the visitor a line ngircd cut at 512 bytes without its [CUT] mark, ending in an ellipsis, and tells the agent where it stopped', async () => {
    const v = await visitor(t, 'Gina');
    await sendText(v, 'a long answer please');
    const got = await alice.next((m) => m.message === 'a long answer please');
    // 480 bytes: the agent's line stays within the 512 ngircd takes, the server's own prefix takes it past.
    const words = Array.from({ length: 80 }, (_, i) => `word${i}`)
      .join(' ')
      .slice(0, 480);
    const atVisitor = next(v.socket, 'message', (m) => m.from === AGENT);
    // Sent raw: a client's own split would keep it under the limit; this one passes it with the
    // prefix the server adds.
    alice.client.raw(`PRIVMSG ${got.nick} :${words}`);
    const text = (await atVisitor).text;
    assert.ok(!text.includes('[CUT]'), text);
    assert.ok(text.endsWith('…'), text);
    assert.ok(words.startsWith(text.slice(0, -1)) && text.length < words.length, 'the words up to where the server cut them');
    const notice = await alice.next((m) => m.type === 'notice' && m.nick === got.nick);
    assert.equal(
      notice.message,
      `Your line was too long for the IRC server, which cut its end: it stops at "…${text.slice(0, -1).slice(-40)}". Send the rest in another line.`,
    );
  });

  it('refuses a private message from someone outside the conversation, with a notice', async () => {
    const v = await visitor(t, 'Frank');
    await sendText(v, 'only for alice');
    const got = await alice.next((m) => m.message === 'only for alice');
    const mallory = await connectIrcAgent(ngircd.port, 'outsider');
    try {
      const atVisitor = collect(v.socket, 'message');
      mallory.say(got.nick, 'let me in');
      const notice = await mallory.next((m) => m.type === 'notice' && m.nick === got.nick);
      assert.match(notice.message, /not in a conversation with you/);
      assert.equal(atVisitor.filter((m) => m.text === 'let me in').length, 0);
    } finally {
      await mallory.quit();
    }
  });

  it('reports the send queue depth in /metrics', async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /switchboard_network_send_queue\{network="irc"\} \d+/);
  });
});

describe('IRC support channel with a key, against a real ngircd', () => {
  it('keys the channel it opens: only who is given the key joins and reads its announcements', async () => {
    const ngircd = await startNgircd();
    const t = await startBridge({
      teams: [{ id: 'support', members: ['irc:bob@test'], sites: [SITE], capacity: 100 }],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        ngircdNetwork(ngircd, { ...QUICK, mode: 'relay', nick: 'desk', channel: '#desk', channelKey: 'open-sesame' }),
      ],
    });
    const eve = await connectIrcAgent(ngircd.port, 'eve');
    try {
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
      // The channel's modes, once the bot opened it and set its key (RPL_CHANNELMODEIS).
      const lines: string[] = [];
      eve.client.on('raw', (event: { line: string; from_server: boolean }) => event.from_server && lines.push(event.line));
      await until(
        () => {
          eve.client.raw('MODE #desk');
          return lines.some((line) => / 324 eve #desk \+\S*k/.test(line));
        },
        10_000,
        'the channel keyed',
      );
      const refused = new Promise<{ error: string; channel?: string }>((resolve) => eve.client.on('irc error', resolve));
      const joined = new Promise<void>((resolve) => eve.client.on('join', (event: { nick: string }) => event.nick === 'eve' && resolve()));
      eve.client.raw('JOIN #desk');
      const refusal = await refused;
      assert.deepEqual([refusal.error, refusal.channel], ['bad_channel_key', '#desk']);
      eve.client.raw('JOIN #desk open-sesame');
      await joined;
      // Bob (the team's agent) is not on IRC: the conversation waits, and the channel hears of it.
      await visitor(t, 'Kim', null);
      const announced = await eve.next((m) => m.target === '#desk' && m.message.startsWith('New conversation #'), 10_000);
      assert.match(announced.message, /^New conversation #[0-9a-z]+ from Kim is waiting for an agent\./);
    } finally {
      await eve.quit();
      await t.stop();
      await ngircd.destroy();
    }
  });
});

describe('IRC network (relay mode, support channel) against a real ngircd', () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let bob: IrcAgent;
  const BOB = 'irc:bob@test';

  before(async () => {
    ngircd = await startNgircd();
    bob = await connectIrcAgent(ngircd.port, 'bob', { channels: ['#support'] });
    t = await startBridge({
      teams: [{ id: 'support', members: [{ id: 'bob', name: 'Bob', addresses: [BOB] }], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, mode: 'relay', nick: 'desk', channel: '#support' })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await bob?.quit();
    await t?.stop();
    await ngircd?.destroy();
  });

  it('relays each visitor as "[name #ref] text"; the agent answers the latest by replying, any by "#ref text"', async () => {
    const one = await visitor(t, 'Gina', BOB);
    const two = await visitor(t, 'Hal\r\nQUIT :x', BOB);
    await sendText(one, 'first visitor here');
    const fromOne = await bob.next((m) => m.message.endsWith('first visitor here'));
    assert.equal(fromOne.nick, 'desk');
    const ref = /^\[Gina #([0-9a-z]+)\] first visitor here$/.exec(fromOne.message)?.[1];
    assert.ok(ref, fromOne.message);
    await sendText(two, 'second visitor here');
    const fromTwo = await bob.next((m) => m.message.endsWith('second visitor here'));
    assert.match(fromTwo.message, /^\[Hal QUIT :x #[0-9a-z]+\] second visitor here$/, 'a name never breaks the line');

    const atTwo = next(two.socket, 'message', (m) => m.from === BOB);
    bob.say('desk', 'answering the latest');
    assert.equal((await atTwo).text, 'answering the latest');
    const atOne = next(one.socket, 'message', (m) => m.from === BOB);
    bob.say('desk', `#${ref} answering Gina`);
    assert.equal((await atOne).text, 'answering Gina');

    bob.say('desk', '#zzzzz nobody');
    const help = await bob.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message.includes('#zzzzz'));
    assert.match(help.message, /No conversation has the ref/);

    // Gina's ref alone: it reaches neither visitor (Gina was addressed last), and the bot says why.
    const atHal = collect(two.socket, 'message');
    const atGina = collect(one.socket, 'message');
    bob.say('desk', `#${ref}`);
    const nothing = await bob.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message.startsWith(`Nothing to send to #${ref}`));
    assert.match(nothing.message, /write the text after the ref/);
    bob.say('desk', 'after the lone ref');
    await until(() => atGina.some((m) => m.text === 'after the lone ref'), 10_000, 'the next reply at Gina');
    assert.deepEqual([atGina.map((m) => m.text), atHal.map((m) => m.text)], [['after the lone ref'], []]);

    // A name cannot pass a line off as another conversation's, in an action either.
    const three = await visitor(t, 'Dana #2b970] ok [Boss', BOB);
    await sendText(three, '/me waves');
    const action = await bob.next((m) => m.message.endsWith(' waves'));
    assert.match(action.message, /^\[Dana 2b970\) ok \(Boss #[0-9a-z]+\] \* Dana 2b970\) ok \(Boss waves$/);
  });

  it('refuses a plain reply once the latest conversation was closed: it goes nowhere and opens nothing; "#ref text" opens it again', async () => {
    const v = await visitor(t, 'Ivy', BOB);
    await sendText(v, 'that is all, thanks');
    const relayed = await bob.next((m) => m.message.endsWith('that is all, thanks'));
    const ref = /#([0-9a-z]+)\]/.exec(relayed.message)![1]!;
    bob.say('desk', `/close ${ref}`);
    await bob.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message === `#${ref} is closed.`);
    const atIvy = collect(v.socket, 'message');
    bob.say('desk', 'meant for someone else');
    const refusal = await bob.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message.startsWith(`#${ref} is closed:`));
    assert.equal(
      refusal.message,
      `#${ref} is closed: your message was not delivered. To open it again, write "#${ref} your text"; to answer another visitor, use its ref.`,
    );
    assert.equal((await t.bridge.store.getConversation(v.conversationId))?.state, 'closed', 'still closed');
    bob.say('desk', `#${ref} one more thing, Ivy`);
    await until(() => atIvy.some((m) => m.text === 'one more thing, Ivy'), 10_000, 'the addressed reply at Ivy');
    assert.deepEqual(
      atIvy.map((m) => m.text),
      ['one more thing, Ivy'],
    );
    assert.equal((await t.bridge.store.getConversation(v.conversationId))?.state, 'open', 'opened again');
  });

  it('calls a visitor who gave no name "Visitor" in the context line and in each relayed line', async () => {
    const nameless = await openVisitor(t, { assignee: BOB });
    const ref = nameless.conversationId.slice(-5);
    await sendText(nameless, 'no name given');
    const relayed = await bob.next((m) => m.message.endsWith('no name given'));
    assert.equal(relayed.message, `[Visitor #${ref}] no name given`);
    const context = bob.messages.find((m) => m.nick === 'desk' && m.message.startsWith(`#${ref} `));
    assert.match(context?.message ?? '', new RegExp(`^#${ref} Visitor \\(not verified\\)`));
  });

  it('writes a name with control characters the same in the context line and the relayed lines: one space for each run', async () => {
    const kim = await openVisitor(t, { profile: { name: 'Kim\u0007  Sc\u001bLee' }, assignee: BOB });
    const ref = kim.conversationId.slice(-5);
    await sendText(kim, 'a bell in my name');
    const relayed = await bob.next((m) => m.message.endsWith('a bell in my name'));
    assert.equal(relayed.message, `[Kim Sc Lee #${ref}] a bell in my name`);
    const context = bob.messages.find((m) => m.nick === 'desk' && m.message.startsWith(`#${ref} `));
    assert.match(context?.message ?? '', new RegExp(`^#${ref} Kim Sc Lee \\(not verified\\)`));
  });

  it('tells someone who is not an agent what the bot is, without instructions meant for agents', async () => {
    const stranger = await connectIrcAgent(ngircd.port, 'stranger');
    try {
      stranger.say('desk', 'hello, who are you?');
      const answer = await stranger.next((m) => m.type === 'notice' && m.nick === 'desk');
      assert.match(answer.message, /serves the team's agents, and stranger is not one of them/);
      assert.doesNotMatch(answer.message, /visitor|#ref|reply to/i);
      // No bridge without a gateway has commands for them: /help would only say so.
      assert.doesNotMatch(answer.message, /\/help/);
    } finally {
      await stranger.quit();
    }
  });

  it('announces a waiting conversation in the support channel, and the agent claims it there', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    await call(socket, 'presence:subscribe', { team: 'support' });
    const away = next(socket, 'team:availability', (a) => !a.available, 10_000);
    bob.client.raw('AWAY :busy');
    await away;
    const v = await visitor(t, 'Ivy', null);
    await sendText(v, 'anyone there?');
    const announcement = await bob.next((m) => m.target === '#support' && m.message.includes('from Ivy'));
    const ref = /#([0-9a-z]+)/.exec(announcement.message)![1]!;
    assert.match(announcement.message, new RegExp(`!claim ${ref}`));

    // Another bot's command is left alone: only !claim is the bridge's, answered in order.
    const earlier = new Set(bob.messages);
    const answers = () => bob.messages.filter((m) => !earlier.has(m) && m.target === '#support' && m.message.startsWith('bob: ')).map((m) => m.message);
    bob.say('#support', '!seen alice');
    bob.say('#support', '!claim');
    bob.say('#support', '!claim zzzzzz');
    await bob.next((m) => m.target === '#support' && m.message.startsWith('bob: No conversation'));
    assert.deepEqual(answers(), ['bob: Say "!claim ref" to take a waiting conversation.', 'bob: No conversation has the ref #zzzzzz.']);
    const assigned = next(v.socket, 'conversation', (c: { assignee?: string }) => c.assignee === BOB);
    bob.say('#support', `!claim ${ref}`);
    await assigned;
    const caughtUp = await bob.next((m) => m.target === 'bob' && m.message.endsWith('anyone there?'));
    assert.match(caughtUp.message, /^\[Ivy #/);
    // Named as /transfer's answer names an agent: by name, then address.
    await bob.next((m) => m.target === '#support' && m.message.endsWith(`#${ref} is now with Bob (${BOB}).`));
    // Claimed again, in the channel or privately: answered, not left in silence.
    bob.say('#support', `!claim ${ref}`);
    await bob.next((m) => m.target === '#support' && m.message === `bob: #${ref} is yours already.`);
    bob.say('desk', `claim ${ref}`);
    await bob.next((m) => m.type === 'notice' && m.nick === 'desk' && m.message === `#${ref} is yours already.`);
    const reply = next(v.socket, 'message', (m) => m.from === BOB);
    bob.say('desk', 'I am here, Ivy');
    assert.equal((await reply).text, 'I am here, Ivy');
    bob.client.raw('AWAY');
  });

  it('sees the agent go offline when they quit (ISON)', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    await untilTeam(socket, 'support', (a) => a.available === true);
    const gone = next(socket, 'team:availability', (a) => a.online === 0, 10_000);
    await bob.quit();
    assert.deepEqual(await gone, { team: 'support', available: false, online: 0 });
    const back = next(socket, 'team:availability', (a) => a.available, 10_000);
    bob = await connectIrcAgent(ngircd.port, 'bob', { channels: ['#support'] });
    await back;
  });
});

describe('IRC network reliability against a real ngircd', () => {
  let ngircd: NgircdServer;
  let t: TestBridge;
  let carl: IrcAgent;
  const CARL = 'irc:carl@test';
  /** The visitor with the one puppet the cap allows. */
  let jo: WebVisitor;

  before(async () => {
    ngircd = await startNgircd();
    carl = await connectIrcAgent(ngircd.port, 'carl');
    t = await startBridge({
      teams: [{ id: 'support', members: [CARL], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, maxPuppets: 1, holdMinutes: 0.1 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await carl?.quit();
    await t?.stop();
    await ngircd?.destroy();
  });

  it('relays visitors past the puppet cap through the bot', async () => {
    jo = await visitor(t, 'Jo', CARL);
    const two = await visitor(t, 'Kim', CARL);
    await sendText(jo, 'as a puppet');
    await sendText(two, 'through the bot');
    assert.equal((await carl.next((m) => m.message === 'as a puppet')).nick, 'Jo');
    const relayed = await carl.next((m) => m.message.endsWith('through the bot'));
    assert.match(relayed.message, /^\[Kim #[0-9a-z]+\] through the bot$/);
    const atTwo = next(two.socket, 'message', (m) => m.from === CARL);
    carl.say(relayed.nick, 'reply to Kim');
    assert.equal((await atTwo).text, 'reply to Kim');
  });

  it('keeps messages written while ngircd restarts, and delivers them after, in order and once', async () => {
    const v = jo; // the puppet from the test before
    await sendText(v, 'before the restart');
    await carl.next((m) => m.message === 'before the restart');
    const offline = until(() => t.bridge.registry.get('irc')?.status().state !== 'online', 10_000, 'the bridge to notice');
    await ngircd.stop();
    await offline;
    const during = ['during 1', 'during 2', 'during 3'];
    for (const text of during) await sendText(v, text);
    await ngircd.start();
    carl = await connectIrcAgent(ngircd.port, 'carl');
    const got = await carl.collect((m) => m.message.startsWith('during'), 3, 30_000);
    assert.deepEqual(
      got.map((m) => m.message),
      during,
    );
    assert.equal(got[0]!.nick, 'Jo', 'the puppet came back with its nick');
    await sendText(v, 'after the restart');
    await carl.next((m) => m.message === 'after the restart');
    assert.equal(carl.messages.filter((m) => m.message.startsWith('during')).length, 3, 'no duplicate');
  });

  it('shows a puppet away again after it reconnects, while its visitor still is', async () => {
    const v = jo;
    await call(v.socket, 'presence:set', { status: 'away' });
    await until(() => isAway(carl, 'Jo'), 10_000, 'the puppet to be away');
    const offline = until(() => t.bridge.registry.get('irc')?.status().state !== 'online', 10_000, 'the bridge to notice');
    await ngircd.stop();
    await offline;
    await ngircd.start();
    carl = await connectIrcAgent(ngircd.port, 'carl');
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 30_000, 'the bot back');
    await sendText(v, 'still away');
    await carl.next((m) => m.message === 'still away' && m.nick === 'Jo', 30_000);
    await until(() => isAway(carl, 'Jo'), 10_000, 'the puppet away again');
    await call(v.socket, 'presence:set', { status: 'available' });
    await until(async () => !(await isAway(carl, 'Jo')), 10_000, 'the puppet back');
  });

  it('delivers a stream cut in its middle by an ngircd restart: every message once, in order', async (context) => {
    const v = jo;
    const COUNT = 20;
    const texts = Array.from({ length: COUNT }, (_, i) => `stream ${i}`);
    let stopping: Promise<void> | undefined;
    for (const [i, text] of texts.entries()) {
      await sendText(v, text);
      if (i === 7) stopping = ngircd.stop(); // the stream goes on while the server goes down
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await stopping;
    await ngircd.start();
    const before = carl.messages; // what the agent's first session received before the server went down
    carl = await connectIrcAgent(ngircd.port, 'carl');
    const arrived = () => [...before, ...carl.messages].filter((m) => m.message.startsWith('stream ')).map((m) => m.message);
    await until(() => texts.every((text) => arrived().includes(text)), 30_000, 'every message of the stream').catch(() => undefined);
    const got = arrived();
    const { arrived: distinct, lost, doubled } = streamFigures(texts, got);
    context.diagnostic(`irc stream through an ngircd restart: sent ${COUNT}, arrived ${distinct}, lost ${lost}, doubled ${doubled}`);
    assert.equal(lost, 0);
    assert.equal(doubled, 0);
    assert.deepEqual(got, texts, 'in order');
  });

  it('keeps messages for an agent who left IRC until it is back, and delivers them in order, once', async () => {
    const v = jo;
    const statuses = collect(v.socket, 'message:status');
    await carl.quit();
    // Written at once: the bridge may not have seen carl leave yet (the server answers 401), or has.
    const away = ['while away 1', 'while away 2\nwith a second line', 'while away 3'];
    const sent: Message[] = [];
    for (const text of away) sent.push(await sendText(v, text));
    await until(() => sent.every((m) => statuses.some((s) => s.id === m.id && s.status === 'sent')), 10_000, 'the bridge to take them');
    carl = await connectIrcAgent(ngircd.port, 'carl');
    const expected = ['while away 1', 'while away 2', 'with a second line', 'while away 3'];
    const got = await carl.collect((m) => m.nick === 'Jo' && expected.includes(m.message), 4, 15_000);
    assert.deepEqual(
      got.map((m) => m.message),
      expected,
    );
    await sendText(v, 'back to normal');
    await carl.next((m) => m.message === 'back to normal');
    assert.deepEqual(
      carl.messages.filter((m) => expected.includes(m.message)).map((m) => m.message),
      expected,
      'each line once',
    );
    assert.equal(statuses.filter((s) => s.status === 'failed').length, 0);
  });

  it('fails what waited for an agent who does not come back within holdMinutes, with the reason', async () => {
    const v = jo;
    const { socket } = await connect(t, { siteKey: SITE });
    await call(socket, 'presence:subscribe', { team: 'support' });
    const gone = next(socket, 'team:availability', (a) => a.online === 0, 10_000);
    await carl.quit();
    await gone;
    const statuses = collect(v.socket, 'message:status');
    const sent = await sendText(v, 'are you still there?');
    await until(() => statuses.some((s) => s.id === sent.id && s.status === 'failed'), 15_000, 'the failed status');
    const failed = statuses.find((s) => s.id === sent.id && s.status === 'failed')!;
    assert.equal(failed.error?.code, 'unavailable');
    assert.match(failed.error?.message ?? '', /carl was off IRC and it did not come back within 0\.1 minutes/);
    carl = await connectIrcAgent(ngircd.port, 'carl');
  });
});

describe('IRC server refusing the bridge', () => {
  it("keeps the network offline with the server's reason in /readyz", async (context) => {
    const ngircd = await startNgircd({ password: 'right-password' });
    const t = await startBridge({ networks: [{ type: 'web' }, ngircdNetwork(ngircd, { ...QUICK, password: 'wrong-password' })] });
    try {
      let body: { networks: Record<string, { state: string; reason?: string }> } | undefined;
      await until(
        async () => {
          const readyz = await fetch(`${t.url}/readyz`);
          assert.equal(readyz.status, 503);
          body = (await readyz.json()) as typeof body;
          return body!.networks.irc?.reason?.includes('password') === true;
        },
        10_000,
        "/readyz to give the server's reason",
      );
      assert.equal(body!.networks.irc!.state, 'offline');
      context.diagnostic(`irc: ${body!.networks.irc!.reason}`);
    } finally {
      await t.stop();
      await ngircd.destroy();
    }
  });
});

describe('IRC agents required to be logged in to services', () => {
  it('refuses messages and commands, in private and in the support channel, from a nick that is not logged in to its account', async () => {
    const ngircd = await startNgircd();
    const eve = await connectIrcAgent(ngircd.port, 'eve', { channels: ['#support'] });
    const t = await startBridge({
      teams: [{ id: 'support', members: ['irc:eve@test'], sites: [SITE] }],
      networks: [{ type: 'web' }, ngircdNetwork(ngircd, { ...QUICK, mode: 'relay', nick: 'desk', requireAccount: true, channel: '#support' })],
    });
    try {
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
      // A command in the support channel needs the account too (its other lines draw nothing:
      // test/unit/irc-renames.test.ts).
      eve.say('#support', '!claim zzzz');
      const claimRefused = await eve.next((m) => m.type === 'notice' && m.nick === 'desk');
      assert.match(claimRefused.message, /Log in to the services account "eve"/);
      eve.say('desk', '/list');
      const refusal = await eve.next((m) => m.type === 'notice' && m.nick === 'desk' && m !== claimRefused);
      assert.match(refusal.message, /Log in to the services account "eve"/);
    } finally {
      await eve.quit();
      await t.stop();
      await ngircd.destroy();
    }
  });

  it("answers an agent's /history of 50 messages whole, heading first and the newest last", async () => {
    const ngircd = await startNgircd();
    const hal = await connectIrcAgent(ngircd.port, 'hal');
    const t = await startBridge({
      teams: [{ id: 'support', members: ['irc:hal@test'], sites: [SITE] }],
      networks: [{ type: 'web' }, ngircdNetwork(ngircd, { ...QUICK, mode: 'relay', nick: 'desk', flood: { burst: 1000, linesPerSecond: 1000, window: 1000 } })],
    });
    try {
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
      const v = await openVisitor(t, { profile: { name: 'Hal' }, assignee: 'irc:hal@test' });
      const texts = Array.from({ length: 50 }, (_, i) => `question ${i}`);
      for (const text of texts) await sendText(v, text);
      await hal.next((m) => m.message.endsWith('question 49'), 20_000);
      const ref = v.conversationId.slice(-5).toLowerCase();
      const earlier = new Set(hal.messages);
      hal.say('desk', `/history ${ref} 50`);
      const answer = await hal.collect((m) => !earlier.has(m) && m.type === 'notice' && m.nick === 'desk', 51, 20_000);
      assert.equal(answer[0]!.message, `Last 50 of #${ref}:`);
      assert.deepEqual(
        answer.slice(1).map((m) => m.message.replace(/^\[\d\d:\d\d\] /, '')),
        texts.map((text) => `Hal: ${text}`),
      );
    } finally {
      await hal.quit();
      await t.stop();
      await ngircd.destroy();
    }
  });
});

describe('IRC: messages waiting for an agent off IRC, across a kill -9 of the bridge', () => {
  let ngircd: NgircdServer;
  let dir: string;
  let dana: IrcAgent;
  const DANA = 'irc:dana@test';

  before(async () => {
    ngircd = await startNgircd();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-irc-held-'));
    dana = await connectIrcAgent(ngircd.port, 'dana');
  });
  after(async () => {
    await dana?.quit();
    await ngircd?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what waits in the store: after the restart the agent gets it when back, in order and once', async (context) => {
    const path = join(dir, 'config.json');
    const config = baseConfig(dir, {
      teams: [{ id: 'support', members: [DANA], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, holdMinutes: 5 })],
    });
    writeFileSync(path, JSON.stringify({ ...config, log: { level: 'info' } }));
    const first = await runCli(path);
    context.after(() => first.child.kill('SIGKILL'));
    const visitor = await connectTo(context, first.url, { siteKey: SITE });
    const watcher = await connectTo(context, first.url, { siteKey: SITE });
    const team = await call(watcher.socket, 'presence:subscribe', { team: 'support' });
    if (!team.available) await next(watcher.socket, 'team:availability', (a) => a.available, 15_000);
    const assigned = next(visitor.socket, 'conversation', (c) => c.assignee === DANA, 15_000);
    const { conversation } = await call(visitor.socket, 'conversation:open', { team: 'support' });
    await assigned;
    await call(visitor.socket, 'message:send', { conversationId: conversation.id, clientId: 'h-0', text: 'before she left' });
    await dana.next((m) => m.message === 'before she left', 15_000);

    const gone = next(watcher.socket, 'team:availability', (a) => a.online === 0, 10_000);
    await dana.quit();
    await gone;
    const statuses = collect(visitor.socket, 'message:status');
    const held = ['held 1', 'held 2', 'held 3'];
    const ids: string[] = [];
    for (const [i, text] of held.entries())
      ids.push((await call(visitor.socket, 'message:send', { conversationId: conversation.id, clientId: `h-${i + 1}`, text })).message.id);
    await until(() => ids.every((id) => statuses.some((s) => s.id === id && s.status === 'sent')), 10_000, 'the held messages taken');
    await crash(first.child);

    const second = await runCli(path);
    try {
      dana = await connectIrcAgent(ngircd.port, 'dana');
      const got = await dana.collect((m) => m.message.startsWith('held'), 3, 20_000);
      assert.deepEqual(
        got.map((m) => m.message),
        held,
      );
      const again = await connectTo(context, second.url, { siteKey: SITE, token: visitor.session.token });
      const history = await call(again.socket, 'history:get', { conversationId: conversation.id });
      assert.deepEqual(
        history.messages.filter((m: Message) => ids.includes(m.id)).map((m: Message) => m.status),
        ['sent', 'sent', 'sent'],
      );
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });
});

describe('IRC agent who gets a conversation another agent answered', () => {
  it("reads the greeting and the other agent's answers in the visitor's query, named, and answers there", async () => {
    const ngircd = await startNgircd();
    const [alice, bob] = [await connectIrcAgent(ngircd.port, 'alice'), await connectIrcAgent(ngircd.port, 'bob')];
    const t = await startBridge({
      teams: [
        {
          id: 'support',
          name: 'Support',
          members: [
            { id: 'alice', name: 'Alice', addresses: ['irc:alice@test'] },
            { id: 'bob', name: 'Bob', addresses: ['irc:bob@test'] },
          ],
          sites: [SITE],
          routing: 'first-available',
          greeting: 'Hello! An agent will be with you in a moment.',
        },
      ],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, nick: 'desk' })],
    });
    try {
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the bot online');
      const v = await openVisitor(t, { profile: { name: 'Dana' }, assignee: AGENT });
      await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'q', text: 'Is the tent waterproof?' });
      await alice.next((m) => m.type === 'privmsg' && m.nick === 'Dana' && m.message === 'Is the tent waterproof?');
      const answered = next(v.socket, 'message', (m) => m.text === 'Yes, 3000 mm.');
      alice.say('Dana', 'Yes, 3000 mm.');
      await answered;
      const ref = v.conversationId.slice(-5);
      alice.say('desk', `/transfer ${ref} bob`);
      await bob.next((m) => m.type === 'privmsg' && m.nick === 'Dana' && m.message === '[Alice] Yes, 3000 mm.');
      assert.deepEqual(
        bob.messages.filter((m) => m.type === 'privmsg' && m.nick === 'Dana').map((m) => m.message.replace(/^#\w+ .*/, 'context line')),
        ['context line', '[Support] Hello! An agent will be with you in a moment.', 'Is the tent waterproof?', '[Alice] Yes, 3000 mm.'],
      );
      assert.equal(bob.messages.filter((m) => m.type === 'privmsg' && m.nick === 'desk').length, 0, 'nothing of the conversation from the bot');
      const reply = next(v.socket, 'message', (m) => m.from === 'irc:bob@test');
      bob.say('Dana', 'A 3-person one is in stock.');
      assert.equal((await reply).text, 'A 3-person one is in stock.');
    } finally {
      await Promise.all([alice.quit(), bob.quit()]);
      await t.stop();
      await ngircd.destroy();
    }
  });
});

describe('IRC agent who takes over a conversation later', () => {
  it('reads each line of the history with the time it was said (UTC), and what is said now without', async () => {
    const ngircd = await startNgircd();
    const [alice, bob] = [await connectIrcAgent(ngircd.port, 'alice'), await connectIrcAgent(ngircd.port, 'bob')];
    // The bridge's clock, moved on to make the history old when bob joins.
    const clock = new ManualClock(new Date());
    const t = await startBridge(
      {
        teams: [{ id: 'support', members: ['irc:alice@test', 'irc:bob@test'], sites: [SITE], routing: 'first-available', offerTimeoutSeconds: 86_400 }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, ngircdNetwork(ngircd, { ...QUICK, nick: 'desk' })],
      },
      { clock },
    );
    try {
      await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the bot online');
      const v = await openVisitor(t, { profile: { name: 'Dana' }, assignee: AGENT });
      const said = await sendText(v, 'Is the tent waterproof?');
      await alice.next((m) => m.type === 'privmsg' && m.nick === 'Dana' && m.message === said.text);

      clock.set(new Date(clock.now().getTime() + 10 * 60_000));
      alice.say('desk', `/transfer ${v.conversationId.slice(-5)} bob`);
      await bob.next((m) => m.type === 'privmsg' && m.nick === 'Dana' && m.message === `[${said.sentAt.slice(11, 16)}] Is the tent waterproof?`);
    } finally {
      await Promise.all([alice.quit(), bob.quit()]);
      await t.stop();
      await ngircd.destroy();
    }
  });
});
