// The support desk across networks: one team with an agent on XMPP (Prosody), one on IRC (ngircd)
// and one on SIP (Kamailio). Context lines, every command on each network (malformed ones too),
// and a conversation handed from the XMPP agent to the IRC agent to the SIP agent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { SITE, type TestBridge, type WebVisitor, call, connect, next, openVisitor, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { kamailioNetwork, ngircdNetwork, prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type SipAgent, connectSipAgent, pidf } from '../sip-agent.js';
import { type Agent, connectAgent, xml } from '../xmpp-agent.js';

const ALICE = 'xmpp:alice@localhost';
const BOB = 'irc:bob@test';

describe('support desk across XMPP, IRC and SIP', () => {
  let prosody: ProsodyServer;
  let ngircd: NgircdServer;
  let kamailio: KamailioServer;
  let t: TestBridge;
  let alice: Agent;
  let bob: IrcAgent;
  let carol: SipAgent;
  let CAROL: Address;

  before(async () => {
    [prosody, ngircd, kamailio] = await Promise.all([
      startProsody({ users: [['alice', 'alicepw']] }),
      startNgircd(),
      startKamailio({ users: { carol: 'carolpw', switchboard: 'bridgepw' }, routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' } }),
    ]);
    CAROL = `sip:carol@${kamailio.domain}` as const;
    [alice, bob, carol] = await Promise.all([
      connectAgent(prosody.c2sPort, 'alice', 'alicepw'),
      connectIrcAgent(ngircd.port, 'bob'),
      connectSipAgent(kamailio.wsUrl, kamailio.domain, 'carol', 'carolpw'),
    ]);
    await carol.publish(pidf(CAROL, 'open'));
    t = await startBridge({
      teams: [
        {
          id: 'support',
          sites: [SITE],
          members: [ALICE, { id: 'bob', name: 'Bob', addresses: [BOB] }, { id: 'carol', name: 'Carol', addresses: [CAROL] }],
          canned: { thanks: 'Thanks for your patience!' },
        },
        { id: 'sales', sites: [SITE], members: [] },
        { id: 'rr', sites: [SITE], routing: 'round-robin', capacity: 100, members: [ALICE, BOB, { id: 'carol', addresses: [CAROL] }] },
        { id: 'lb', sites: [SITE], routing: 'least-busy', capacity: 100, members: [ALICE, BOB, { id: 'carol', addresses: [CAROL] }] },
      ],
      networks: [
        { type: 'web', presenceGraceMs: 50 },
        prosodyNetwork(prosody),
        ngircdNetwork(ngircd, { nick: 'desk', mode: 'relay', presencePollSeconds: 2 }),
        kamailioNetwork(kamailio),
      ],
    });
    await until(() => ['xmpp', 'irc', 'sip'].every((n) => t.bridge.registry.get(n)?.status().state === 'online'), 15_000, 'the networks');
    const watcher = await connect(t, { siteKey: SITE });
    const first = await call(watcher.socket, 'presence:subscribe', { team: 'support' });
    if ((first.online ?? 0) < 3) await next(watcher.socket, 'team:availability', (a) => a.online === 3, 15_000);
    watcher.socket.disconnect();
  });
  after(async () => {
    await Promise.all([alice?.stop(), bob?.quit(), carol?.stop()]);
    await t?.stop();
    await Promise.all([prosody?.destroy(), ngircd?.destroy(), kamailio?.destroy()]);
  });

  let markers = 0;
  /** The MESSAGEs the latest answer on SIP came in. */
  let sipParts = 0;
  /** Sends a command from each agent's own client to the bridge's address on its network; resolves with the answer. */
  const commands = {
    xmpp: async (text: string): Promise<string> => {
      const seen = alice.stanzas.length;
      await alice.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, text)));
      const answer = await alice.next(
        (s, i = alice.stanzas.indexOf(s)) => i >= seen && s.is('message') && s.attrs.from === prosody.componentDomain && s.getChildText('body') !== null,
      );
      return answer.getChildText('body')!;
    },
    irc: async (text: string): Promise<string> => {
      // The answer comes as NOTICE lines from the bot, through its flood queue, in order. A second
      // command with a known one-line answer marks where this answer ends.
      const marker = `zz${++markers}zz`;
      const seen = bob.messages.length;
      bob.say('desk', text);
      bob.say('desk', `/whois ${marker}`);
      const end = `No conversation of your teams has the ref #${marker}.`;
      const notices = () =>
        bob.messages
          .slice(seen)
          .filter((m) => m.type === 'notice' && m.nick === 'desk')
          .map((m) => m.message);
      await until(() => notices().includes(end), 15_000, 'an answer on IRC');
      return notices().slice(0, notices().indexOf(end)).join('\n');
    },
    sip: async (text: string): Promise<string> => {
      // A long answer comes as several MESSAGEs, in order, and an agent's next answer after its
      // last part: a second command with a known one-line answer marks where this one ends.
      const marker = `zz${++markers}zz`;
      const seen = carol.inbox.length;
      const bridge = `sip:switchboard@${VISITOR_DOMAIN}`;
      assert.equal(await carol.send(bridge, text), 200);
      assert.equal(await carol.send(bridge, `/whois ${marker}`), 200);
      const end = `No conversation of your teams has the ref #${marker}.`;
      const parts = () =>
        carol.inbox
          .slice(seen)
          .filter((m) => m.request.from.uri.toString() === bridge)
          .map((m) => m.request.body);
      await until(() => parts().includes(end), 15_000, 'an answer on SIP');
      sipParts = parts().indexOf(end);
      return parts().slice(0, sipParts).join('');
    },
  };

  async function visitor(profile: { name: string; email?: string }, page: string): Promise<WebVisitor & { ref: string }> {
    const v = await openVisitor(t, { profile: { ...profile, pageUrl: page } });
    return { ...v, ref: v.conversationId.slice(-5).toLowerCase() };
  }

  it('states who the visitor is and where, in one line, before the first message', async () => {
    const v = await visitor({ name: 'Dana', email: 'dana@example.com' }, 'https://shop.test/tents');
    assert.equal(v.conversation.assignee, ALICE);
    const context = await alice.next((s) => s.is('message') && (s.getChildText('body') ?? '').startsWith(`#${v.ref} Dana`));
    assert.equal(
      context.getChildText('body'),
      `#${v.ref} Dana <dana@example.com> on https://shop.test/tents (not verified), team support. Reply here; /whois ${v.ref} for more.`,
    );
    assert.equal(context.attrs.from?.startsWith('v_'), true, "in the visitor's own chat");
    // Kept by the server like any message: an agent offline now, or on another device, finds it (offline storage, XEP-0313).
    assert.equal(context.getChild('no-store', 'urn:xmpp:hints'), undefined);
    assert.ok(context.attrs.id, 'with an id');
  });

  for (const network of ['xmpp', 'irc', 'sip'] as const) {
    it(`answers every command on ${network}, and malformed ones with help`, async () => {
      const run = commands[network];
      const v = await visitor({ name: `Eve ${network}`, email: `eve-${network}@example.com` }, 'https://shop.test/boots');
      await call(v.socket, 'message:send', { conversationId: v.conversation.id, clientId: 'h1', text: 'Do you have size 44?' });
      // Each network's agent gets a conversation of its own (routing gave it to the first agent).
      if (network !== 'xmpp') assert.match(await commands.xmpp(`/transfer ${v.ref} ${network === 'irc' ? 'bob' : 'carol'}`), /is now with/);
      assert.match(await run('/help'), /\/list: .*\n.*\/claim ID/);
      // Longer than one MESSAGE may be (RFC 3428 section 8): it came in several, joined here.
      if (network === 'sip') assert.ok(sipParts > 1, `the help in ${sipParts} MESSAGE(s)`);
      assert.match(await run('/frobnicate'), /^Unknown command "\/frobnicate"\.\nCommands/);
      assert.match(
        await run('/list'),
        new RegExp(`#${v.ref} Eve ${network} on https://shop.test/boots \\(with [^,]+, 1 message\\)`),
        'one message, in the singular',
      );
      assert.match(await run('/claim'), /^Usage: \/claim ID/);
      assert.match(await run('/claim zzzzz'), /No conversation of your teams has the ref #zzzzz/);
      // Without an ID: the agent's latest conversation, this one.
      assert.match(await run('/history'), new RegExp(`^Last 1 of #${v.ref}:\\n`));
      assert.match(await run(`/history ${v.ref} many`), /^Usage: \/history ID \[N\]/);
      assert.match(await run(`/history ${v.ref} 5`), new RegExp(`Last 1 of #${v.ref}:\\n\\[\\d\\d:\\d\\d\\] Eve ${network}: Do you have size 44\\?`));
      const whois = await run(`/whois #${v.ref}`);
      assert.match(whois, new RegExp(`email: eve-${network}@example.com`));
      assert.match(whois, /page: https:\/\/shop.test\/boots/);
      assert.match(whois, /identity: not verified/);
      assert.match(await run('/transfer'), /^Usage: \/transfer ID AGENT\|TEAM/);
      assert.match(await run(`/transfer ${v.ref} nobody`), /No agent or team "nobody"/);
      assert.match(await run('/canned'), /Canned replies: thanks/);
      assert.match(await run('/canned nope'), /No canned reply "nope"/);
      assert.match(await run('/close'), /^Usage: \/close ID/);
      const closed = next(v.socket, 'conversation', (c) => c.state === 'closed');
      assert.match(await run(`/close ${v.ref}`), new RegExp(`#${v.ref} is closed`));
      await closed;
      assert.match(await run(`/close ${v.ref}`), /was already closed/);
    });
  }

  it('hands a conversation from the XMPP agent to the IRC agent (who sees the history) and on to the SIP agent, who answers with a canned reply', async () => {
    const v = await visitor({ name: 'Finn' }, 'https://shop.test/stoves');
    assert.equal(v.conversation.assignee, ALICE);
    await call(v.socket, 'message:send', { conversationId: v.conversation.id, clientId: 'f1', text: 'Is the stove in stock?' });
    await alice.next((s) => s.getChildText('body') === 'Is the stove in stock?');
    const toBob = next(v.socket, 'conversation', (c) => c.assignee === BOB);
    assert.match(await commands.xmpp(`/transfer ${v.ref} bob`), new RegExp(`#${v.ref} is now with Bob \\(${BOB}\\)`));
    await toBob;
    // Relayed by the bot, the context line is a private message that names the conversation once.
    const context = await bob.next((m) => m.nick === 'desk' && m.message.startsWith(`#${v.ref} Finn`));
    assert.equal(context.type, 'privmsg');
    assert.match(context.message, /on https:\/\/shop.test\/stoves/);
    assert.equal(context.message.split(`#${v.ref}`).length, 2, 'the ref written once');
    await bob.next((m) => m.nick === 'desk' && m.message.endsWith('Is the stove in stock?'));
    assert.match(await commands.irc(`/history ${v.ref}`), /Finn: Is the stove in stock\?/);

    const toCarol = next(v.socket, 'conversation', (c) => c.assignee === CAROL);
    assert.match(await commands.irc(`/transfer ${v.ref} carol`), /is now with Carol/);
    await toCarol;
    await carol.next((m) => m.request.body === 'Is the stove in stock?');
    const canned = next(v.socket, 'message', (m) => m.from === CAROL);
    assert.match(await commands.sip(`/canned thanks ${v.ref}`), new RegExp(`Sent "thanks" to #${v.ref}`));
    assert.equal((await canned).text, 'Thanks for your patience!');
    assert.match(await commands.sip(`/canned thanks`), /Sent "thanks"/, 'without an id: the latest conversation');

    // Back to Alice: her client has what was said before she left; she gets only what came after.
    const toAlice = next(v.socket, 'conversation', (c) => c.assignee === ALICE);
    assert.match(await commands.sip(`/transfer ${v.ref} alice`), /is now with/);
    await toAlice;
    await alice.next((s) => s.getChildText('body')?.startsWith(`#${v.ref} Finn`) === true);
    await call(v.socket, 'message:send', { conversationId: v.conversation.id, clientId: 'f2', text: 'Back with Alice?' });
    await alice.next((s) => s.getChildText('body') === 'Back with Alice?');
    const bodies = alice.stanzas.map((s) => s.getChildText('body') ?? '');
    assert.equal(bodies.filter((b) => b === 'Is the stove in stock?').length, 1, 'the history she had is not sent again');
    assert.equal(bodies.filter((b) => b.endsWith('Thanks for your patience!')).length, 2, 'what Carol said meanwhile is');
  });

  it('tells an agent on their network that a conversation was moved away from them, and not the agent who moved it', async () => {
    const v = await visitor({ name: 'Gus' }, 'https://shop.test/lamps');
    assert.equal(v.conversation.assignee, ALICE);
    await alice.next((s) => s.getChildText('body')?.startsWith(`#${v.ref} Gus`) === true);
    const toBob = next(v.socket, 'conversation', (c) => c.assignee === BOB);
    assert.match(await commands.irc(`/transfer ${v.ref} bob`), /is now with Bob/);
    await toBob;
    // Named as /transfer's answer and the IRC support channel name an agent: by name, then address.
    const line = `#${v.ref} is now with Bob (${BOB}): what you write there no longer reaches the visitor.`;
    const told = await alice.next((s) => s.getChildText('body') === line);
    // From the bridge, not in the visitor's chat: a plain reply there would go to a conversation no longer hers.
    assert.equal(told.attrs.from?.startsWith('v_'), false);
    assert.equal(
      bob.messages.some((m) => m.message.includes('no longer reaches')),
      false,
      'bob moved it himself',
    );
    await call(v.socket, 'conversation:close', { conversationId: v.conversation.id });
  });

  it('tells an agent on their network that someone else closed their conversation, and by whom; not the agent who closed it', async () => {
    const closedLine = (ref: string, who: string) => `#${ref} was closed${who}: what you write there no longer reaches the visitor.`;
    const byVisitor = await visitor({ name: 'Hana' }, 'https://shop.test/lamps');
    assert.equal(byVisitor.conversation.assignee, ALICE);
    await alice.next((s) => s.getChildText('body')?.startsWith(`#${byVisitor.ref} Hana`) === true);
    await call(byVisitor.socket, 'conversation:close', { conversationId: byVisitor.conversation.id });
    const told = await alice.next((s) => s.getChildText('body') === closedLine(byVisitor.ref, ' by the visitor'));
    // From the bridge, not in the visitor's chat.
    assert.equal(told.attrs.from?.startsWith('v_'), false);

    const byBob = await visitor({ name: 'Ivo' }, 'https://shop.test/lamps');
    assert.equal(byBob.conversation.assignee, ALICE);
    await alice.next((s) => s.getChildText('body')?.startsWith(`#${byBob.ref} Ivo`) === true);
    assert.match(await commands.irc(`/close ${byBob.ref}`), /is closed/);
    await alice.next((s) => s.getChildText('body') === closedLine(byBob.ref, ` by Bob (${BOB})`));

    // Her own /close: her command's answer, no line.
    const byHer = await visitor({ name: 'Jon' }, 'https://shop.test/lamps');
    assert.equal(byHer.conversation.assignee, ALICE);
    await alice.next((s) => s.getChildText('body')?.startsWith(`#${byHer.ref} Jon`) === true);
    assert.match(await commands.xmpp(`/close ${byHer.ref}`), /is closed/);
    // A later close by its visitor: its line comes from the same address after any line of hers would have.
    const after = await visitor({ name: 'Kim' }, 'https://shop.test/lamps');
    await alice.next((s) => s.getChildText('body')?.startsWith(`#${after.ref} Kim`) === true);
    await call(after.socket, 'conversation:close', { conversationId: after.conversation.id });
    await alice.next((s) => s.getChildText('body') === closedLine(after.ref, ' by the visitor'));
    assert.equal(
      alice.stanzas.some((s) => s.getChildText('body')?.startsWith(`#${byHer.ref} was closed`) === true),
      false,
      'she closed it herself',
    );
  });

  it("routes by each strategy according to the agents' live presence on their own networks", async () => {
    const open = async (team: string) => {
      const { socket } = await connect(t, { siteKey: SITE });
      return (await call(socket, 'conversation:open', { team })).conversation;
    };
    // round-robin: each agent in turn, whatever its network.
    const turns = [];
    for (let i = 0; i < 3; i++) turns.push((await open('rr')).assignee);
    assert.deepEqual(turns.sort(), [ALICE, BOB, CAROL].sort());
    // Carol publishes "closed" on SIP: she is left out until she is back.
    const watcher = await connect(t, { siteKey: SITE });
    await call(watcher.socket, 'presence:subscribe', { addresses: [CAROL] });
    const gone = next(watcher.socket, 'presence', (p) => p.address === CAROL && p.status === 'offline');
    await carol.publish(pidf(CAROL, 'closed'));
    await gone;
    const without = [];
    for (let i = 0; i < 4; i++) without.push((await open('rr')).assignee);
    assert.equal(without.includes(CAROL), false);
    // least-busy: the agent with the fewest open conversations, once Carol is back with none in "lb".
    const back = next(watcher.socket, 'presence', (p) => p.address === CAROL && p.status === 'available');
    await carol.publish(pidf(CAROL, 'open'));
    await back;
    const least = await open('lb');
    const loads = new Map<string, number>();
    for (const agent of [ALICE, BOB, CAROL] as const) {
      const listed = await t.bridge.store.openCounts([agent]);
      loads.set(agent, listed.get(agent)! - (agent === least.assignee ? 1 : 0));
    }
    const fewest = Math.min(...loads.values());
    assert.equal(loads.get(least.assignee!), fewest, `${least.assignee} had the fewest open conversations (${JSON.stringify([...loads])})`);
    watcher.socket.disconnect();
  });

  it('lets an agent claim a waiting conversation, and go away and come back', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    await call(socket, 'presence:subscribe', { team: 'sales' });
    // Sales has no agents: its conversations wait; a support agent may not claim them.
    const waiting = await call(socket, 'conversation:open', { team: 'sales' });
    assert.equal(waiting.conversation.assignee, undefined);
    const ref = waiting.conversation.id.slice(-5).toLowerCase();
    assert.match(await commands.sip(`/claim ${ref}`), /No conversation of your teams/);

    // /away and /back set the agent's availability (for networks without presence; on IRC it
    // holds until the agent's own IRC status changes).
    const watcher = await connect(t, { siteKey: SITE });
    await call(watcher.socket, 'presence:subscribe', { addresses: [BOB] });
    const away = next(watcher.socket, 'presence', (p) => p.address === BOB && p.status === 'away');
    assert.match(await commands.irc('/away lunch'), /You are away/);
    assert.equal((await away).text, 'lunch');
    const back = next(watcher.socket, 'presence', (p) => p.address === BOB && p.status === 'available');
    assert.match(await commands.irc('/back'), /You are back/);
    await back;
  });
});
