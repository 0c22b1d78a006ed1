// The IRC network against a real ngircd: puppets and relay, presence, the support channel, line
// splitting and injection seen on the server's side of the socket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message, MessageStatusEvent, TeamAvailability } from '@switchboard/protocol';
import fc from 'fast-check';
import { SITE, type TestBridge, type V1Socket, call, collect, connect, next, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type Tap, startTap } from '../servers/tap.js';

const AGENT = 'irc:alice@test';
const encoder = new TextEncoder();

function ircNetwork(port: number, extra: Record<string, unknown> = {}) {
  return { type: 'irc', id: 'test', server: `irc://127.0.0.1:${port}`, presencePollSeconds: 0.2, connectTimeoutSeconds: 5, ...extra };
}

interface Visitor {
  socket: V1Socket;
  self: string;
  conversationId: string;
}

/** A visitor named `name` with an open conversation routed to alice. */
async function visitor(t: TestBridge, name: string, expectAssignee: string | null = AGENT): Promise<Visitor> {
  const { socket, session } = await connect(t, { siteKey: SITE });
  await call(socket, 'profile:update', { name });
  if (expectAssignee) {
    const availability = await call(socket, 'presence:subscribe', { team: 'support' });
    if (!availability.available) await next<TeamAvailability>(socket, 'team:availability', (a) => a.available, 10_000);
  }
  const opened = await call(socket, 'conversation:open', { team: 'support' });
  assert.equal(opened.conversation.assignee ?? null, expectAssignee);
  return { socket, self: session.self, conversationId: opened.conversation.id };
}

async function send(v: Visitor, text: string, clientId = `c${Math.random()}`): Promise<Message> {
  const ack = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId, text });
  assert.ok(ack.ok, JSON.stringify(ack));
  return ack.message as Message;
}

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
      teams: [{ id: 'support', members: ['irc:Alice@test'], sites: [SITE] }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, ircNetwork(tap.port, { maxPuppets: 20, maxLines: 200 })],
    });
    await until(() => t.bridge.registry.get('irc')?.status().state === 'online', 10_000, 'the IRC bot to connect');
  });
  after(async () => {
    await alice?.quit();
    await t?.stop();
    await tap?.close();
    await ngircd?.destroy();
  });

  it('carries a visitor\'s message to the agent from a puppet named after the visitor, and the reply back', async () => {
    const v = await visitor(t, 'Dana Scully');
    const statuses = collect<MessageStatusEvent>(v.socket, 'message:status');
    const sent = await send(v, 'Hello from the shop');
    const got = await alice.next((m) => m.message === 'Hello from the shop');
    assert.equal(got.nick, 'Dana_Scul', 'the name made a nick, cut to the server\'s NICKLEN (9)');
    assert.equal(got.target, 'alice');
    await until(() => statuses.some((s) => s.id === sent.id && s.status === 'sent'), 5000, 'the sent status');

    const reply = next<Message>(v.socket, 'message', (m) => m.from === AGENT);
    alice.say(got.nick, 'Hi Dana! How can I help?');
    assert.equal((await reply).text, 'Hi Dana! How can I help?');
    const action = next<Message>(v.socket, 'message', (m) => m.from === AGENT && m.text.startsWith('/me'));
    alice.client.raw(`PRIVMSG ${got.nick} :\u0001ACTION checks the order\u0001`);
    assert.equal((await action).text, '/me checks the order');
  });

  it('shows two visitors as two puppets and routes each reply to its own visitor', async () => {
    const one = await visitor(t, 'Ann');
    const two = await visitor(t, 'Ben');
    await send(one, 'I am one');
    await send(two, 'I am two');
    const fromOne = await alice.next((m) => m.message === 'I am one');
    const fromTwo = await alice.next((m) => m.message === 'I am two');
    assert.notEqual(fromOne.nick, fromTwo.nick);
    const atTwo = collect<Message>(two.socket, 'message');
    const atOne = next<Message>(one.socket, 'message', (m) => m.from === AGENT);
    alice.say(fromOne.nick, 'for one');
    assert.equal((await atOne).text, 'for one');
    alice.say(fromTwo.nick, 'for two');
    await next<Message>(two.socket, 'message', (m) => m.text === 'for two');
    assert.equal(atTwo.filter((m) => m.text === 'for one').length, 0);
  });

  it('resolves a nick collision deterministically and visibly', async () => {
    const squatter = await connectIrcAgent(ngircd.port, 'Carol');
    try {
      const v = await visitor(t, 'Carol');
      await send(v, 'who am I?');
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
    await send(v, text);
    const first = await alice.next((m) => text.startsWith(m.message) && m.message.length > 10);
    const from = first.nick;
    const lines = await alice.collect((m) => m.nick === from && m.target === 'alice', 1, 20_000);
    await until(() => alice.messages.filter((m) => m.nick === from).map((m) => m.message).join('') === text, 60_000, 'the whole text');
    const received = alice.messages.filter((m) => m.nick === from);
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
    await send(v, 'first');
    const first = await alice.next((m) => m.message === 'first');
    const puppetLines = tap.connections.find((lines) => lines.some((line) => line.startsWith(`NICK ${first.nick}`)))!;
    assert.ok(puppetLines, 'the puppet\'s connection goes through the tap');
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
        await send(v, body);
        // What the bridge must send: one PRIVMSG per non-empty line, NUL and CTCP made harmless.
        const expected = body
          .split(/\r\n|\r|\n/)
          .map((line) => line.replace(/[ \t]+$/, ''))
          .filter((line) => line.length > 0)
          .map((line) => line.replaceAll('\u0000', '\uFFFD').replaceAll('\u0001', '\uFFFD'));
        const fromPuppet = (m: { nick: string; type?: string }) => m.nick === first.nick && m.type === 'privmsg';
        await until(() => alice.messages.slice(seen).filter(fromPuppet).length >= expected.length, 10_000, 'the lines at the agent');
        const got = alice.messages.slice(seen).filter(fromPuppet);
        await until(() => puppetLines.slice(before).filter((line) => line.startsWith('PRIVMSG')).length >= expected.length, 5000, 'the lines on the wire');
        const wire = puppetLines.slice(before).filter((line) => !/^(PING|PONG) /.test(line));
        assert.deepEqual(wire, expected.map((line) => `PRIVMSG alice :${line}`));
        assert.deepEqual(got.map((m) => m.message), expected);
      }),
      { numRuns: 25 },
    );
  });

  it('turns the agent\'s away status into team availability (WHO), and offline when the agent quits (ISON)', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    const first = await call(socket, 'presence:subscribe', { team: 'support' });
    assert.equal(first.available, true);
    const away = next<TeamAvailability>(socket, 'team:availability', (a) => !a.available, 10_000);
    alice.client.raw('AWAY :lunch');
    assert.deepEqual(await away, { team: 'support', available: false, online: 1 });
    const back = next<TeamAvailability>(socket, 'team:availability', (a) => a.available, 10_000);
    alice.client.raw('AWAY');
    assert.equal((await back).available, true);
  });

  it('shows the visitor away on its puppet when the visitor is away', async () => {
    const v = await visitor(t, 'Eve');
    await send(v, 'hello from Eve');
    const got = await alice.next((m) => m.message === 'hello from Eve');
    await call(v.socket, 'presence:set', { status: 'away' });
    await until(
      async () =>
        new Promise<boolean>((resolve) => {
          alice.client.once('wholist', (event: { users: { nick: string; away?: boolean }[] }) => resolve(event.users.some((u) => u.nick === got.nick && u.away === true)));
          alice.client.raw(`WHO ${got.nick}`);
        }),
      10_000,
      'the puppet to be away',
    );
  });

  it('refuses a private message from someone outside the conversation, with a notice', async () => {
    const v = await visitor(t, 'Frank');
    await send(v, 'only for alice');
    const got = await alice.next((m) => m.message === 'only for alice');
    const mallory = await connectIrcAgent(ngircd.port, 'outsider');
    try {
      const atVisitor = collect<Message>(v.socket, 'message');
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
