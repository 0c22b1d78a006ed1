// Customers on their own SIP accounts writing to a team's URI under the visitor domain
// (docs/customers.md, "SIP"), against a real Kamailio and a real ngircd: the customer is a plain
// SIP.js user agent of the test, the agent an IRC user answering through the usual IRC path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import type { Message as SipMessage } from 'sip.js';
import { UserAgent } from 'sip.js';
import { identityHash } from '../../src/gateway/tokens.js';
import { crash, exited, runCli } from '../cli-process.js';
import { SECRET, SITE, type TestBridge, agentAuth, baseConfig, call, connect, connectTo, next, startBridge, until } from '../helpers.js';
import { type IrcAgent, connectIrcAgent } from '../irc-agent.js';
import { ManualClock } from '../manual-clock.js';
import { type KamailioServer, VISITOR_DOMAIN, startKamailio } from '../servers/kamailio.js';
import { kamailioNetwork, ngircdNetwork } from '../servers/networks.js';
import { type NgircdServer, startNgircd } from '../servers/ngircd.js';
import { type SipAgent, connectSipAgent } from '../sip-agent.js';

const TEAM = `sip:support@${VISITOR_DOMAIN}`;
const IRC_AGENT = 'irc:alice@test';
/** The billing team's only agent, who takes one conversation at a time. */
const IVAN = 'irc:ivan@test';
const BILLING = `sip:billing@${VISITOR_DOMAIN}`;
const BOT = 'desk';
const BILLING_QUEUED = 'Billing is busy: you are number {position} in line.';
const HOURS = { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } };
/** Quick presence polls and short connect timeouts. */
const QUICK = { presencePollSeconds: 0.5, connectTimeoutSeconds: 5 };
const IS_COMPOSING =
  '<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>60</refresh></isComposing>';

/** A MESSAGE with a Call-ID and CSeq of the test's choosing: sent twice, it is a client's own resend. */
function sendWithCallId(customer: SipAgent, to: string, body: string, callId: string): Promise<number> {
  const core = customer.ua.userAgentCore;
  const target = UserAgent.makeURI(to)!;
  const request = core.makeOutgoingRequestMessage('MESSAGE', target, UserAgent.makeURI(customer.uri)!, target, { callId, cseq: 7 }, [], {
    contentDisposition: 'render',
    contentType: 'text/plain;charset=UTF-8',
    content: body,
  });
  return new Promise((resolve) => {
    const done = (response: { message: { statusCode?: number } }) => resolve(response.message.statusCode ?? 0);
    core.request(request, { onAccept: done, onReject: done });
  });
}

const fromTeamUri = (team: string, text: string) => (m: SipMessage) => m.request.body === text && m.request.from.uri.toString() === team;
const fromTeam = (text: string) => fromTeamUri(TEAM, text);

describe('customers writing from SIP to a team against a real Kamailio, answered on a real ngircd', () => {
  let kamailio: KamailioServer;
  let ngircd: NgircdServer;
  let alice: IrcAgent;
  before(async () => {
    kamailio = await startKamailio({
      users: {
        carol: 'carolpw',
        dave: 'davepw',
        erin: 'erinpw',
        frank: 'frankpw',
        gina: 'ginapw',
        hank: 'hankpw',
        ivy: 'ivypw',
        judy: 'judypw',
        switchboard: 'bridgepw',
      },
      routedDomain: { domain: VISITOR_DOMAIN, user: 'switchboard' },
    });
    ngircd = await startNgircd();
    alice = await connectIrcAgent(ngircd.port, 'alice');
  });
  after(async () => {
    await alice?.quit();
    await ngircd?.destroy();
    await kamailio?.destroy();
  });

  const bridgeNetworks = (irc: { nick?: string; flood?: { burst: number; linesPerSecond: number } } = {}) => [
    { type: 'web', presenceGraceMs: 50 },
    kamailioNetwork(kamailio, { connectTimeoutSeconds: 5 }),
    ngircdNetwork(ngircd, { ...QUICK, ...irc }),
  ];
  const online = (t: TestBridge) =>
    until(() => ['sip', 'irc'].every((scheme) => t.bridge.registry.get(scheme)?.status().state === 'online'), 15_000, 'SIP and IRC online');

  describe('while the team is open', () => {
    let t: TestBridge;
    let carol: SipAgent;
    let CAROL: Address;
    let ivan: IrcAgent;
    before(async () => {
      t = await startBridge({
        teams: [
          { id: 'support', name: 'Support', members: [{ id: 'alice', name: 'Alice Irc', addresses: [IRC_AGENT] }], sites: [SITE], capacity: 100 },
          { id: 'sales', name: 'Sales', members: ['web:a_bob'], sites: [SITE], capacity: 100 },
          {
            id: 'billing',
            name: 'Billing',
            members: [{ id: 'ivan', name: 'Ivan', addresses: [IVAN] }],
            sites: [SITE],
            capacity: 1,
            queueMessage: BILLING_QUEUED,
          },
        ],
        // A bot nick within ngircd's nick length, for the IRC agent's commands; a pace that leaves
        // room beside the quick presence polls (ngircd's limits are relaxed here).
        networks: bridgeNetworks({ nick: BOT, flood: { burst: 20, linesPerSecond: 20 } }),
      });
      ivan = await connectIrcAgent(ngircd.port, 'ivan');
      await online(t);
      carol = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'carol', 'carolpw');
      CAROL = `sip:carol@${kamailio.domain}`;
    });
    after(async () => {
      await carol?.stop();
      await ivan?.quit();
      await t?.stop();
    });

    it('opens a team conversation answered by an IRC agent from the team URI, keeps the next message in it, stores a resend once', async () => {
      assert.equal(await carol.send(TEAM, 'My order has not arrived'), 200);
      const first = await alice.next((m) => m.message === 'My order has not arrived', 15_000);
      alice.say(first.nick, 'Let me look into it');
      const answer = await carol.next(fromTeam('Let me look into it'), 15_000);
      // The IRC agent is named as the team's configuration names it (an IRC nick has no other name).
      assert.match(answer.request.getHeader('From') ?? '', /^"Alice Irc" <sip:support@/);

      // The next message, and a client's resend of one (same Call-ID and CSeq), go to the same conversation, once.
      assert.equal(await sendWithCallId(carol, TEAM, 'It is order 42', 'carol-resend-1'), 200);
      assert.equal(await sendWithCallId(carol, TEAM, 'It is order 42', 'carol-resend-1'), 200);
      const second = await alice.next((m) => m.message === 'It is order 42', 15_000);
      assert.equal(second.nick, first.nick, "in the same chat with the customer's puppet");
      const conversations = await t.bridge.store.listConversations({ participant: CAROL, limit: 10 });
      assert.equal(conversations.length, 1);
      assert.equal(conversations[0]!.team, 'support');
      assert.equal(conversations[0]!.openedBy, CAROL);
      const { messages } = await t.bridge.store.history(conversations[0]!.id, { limit: 50 });
      assert.deepEqual(
        messages.filter((m) => m.from === CAROL).map((m) => m.text),
        ['My order has not arrived', 'It is order 42'],
      );
      assert.deepEqual(
        messages.filter((m) => m.from === IRC_AGENT).map((m) => m.text),
        ['Let me look into it'],
      );
    });

    it("names the customer by their From display name in the IRC agent's context line, its quoted-pairs read", async () => {
      // As the phone writes it in its quoted-string (RFC 3261 section 25.1): `"Gina \"G\" Sip"`.
      const gina = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'gina', 'ginapw', { displayName: 'Gina \\"G\\" Sip' });
      try {
        assert.equal(await gina.send(TEAM, 'Is my invoice ready?'), 200);
        const context = await alice.next((m) => m.message.endsWith('for more.') && m.message.includes(`sip:gina@${kamailio.domain}`), 15_000);
        // Quoted again on the context line, its quotes escaped: the name ends where it seems to.
        assert.match(context.message, new RegExp(`^#\\w+ "Gina \\\\"G\\\\" Sip" sip:gina@${kamailio.domain} \\(not vouched: `));
        await alice.next((m) => m.message === 'Is my invoice ready?' && m.nick === context.nick, 15_000);
      } finally {
        await gina.stop();
      }
    });

    it("carries typing both ways, from the team URI under the agent's quoted name, and a hostile name stays one display name", async () => {
      const dave = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'dave', 'davepw');
      const DAVE: Address = `sip:dave@${kamailio.domain}`;
      try {
        const name = 'Bob "the\r\nVia: SIP/2.0/WS evil\\" <sip:x@y>';
        const bob = await connect(t, { siteKey: SITE, identity: { userId: 'bob', name, role: 'agent', hash: identityHash(SECRET, 'agent', 'bob') } });
        const offered = next(bob.socket, 'conversation', (c) => c.team === 'sales' && c.participants.includes(DAVE));
        const SALES = `sip:sales@${VISITOR_DOMAIN}`;
        assert.equal(await dave.send(SALES, 'Do you ship to Norway?'), 200);
        const conversation = await offered;

        const typing = next(bob.socket, 'typing', (e) => e.from === DAVE && e.state === 'composing');
        assert.equal(await dave.send(SALES, IS_COMPOSING, 'application/im-iscomposing+xml'), 200);
        await typing;
        await call(bob.socket, 'typing', { conversationId: conversation.id, state: 'composing' });
        const composing = await dave.next((m) => m.request.getHeader('Content-Type') === 'application/im-iscomposing+xml', 10_000);
        assert.equal(composing.request.from.uri.toString(), SALES);

        await call(bob.socket, 'message:send', { conversationId: conversation.id, clientId: 'b-1', text: 'Yes, we do' });
        const answer = await dave.next((m) => m.request.body === 'Yes, we do', 10_000);
        assert.equal(answer.request.from.uri.toString(), SALES);
        const from = answer.request.getHeader('From') ?? '';
        assert.match(from, /^"Bob \\"the Via: SIP\/2.0\/WS evil\\\\\\" <sip:x@y>" <sip:sales@/, from);
        assert.equal(
          answer.request.getHeaders('Via').some((via) => via.includes('evil')),
          false,
        );
        bob.socket.disconnect();
      } finally {
        await dave.stop();
      }
    });

    it("tells a customer queued behind the agent's capacity their place from the team URI, once, and the agent gets the message once when room frees", async () => {
      const users = await Promise.all(['hank', 'ivy', 'judy'].map((user) => connectSipAgent(kamailio.wsUrl, kamailio.domain, user, `${user}pw`)));
      const [hank, ivy, judy] = users as [SipAgent, SipAgent, SipAgent];
      try {
        await until(() => t.bridge.core.presence.get(IVAN).status === 'available', 15_000, 'ivan available');
        const contextOf = (user: string) => (m: { message: string }) =>
          m.message.endsWith('for more.') && m.message.includes(`sip:${user}@${kamailio.domain} `);
        // The first customer takes the agent's only room.
        assert.equal(await hank.send(BILLING, 'Was I charged twice?'), 200);
        const hankContext = await ivan.next(contextOf('hank'), 15_000);
        await ivan.next((m) => m.message === 'Was I charged twice?' && m.nick === hankContext.nick, 15_000);

        // The next two wait in the queue, each told their place once, from the team's URI under its name.
        const told = (position: number) => (m: SipMessage) => m.request.body === BILLING_QUEUED.replace('{position}', String(position));
        assert.equal(await ivy.send(BILLING, 'Where is my refund?'), 200);
        const ivyTold = await ivy.next(told(1), 15_000);
        assert.equal(ivyTold.request.from.uri.toString(), BILLING);
        assert.match(ivyTold.request.getHeader('From') ?? '', /^"Billing" </);
        assert.equal(await judy.send(BILLING, 'Can I pay by card?'), 200);
        const judyTold = await judy.next(told(2), 15_000);
        assert.equal(judyTold.request.from.uri.toString(), BILLING);
        // Writing again while waiting tells nothing more.
        assert.equal(await ivy.send(BILLING, 'It was order 77'), 200);

        // The agent closes the first conversation: the first in line gets the room, with what they wrote.
        const ref = /^#(\w+) /.exec(hankContext.message)![1]!;
        ivan.say(BOT, `/close ${ref}`);
        await ivan.next((m) => m.type === 'notice' && m.nick === BOT && m.message === `#${ref} is closed.`, 15_000);
        const ivyContext = await ivan.next(contextOf('ivy'), 15_000);
        // From the customer's puppet, or relayed by the bot as `[ivy #ref] text` while every puppet is in use.
        const ivyRef = /^#(\w+) /.exec(ivyContext.message)![1]!;
        const relayed = ivyContext.nick === BOT;
        const line = (text: string) => (relayed ? `[ivy #${ivyRef}] ${text}` : text);
        const fromIvy = (text: string) => (m: IrcMessageEvent) => m.nick === ivyContext.nick && m.message === line(text);
        await ivan.next(fromIvy('It was order 77'), 15_000);
        ivan.say(ivyContext.nick, relayed ? `#${ivyRef} Your refund left today` : 'Your refund left today');
        await ivy.next(fromTeamUri(BILLING, 'Your refund left today'), 15_000);
        assert.equal(await ivy.send(BILLING, 'Thank you'), 200);
        // The customer's messages reach the agent in order: what came before this one came once.
        await ivan.next(fromIvy('Thank you'), 15_000);
        assert.deepEqual(
          ivan.messages.filter((m) => m.type === 'privmsg' && m.nick === ivyContext.nick && m !== ivyContext).map((m) => m.message),
          ['Where is my refund?', 'It was order 77', 'Thank you'].map(line),
        );
        assert.equal(ivy.inbox.filter(told(1)).length, 1, 'told their place once');
        assert.equal(
          hank.inbox.some((m) => m.request.from.uri.toString() === BILLING && m.request.body.includes('in line')),
          false,
          'the agent took the first at once: no queue message',
        );
        assert.equal(judy.inbox.filter((m) => m.request.from.uri.toString() === BILLING).length, 1, 'told once, not again when their place changes');
        assert.equal(
          ivan.messages.some((m) => m.message.endsWith('Can I pay by card?')),
          false,
          'the second in line still waits',
        );
      } finally {
        await Promise.all(users.map((user) => user.stop()));
      }
    });

    it('answers 404 for a user part under the visitor domain that is no one, as before', async () => {
      const refused = await carol.request(`sip:nobody@${VISITOR_DOMAIN}`, 'hello?');
      assert.equal(refused.statusCode, 404);
    });
  });

  describe('a team serving several sites with none set for SIP customers', () => {
    it('refuses the customer with 403 and a Warning that says why', async () => {
      const t = await startBridge({
        teams: [{ id: 'support', name: 'Support', members: [IRC_AGENT], sites: [SITE, 'other-site'] }],
        networks: bridgeNetworks(),
      });
      const erin = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'erin', 'erinpw');
      try {
        await online(t);
        const refused = await erin.request(TEAM, 'hello?');
        assert.equal(refused.statusCode, 403);
        assert.equal(refused.reasonPhrase, 'Team Takes No Messages From SIP');
        assert.match(refused.warning ?? '', /^399 \S+ "Support serves several sites, and none of them is set for customers writing from SIP/);
      } finally {
        await erin.stop();
        await t.stop();
      }
    });
  });

  describe("the bridge's own account writing to the team's URI (another device on it, or a request looped back)", () => {
    it('refuses it with 403 Customers Only, and opens no conversation', async () => {
      const t = await startBridge({ teams: [{ id: 'support', name: 'Support', members: [IRC_AGENT], sites: [SITE] }], networks: bridgeNetworks() });
      const self = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'switchboard', 'bridgepw');
      try {
        await online(t);
        const refused = await self.request(TEAM, 'hello from the bridge itself');
        assert.deepEqual([refused.statusCode, refused.reasonPhrase], [403, 'Customers Only']);
        assert.deepEqual(await t.bridge.store.listConversations({ siteKey: SITE, limit: 10 }), []);
      } finally {
        await self.stop();
        await t.stop();
      }
    });
  });

  describe("an agent of the team writing to the team's URI", () => {
    it('refuses them with 403 and a Warning that says what the address is for, and opens no conversation', async () => {
      const ERIN = `sip:erin@${kamailio.domain}`;
      const t = await startBridge({
        teams: [{ id: 'support', name: 'Support', members: [IRC_AGENT, ERIN], sites: [SITE] }],
        networks: bridgeNetworks(),
      });
      const erin = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'erin', 'erinpw');
      try {
        await online(t);
        const refused = await erin.request(TEAM, 'testing the team address');
        assert.equal(refused.statusCode, 403);
        assert.match(refused.warning ?? '', /^399 \S+ "You are an agent of team support: this address is for its customers\./);
        assert.deepEqual(await t.bridge.store.listConversations({ siteKey: SITE, limit: 10 }), []);
      } finally {
        await erin.stop();
        await t.stop();
      }
    });
  });

  describe('a customer writing faster than the limit', () => {
    it('answers 480 Rate Limited with Retry-After and a Warning, which reach the customer through the proxy', async () => {
      const t = await startBridge({
        teams: [{ id: 'support', name: 'Support', members: [IRC_AGENT], sites: [SITE] }],
        networks: bridgeNetworks(),
        limits: { customers: { conversationsPerHour: 10, messagesPerMinute: 2 } },
      });
      const erin = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'erin', 'erinpw');
      try {
        await online(t);
        assert.equal(await erin.send(TEAM, 'one'), 200);
        assert.equal(await erin.send(TEAM, 'two'), 200);
        const refused = await erin.request(TEAM, 'three');
        assert.deepEqual([refused.statusCode, refused.reasonPhrase, refused.retryAfter], [480, 'Rate Limited', '60']);
        assert.match(refused.warning ?? '', /^399 \S+ "Too many messages: at most 2 a minute; wait a little/);
      } finally {
        await erin.stop();
        await t.stop();
      }
    });
  });

  describe('outside business hours', () => {
    it('sends the offline message back by SIP from the team URI, and the IRC agent gets the message when the team opens', async () => {
      const clock = new ManualClock(new Date('2026-11-28T10:00:00+01:00')); // a Saturday in Paris
      const t = await startBridge(
        {
          teams: [{ id: 'support', name: 'Support', members: [IRC_AGENT], sites: [SITE], hours: HOURS, offlineMessage: 'We are away; we answer on Monday.' }],
          networks: bridgeNetworks(),
        },
        { clock },
      );
      const frank = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'frank', 'frankpw');
      try {
        await online(t);
        assert.equal(await frank.send(TEAM, 'Anyone there?'), 200);
        const offline = await frank.next(fromTeam('We are away; we answer on Monday.'), 15_000);
        assert.match(offline.request.getHeader('From') ?? '', /^"Support" </);
        assert.equal(
          alice.messages.some((m) => m.message === 'Anyone there?'),
          false,
          'closed: no agent has it yet',
        );
        clock.set(new Date('2026-11-30T09:00:00+01:00')); // Monday 09:00: the opening timer runs
        const got = await alice.next((m) => m.message === 'Anyone there?', 15_000);
        alice.say(got.nick, 'Good morning, how can I help?');
        await frank.next(fromTeam('Good morning, how can I help?'), 15_000);
      } finally {
        await frank.stop();
        await t.stop();
      }
    });
  });

  describe('a kill -9 of the bridge in the middle of the conversation', () => {
    it('loses nothing: what the customer got a 200 for is stored, an answer waiting in the outbox is delivered after the restart', async (context) => {
      const dir = mkdtempSync(join(tmpdir(), 'switchboard-sip-crash-'));
      context.after(() => rmSync(dir, { recursive: true, force: true }));
      const configPath = join(dir, 'config.json');
      const teams = [{ id: 'support', name: 'Support', members: [IRC_AGENT, 'web:a_bob'], sites: [SITE], capacity: 100 }];
      writeFileSync(configPath, JSON.stringify({ ...baseConfig(dir, { teams, networks: bridgeNetworks() }), log: { level: 'info' } }));
      const carol = await connectSipAgent(kamailio.wsUrl, kamailio.domain, 'carol', 'carolpw');
      const CAROL: Address = `sip:carol@${kamailio.domain}`;
      context.after(() => carol.stop());

      const first = await runCli(configPath);
      context.after(() => first.child.kill('SIGKILL'));
      // Registered on the proxy and on IRC: the customer's first message reaches the IRC agent.
      await until(async () => (await carol.send(TEAM, 'Before the crash')) === 200, 20_000, 'the bridge to take the first message');
      const got = await alice.next((m) => m.message === 'Before the crash', 15_000);
      alice.say(got.nick, 'First answer');
      await carol.next(fromTeam('First answer'), 15_000);

      // The customer's phone is away (480): the next answer waits in the outbox.
      carol.answer = { statusCode: 480, reasonPhrase: 'Temporarily Unavailable' };
      alice.say(got.nick, 'Queued answer');
      await carol.next(fromTeam('Queued answer'), 15_000);
      // A message the customer gets a 200 for, and at once the crash.
      assert.equal(await carol.send(TEAM, 'Acked right before the crash'), 200);
      await crash(first.child);

      carol.inbox.length = 0;
      carol.answer = { statusCode: 200 };
      const second = await runCli(configPath);
      try {
        await carol.next(fromTeam('Queued answer'), 30_000);
        const again = await connectTo(context, second.url, agentAuth('bob'));
        const listed = await call(again.socket, 'conversation:list', {});
        const mine = listed.conversations.filter((c) => c.participants.includes(CAROL));
        assert.equal(mine.length, 1);
        const history = await call(again.socket, 'history:get', { conversationId: mine[0]!.id });
        assert.deepEqual(
          history.messages.map((m) => `${m.from === CAROL ? 'customer' : m.from}: ${m.text}`),
          ['customer: Before the crash', `${IRC_AGENT}: First answer`, `${IRC_AGENT}: Queued answer`, 'customer: Acked right before the crash'],
        );
        // The conversation goes on after the restart.
        assert.equal(await carol.send(TEAM, 'After the restart'), 200);
        await alice.next((m) => m.message === 'After the restart', 15_000);
        const later = await call(again.socket, 'history:get', { conversationId: mine[0]!.id });
        assert.equal(later.messages.at(-1)?.text, 'After the restart');
        again.socket.disconnect();
      } finally {
        second.child.kill('SIGTERM');
        assert.equal(await exited(second.child), 0);
      }
    });
  });
});
