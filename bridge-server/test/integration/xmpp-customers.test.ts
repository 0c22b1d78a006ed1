// Customers on their own XMPP accounts writing to a team's JID of the component (docs/customers.md),
// against a real Prosody: the customer is a plain @xmpp/client user, the agents web and XMPP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
import { crash, exited, writeCliConfig } from '../cli-process.js';
import {
  OTHER_SECRET,
  OTHER_SITE,
  SITE,
  type TestBridge,
  type V1Socket,
  agentAuth,
  call,
  collect,
  connect,
  connectTo,
  next,
  startBridge,
  until,
  watchPresence,
} from '../helpers.js';
import { ManualClock } from '../manual-clock.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import {
  type Agent,
  askingReceipt,
  chatWithOriginId,
  connectAgent,
  correction,
  isChatFrom,
  replacedBy,
  retractedBy,
  retraction,
  xml,
  bare,
} from '../xmpp-agent.js';
import { customerBeforeCrash, runXmppCli, untilGone, whenTeamOpens } from '../xmpp-customer-desk.js';

const CUSTOMER = 'xmpp:carol@localhost';
const RECEIPTS = 'urn:xmpp:receipts';
const CHAT_STATES = 'http://jabber.org/protocol/chatstates';
const NICK = 'http://jabber.org/protocol/nick';
const MARKERS = 'urn:xmpp:chat-markers:0';
const HOURS = { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } };

type Stanza = ReturnType<typeof xml>;

const CLOSE_MESSAGE = 'This conversation is closed. Write to us again any time.';

describe('customers writing from XMPP to a team (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  before(async () => {
    prosody = await startProsody({
      users: [
        ['carol', 'carolpw'],
        ['dave', 'davepw'],
        ['erin', 'erinpw'],
        ...['frank', 'gina', 'hank', 'ivy', 'judy', 'kim', 'lena', 'mike', 'nina', 'olga'].map((user): [string, string] => [user, `${user}pw`]),
      ],
    });
  });
  after(async () => {
    await prosody?.destroy();
  });

  /** The customer's message to the team's JID, with an origin-id (XEP-0359) that a retransmission repeats. */
  const write = (customer: Agent, to: string, text: string, id: string) => customer.send(chatWithOriginId(to, text, id));

  describe('while the team is open', () => {
    let t: TestBridge;
    let carol: Agent;
    let team: string;
    before(async () => {
      t = await startBridge({
        teams: [
          { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100, closeMessage: CLOSE_MESSAGE },
          { id: 'sales', members: ['xmpp:erin@localhost'], sites: [SITE], capacity: 100 },
        ],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      carol = await connectAgent(prosody.c2sPort, 'carol', 'carolpw');
      team = `support@${prosody.componentDomain}`;
    });
    after(async () => {
      await carol?.stop();
      await t?.stop();
    });

    it('names the team in service discovery', async () => {
      await carol.send(xml('iq', { type: 'get', to: team, id: 'disco-1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const answer = await carol.next((s) => s.is('iq') && s.attrs.id === 'disco-1');
      const identity = answer.getChild('query')?.getChild('identity');
      assert.deepEqual(identity?.attrs, { category: 'client', type: 'web', name: 'Support' });
    });

    it("shows a subscribed customer the team's availability as the team JID's presence", async () => {
      const isPresence = (type: string | undefined) => (s: Stanza) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === type;
      await carol.send(xml('presence', { type: 'subscribe', to: team }));
      // (The `subscribed` answer updates the roster; Prosody hands it only to resources that asked for the roster.)
      await carol.next(isPresence('unavailable'));
      const alice = await connect(t, agentAuth('alice'));
      await carol.next(isPresence(undefined));
      alice.socket.disconnect();
      await until(() => carol.stanzas.filter(isPresence('unavailable')).length === 2, 5000, 'the team unavailable again');
    });

    it('opens a team conversation, answered by a web agent from the team JID, and keeps later messages in it', async () => {
      const alice = await connect(t, agentAuth('alice'));
      const offered = next(alice.socket, 'conversation', (c) => c.team === 'support' && c.participants.includes(CUSTOMER) && c.assignee !== undefined);
      const atAgent = collect(alice.socket, 'message');
      await write(carol, team, 'My order has not arrived', 'c-1');
      const conversation: Conversation = await offered;
      assert.equal(conversation.assignee, 'web:a_alice');
      await until(() => atAgent.some((m) => m.text === 'My order has not arrived'), 5000, 'the customer message at the agent');

      // The customer's chat states (XEP-0085) reach the agent; the agent's come from the team JID.
      const typing = next(alice.socket, 'typing', (e) => e.from === CUSTOMER && e.state === 'composing');
      await carol.send(xml('message', { type: 'chat', to: team }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
      await typing;
      await call(alice.socket, 'typing', { conversationId: conversation.id, state: 'composing' });
      await carol.next((s) => s.is('message') && bare(s.attrs.from) === team && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined);
      await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Let me look into it' });
      const answer = await carol.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Let me look into it');
      assert.equal(answer.getChildText('nick', 'http://jabber.org/protocol/nick'), 'alice');

      // The next message goes to the same conversation; a retransmission (same origin-id) is stored once.
      await write(carol, team, 'It is order 42', 'c-2');
      await write(carol, team, 'It is order 42', 'c-2');
      await until(() => atAgent.some((m) => m.text === 'It is order 42'), 5000, 'the second message');
      const history = await call(alice.socket, 'history:get', { conversationId: conversation.id });
      const texts = history.messages.filter((m: Message) => m.from === CUSTOMER).map((m: Message) => m.text);
      assert.deepEqual(texts, ['My order has not arrived', 'It is order 42']);

      // Closed (twice at the same moment, as by two agents): the customer is told once, in the
      // team's words, and the next message opens a new conversation.
      const closes = await Promise.all([0, 1].map(() => call(alice.socket, 'conversation:close', { conversationId: conversation.id })));
      assert.deepEqual(
        closes.map((c: { conversation: Conversation }) => c.conversation.state),
        ['closed', 'closed'],
      );
      const told = await carol.next((s) => isChatFrom(team)(s) && s.getChildText('body') === CLOSE_MESSAGE);
      assert.equal(told.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Support');
      const closedHistory = await call(alice.socket, 'history:get', { conversationId: conversation.id });
      assert.deepEqual(closedHistory.messages.at(-1), { ...closedHistory.messages.at(-1), from: 'team:support', text: CLOSE_MESSAGE });
      assert.equal(closedHistory.messages.filter((m: Message) => m.text === CLOSE_MESSAGE).length, 1, 'the close said once');
      const reopened = next(alice.socket, 'conversation', (c) => c.participants.includes(CUSTOMER) && c.id !== conversation.id && c.state === 'open');
      await write(carol, team, 'One more question', 'c-3');
      const second = await reopened;
      assert.equal(second.team, 'support');
      alice.socket.disconnect();
    });

    it("keeps the nick the customer's client gives as their name, for the console and /whois, updated when it changes", async () => {
      const alice = await connect(t, agentAuth('alice'));
      const atAgent = collect(alice.socket, 'message');
      const named = (text: string, nick: string, id: string) =>
        xml(
          'message',
          { type: 'chat', to: team, id },
          xml('body', {}, text),
          xml('nick', { xmlns: NICK }, nick),
          xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }),
        );
      await carol.send(named('Hello, it is me again', 'Carol\nSmith', 'n-1'));
      await until(() => atAgent.some((m) => m.text === 'Hello, it is me again'), 5000, 'the named message at the agent');
      const { party } = await call(alice.socket, 'party:get', { address: CUSTOMER });
      assert.equal(party.name, 'Carol Smith', 'one line, as typed');
      assert.equal(party.verified, false);
      const conversationId = atAgent.find((m) => m.text === 'Hello, it is me again')!.conversationId;
      const ref = conversationId.slice(-5).toLowerCase();
      assert.match((await call(alice.socket, 'agent:command', { text: `/whois ${ref}` })).answer, new RegExp(`^#${ref}: Carol Smith\n`));

      await carol.send(named('Call me Caro', 'Caro', 'n-2'));
      await until(() => atAgent.some((m) => m.text === 'Call me Caro'), 5000, 'the renamed message at the agent');
      assert.equal((await call(alice.socket, 'party:get', { address: CUSTOMER })).party.name, 'Caro');
      alice.socket.disconnect();
    });

    it('carries the customer to an XMPP agent of the team and the answer back from the team JID', async () => {
      const erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
      try {
        const sales = `sales@${prosody.componentDomain}`;
        // The customer is shown to the agent as a contact of the component, like a website visitor.
        const puppet = `xmpp\\3acarol\\40localhost@${prosody.componentDomain}`;
        await write(carol, sales, 'Do you ship to Norway?', 's-1');
        await erin.next((s) => isChatFrom(puppet)(s) && s.getChildText('body') === 'Do you ship to Norway?', 15_000);
        await erin.send(xml('message', { type: 'chat', to: puppet, id: 'e-1' }, xml('body', {}, 'Yes, we do')));
        await carol.next((s) => isChatFrom(sales)(s) && s.getChildText('body') === 'Yes, we do');
      } finally {
        await erin.stop();
      }
    });

    it('carries corrections (XEP-0308) both ways between the customer and an XMPP agent, each naming the stanza the other side got', async () => {
      const erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
      try {
        const sales = `sales@${prosody.componentDomain}`;
        const puppet = `xmpp\\3acarol\\40localhost@${prosody.componentDomain}`;
        await write(carol, sales, 'Do you ship to Norwya?', 'lmc-c1');
        const question = await erin.next((s) => isChatFrom(puppet)(s) && s.getChildText('body') === 'Do you ship to Norwya?', 15_000);
        await carol.send(correction(sales, 'Do you ship to Norway?', 'lmc-c2', 'lmc-c1'));
        const corrected = await erin.next((s) => isChatFrom(puppet)(s) && s.getChildText('body') === 'Do you ship to Norway?');
        assert.equal(replacedBy(corrected), question.attrs.id, 'the correction names the stanza the agent got');

        await erin.send(xml('message', { type: 'chat', to: puppet, id: 'lmc-e1' }, xml('body', {}, 'We ship tehre')));
        const answer = await carol.next((s) => isChatFrom(sales)(s) && s.getChildText('body') === 'We ship tehre');
        assert.equal(replacedBy(answer), undefined);
        await erin.send(correction(puppet, 'We ship there', 'lmc-e2', 'lmc-e1'));
        const fixed = await carol.next((s) => isChatFrom(sales)(s) && s.getChildText('body') === 'We ship there');
        assert.equal(replacedBy(fixed), answer.attrs.id, 'the correction names the stanza the customer got');

        // A retraction (XEP-0424) takes the customer's message back on the agent's side too.
        await carol.send(retraction(sales, 'lmc-c3', 'lmc-c1'));
        const retracted = await erin.next((s) => isChatFrom(puppet)(s) && retractedBy(s) !== undefined);
        assert.equal(retractedBy(retracted), question.attrs.id, 'the retraction names the stanza the agent got');
        assert.ok(retracted.getChild('fallback', 'urn:xmpp:fallback:0'), 'its body is marked a fallback (XEP-0428)');
      } finally {
        await erin.stop();
      }
    });

    it('sends the customer XEP-0333 <displayed> for their markable messages once a web agent or an XMPP agent reads them', async () => {
      const markable = (to: string, text: string, id: string) =>
        xml('message', { type: 'chat', to, id }, xml('body', {}, text), xml('markable', { xmlns: MARKERS }), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id }));
      const displayedAt = (from: string, id: string) => (s: Stanza) => bare(s.attrs.from) === from && s.getChild('displayed', MARKERS)?.attrs.id === id;

      // A web agent reads it in the console.
      const alice = await connect(t, agentAuth('alice'));
      const atAgent = collect(alice.socket, 'message');
      await carol.send(markable(team, 'Please read me', 'mk-1'));
      await until(() => atAgent.some((m) => m.text === 'Please read me'), 5000, 'the message at the web agent');
      const read = atAgent.find((m) => m.text === 'Please read me')!;
      await call(alice.socket, 'read', { conversationId: read.conversationId, seq: read.seq });
      await carol.next(displayedAt(team, 'mk-1'));
      alice.socket.disconnect();

      // An XMPP agent's client displays it: the marker reaches the customer from the team's JID, naming their own id.
      const erin = await connectAgent(prosody.c2sPort, 'erin', 'erinpw');
      try {
        const sales = `sales@${prosody.componentDomain}`;
        const puppet = `xmpp\\3acarol\\40localhost@${prosody.componentDomain}`;
        await carol.send(markable(sales, 'Do you read me too?', 'mk-2'));
        const got = await erin.next((s) => isChatFrom(puppet)(s) && s.getChildText('body') === 'Do you read me too?', 15_000);
        await erin.send(xml('message', { type: 'chat', to: puppet }, xml('displayed', { xmlns: MARKERS, id: got.attrs.id })));
        await carol.next(displayedAt(sales, 'mk-2'));
      } finally {
        await erin.stop();
      }
    });

    it('relays a reaction (XEP-0444) as words quoting the message it is about, and refuses one to a message of no open conversation of theirs', async () => {
      const reaction = (id: string, emojis: string[], stanzaId: string) =>
        xml(
          'message',
          { type: 'chat', to: team, id: stanzaId },
          xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id }, ...emojis.map((emoji) => xml('reaction', {}, emoji))),
        );
      const alice = await connect(t, agentAuth('alice'));
      const atAgent = collect(alice.socket, 'message');
      await write(carol, team, 'Is the blue one in stock?', 'rx-1');
      await until(() => atAgent.some((m) => m.text === 'Is the blue one in stock?'), 5000, 'the question at the web agent');
      const { conversationId } = atAgent.find((m) => m.text === 'Is the blue one in stock?')!;
      await call(alice.socket, 'message:send', {
        conversationId,
        clientId: 'rx-a1',
        text: 'Yes, we have three left in the warehouse in Lyon, ready to ship today',
      });
      const answer = await carol.next((s) => isChatFrom(team)(s) && (s.getChildText('body') ?? '').startsWith('Yes, we have three'));

      await carol.send(reaction(answer.attrs.id!, ['👍', '👨‍👩‍👧'], 'rx-2'));
      await until(() => atAgent.some((m) => m.text.startsWith('reacted')), 5000, 'the reaction at the web agent');
      const relayed = atAgent.find((m) => m.text.startsWith('reacted'))!;
      assert.equal(relayed.text, 'reacted 👍 👨‍👩‍👧 to: "Yes, we have three left in the warehouse in Lyon, ready to s…"');
      assert.equal(relayed.from, CUSTOMER);
      assert.equal(relayed.conversationId, conversationId);
      await carol.send(reaction(answer.attrs.id!, [], 'rx-3'));
      await until(() => atAgent.some((m) => m.text.startsWith('took back')), 5000, 'the reaction taken back at the web agent');

      // A reaction to a message the bridge does not know (or of a closed conversation) reaches no one, and says so.
      await carol.send(reaction('no-such-message', ['👍'], 'rx-4'));
      const error = await carol.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'rx-4');
      assert.ok(error.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      await call(alice.socket, 'conversation:close', { conversationId });
      await carol.send(reaction(answer.attrs.id!, ['🎉'], 'rx-5'));
      await carol.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'rx-5');
      assert.equal(atAgent.filter((m) => m.text.startsWith('reacted')).length, 1, 'no new conversation for a reaction');
      alice.socket.disconnect();
    });

    it('refuses a JID that is no team and no party, saying so', async () => {
      await write(carol, `nobody@${prosody.componentDomain}`, 'hello?', 'c-9');
      const error = await carol.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'c-9');
      assert.ok(error.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    });
  });

  describe('queued, then answered by a web agent and by an XMPP agent after a transfer', () => {
    const GINA = 'xmpp:gina@localhost';
    const HANK = 'xmpp:hank@localhost';
    const FRANK = 'xmpp:frank@localhost';
    /** The web agent as the core knows it: web addresses are per site. */
    const ALICE = `web:a_alice@${SITE}` as const;
    let t: TestBridge;
    let team: string;
    /** A customer's JID under the component, as XMPP agents see it. */
    let puppetOf: (user: string) => string;
    before(async () => {
      t = await startBridge({
        teams: [
          {
            id: 'support',
            name: 'Support',
            members: ['web:a_alice', { id: 'frank', name: 'Frank', addresses: [FRANK] }],
            sites: [SITE],
            capacity: 100,
            canned: { thanks: 'Thank you for writing to us!' },
            closeMessage: CLOSE_MESSAGE,
          },
        ],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      team = `support@${prosody.componentDomain}`;
      puppetOf = (user) => `xmpp\\3a${user}\\40localhost@${prosody.componentDomain}`;
    });
    after(async () => {
      await t?.stop();
    });

    const presenceOf = (address: `xmpp:${string}` | `web:${string}`) => t.bridge.core.presence.get(address).status;

    it('queues the customer while no agent is available, then carries typing and receipts both ways to a web agent and, after /transfer, to an XMPP agent', async () => {
      const gina = await connectAgent(prosody.c2sPort, 'gina', 'ginapw');
      const frank = await connectAgent(prosody.c2sPort, 'frank', 'frankpw', { presence: false });
      try {
        const alice = await connect(t, agentAuth('alice'));
        await call(alice.socket, 'presence:set', { status: 'away' });
        await until(() => presenceOf(ALICE) === 'away', 5000, 'alice away');

        // No agent available: the conversation waits in the team's queue, and the customer is told
        // their place once, from the team's JID (a website visitor sees it as `queue:position`).
        const queued = next(alice.socket, 'conversation', (c) => c.participants.includes(GINA) && c.state === 'open');
        await gina.send(askingReceipt(team, 'I need help with my bill', 'g-1'));
        const conversation: Conversation = await queued;
        assert.equal(conversation.assignee, undefined);
        await gina.next((s) => bare(s.attrs.from) === team && s.getChild('received', RECEIPTS)?.attrs.id === 'g-1');
        const ref = conversation.id.slice(-5).toLowerCase();
        const list = await call(alice.socket, 'agent:command', { text: '/list' });
        assert.match(list.answer, new RegExp(`Waiting in your teams' queues:\\n#${ref} ${GINA} \\(waiting, 1 message\\)`));
        const QUEUED = 'No agent is available right now; you are number 1 in line. We will answer here.';
        const queueNotice = await gina.next((s) => isChatFrom(team)(s) && s.getChildText('body') === QUEUED);
        assert.equal(queueNotice.getChildText('nick', NICK), 'Support');
        // The team's JID says the same meanwhile: away (its agents are online, none is available), not busy.
        await gina.send(xml('presence', { type: 'probe', to: team }));
        const shown = await gina.next((s) => s.is('presence') && bare(s.attrs.from) === team);
        assert.equal(shown.attrs.type, undefined);
        assert.equal(shown.getChildText('show'), 'away');
        await gina.send(askingReceipt(team, 'It is the one from November', 'g-0'));
        await gina.next((s) => bare(s.attrs.from) === team && s.getChild('received', RECEIPTS)?.attrs.id === 'g-0');

        // Alice becomes available: the queue gives her the conversation.
        const assigned = next(alice.socket, 'conversation', (c) => c.id === conversation.id && c.assignee === 'web:a_alice');
        await call(alice.socket, 'presence:set', { status: 'available' });
        await assigned;

        // Chat states both ways, and the answer's receipt back to the agent.
        const typing = next(alice.socket, 'typing', (e) => e.from === GINA && e.state === 'composing');
        await gina.send(xml('message', { type: 'chat', to: team }, xml('composing', { xmlns: CHAT_STATES })));
        await typing;
        await call(alice.socket, 'typing', { conversationId: conversation.id, state: 'composing' });
        await gina.next((s) => bare(s.attrs.from) === team && s.getChild('composing', CHAT_STATES) !== undefined && s.getChildText('body') === null);
        const statuses = collect(alice.socket, 'message:status');
        const sent = await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Which invoice is it?' });
        const answer = await gina.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Which invoice is it?');
        assert.equal(answer.getChildText('nick', NICK), 'alice');
        await gina.send(xml('message', { to: team }, xml('received', { xmlns: RECEIPTS, id: answer.attrs.id })));
        await until(() => statuses.some((st) => st.id === sent.message.id && st.status === 'delivered'), 5000, "alice's answer delivered");

        // An XMPP agent comes online, and alice hands the conversation over.
        await frank.send(xml('presence'));
        await until(() => presenceOf(FRANK) === 'available', 10_000, 'frank available');
        const moved = await call(alice.socket, 'agent:command', { text: `/transfer ${ref} frank` });
        assert.match(moved.answer, new RegExp(`#${ref} is now with .*\\(${FRANK}\\)`));
        const fromGina = isChatFrom(puppetOf('gina'));
        const context = await frank.next((s) => fromGina(s) && (s.getChildText('body') ?? '').startsWith(`#${ref} `), 10_000);
        assert.match(context.getChildText('body')!, new RegExp(`^#${ref} ${GINA} \\(vouched: .*\\), team support\\.`));
        await frank.next((s) => fromGina(s) && s.getChildText('body') === 'I need help with my bill');

        // The XMPP agent's answer reaches the customer from the team's JID; the customer's receipt reaches the agent.
        await frank.send(askingReceipt(puppetOf('gina'), 'It is invoice 7, corrected now', 'f-1'));
        const second = await gina.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'It is invoice 7, corrected now');
        // Named as the team's configuration names the XMPP agent (it has no profile of its own).
        assert.equal(second.getChildText('nick', NICK), 'Frank');
        await gina.send(xml('message', { to: team }, xml('received', { xmlns: RECEIPTS, id: second.attrs.id })));
        await frank.next((s) => bare(s.attrs.from) === puppetOf('gina') && s.getChild('received', RECEIPTS)?.attrs.id === 'f-1');
        // And the customer's message, with a receipt on the team's behalf once stored.
        await gina.send(askingReceipt(team, 'Thank you', 'g-2'));
        await gina.next((s) => bare(s.attrs.from) === team && s.getChild('received', RECEIPTS)?.attrs.id === 'g-2');
        await frank.next((s) => fromGina(s) && s.getChildText('body') === 'Thank you');

        // Chat states between them.
        await gina.send(xml('message', { type: 'chat', to: team }, xml('composing', { xmlns: CHAT_STATES })));
        await frank.next((s) => bare(s.attrs.from) === puppetOf('gina') && s.getChild('composing', CHAT_STATES) !== undefined);
        await frank.send(xml('message', { type: 'chat', to: puppetOf('gina') }, xml('composing', { xmlns: CHAT_STATES })));
        await gina.next(
          (s) => bare(s.attrs.from) === team && s.getChild('composing', CHAT_STATES) !== undefined && gina.stanzas.indexOf(s) > gina.stanzas.indexOf(second),
        );
        assert.equal(gina.stanzas.filter((s) => s.getChildText('body') === QUEUED).length, 1, 'told their place once, not on each message');
        const history = await call(alice.socket, 'history:get', { conversationId: conversation.id });
        assert.equal(
          history.messages.some((m: Message) => m.text === QUEUED),
          false,
          'no message of the conversation',
        );
        // Closed: the team's words from its JID carry the team's name again, after Frank's answers
        // (a client shows the nick it last received from that JID).
        await call(alice.socket, 'conversation:close', { conversationId: conversation.id });
        const told = await gina.next((s) => isChatFrom(team)(s) && s.getChildText('body') === CLOSE_MESSAGE);
        assert.equal(told.getChildText('nick', NICK), 'Support');
        alice.socket.disconnect();
      } finally {
        await gina.stop();
        await frank.stop();
      }
    });

    it("runs an XMPP agent's /list, /claim, /history, /canned, /transfer and /close on a customer's conversation", async () => {
      const hank = await connectAgent(prosody.c2sPort, 'hank', 'hankpw');
      const frank = await connectAgent(prosody.c2sPort, 'frank', 'frankpw', { presence: false });
      try {
        await frank.send(xml('presence', {}, xml('show', {}, 'dnd')));
        await until(() => presenceOf(FRANK) === 'busy' && presenceOf(ALICE) === 'offline', 10_000, 'no agent available');
        const bridgeJid = prosody.componentDomain;
        const ask = async (text: string) => {
          const seen = frank.stanzas.length;
          await frank.send(xml('message', { type: 'chat', to: bridgeJid }, xml('body', {}, text)));
          const answer = await frank.next((s) => frank.stanzas.indexOf(s) >= seen && isChatFrom(bridgeJid)(s));
          return answer.getChildText('body')!;
        };

        await write(hank, team, 'Where is my parcel?', 'h-1');
        let ref = '';
        await until(
          async () => {
            ref = /#([0-9a-z]{5}) xmpp:hank@localhost \(waiting, 1 message\)/.exec(await ask('/list'))?.[1] ?? '';
            return ref !== '';
          },
          5000,
          "hank's conversation in the queue",
        );
        assert.match(await ask(`/claim ${ref}`), new RegExp(`^You have #${ref}`));
        await frank.next((s) => isChatFrom(puppetOf('hank'))(s) && s.getChildText('body') === 'Where is my parcel?');
        assert.equal(await ask(`/claim ${ref}`), `#${ref} is yours already.`, 'nothing follows a claim of one of his own');
        assert.match(await ask('/list'), new RegExp(`Your open conversations:\\n#${ref} ${HANK} \\(with ${FRANK}, 1 message\\)`));
        assert.match(await ask(`/history ${ref}`), new RegExp(`^Last 1 of #${ref}:\\n\\[\\d\\d:\\d\\d\\] ${HANK}: Where is my parcel\\?$`));
        // A message the customer took back shows as deleted; its retraction says nothing of its own.
        await write(hank, team, 'My card is 4111 0000', 'h-card');
        await frank.next((s) => isChatFrom(puppetOf('hank'))(s) && s.getChildText('body') === 'My card is 4111 0000');
        await hank.send(retraction(team, 'h-card-r', 'h-card'));
        await until(async () => (await ask(`/history ${ref} 3`)).endsWith('(deleted)'), 5000, 'the card taken back');
        // A note written after the retraction shows after the message it took back.
        assert.match(await ask(`/note ${ref} asked for the card again`), /^Noted on /);
        assert.match(
          await ask(`/history ${ref} 3`),
          new RegExp(
            `^Last 2 of #${ref}:\\n.*: Where is my parcel\\?\\n\\[\\d\\d:\\d\\d\\] ${HANK}: \\(deleted\\)\\n\\[\\d\\d:\\d\\d\\] \\[note\\] .*: asked for the card again$`,
          ),
        );
        assert.equal(await ask(`/canned thanks ${ref}`), `Sent "thanks" to #${ref}.`);
        await hank.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Thank you for writing to us!');

        const alice = await connect(t, agentAuth('alice'));
        const toAlice = next(alice.socket, 'conversation', (c) => c.participants.includes(HANK) && c.assignee === 'web:a_alice');
        // A member listed by address is named by it, as its site writes it (support-desk.md).
        assert.equal(await ask(`/transfer ${ref} alice`), `#${ref} is now with web:a_alice.`);
        await toAlice;
        await call(alice.socket, 'message:send', { conversationId: (await toAlice).id, clientId: 'a-9', text: 'It left our store today' });
        await hank.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'It left our store today');
        assert.match(
          await ask(`/history ${ref} 5`),
          new RegExp(
            `: Where is my parcel\\?\\n.*: \\(deleted\\)\\n.*\\[note\\] .*: asked for the card again\\n.*: Thank you for writing to us!\\n\\[\\d\\d:\\d\\d\\] alice: It left our store today$`,
          ),
        );
        assert.equal(await ask(`/close ${ref}`), `#${ref} is closed.`);
        // Closed: the customer's next message opens a new conversation.
        const reopened = next(alice.socket, 'conversation', (c) => c.participants.includes(HANK) && c.state === 'open' && !c.id.endsWith(ref));
        await write(hank, team, 'One more thing', 'h-2');
        await reopened;
        alice.socket.disconnect();
      } finally {
        await hank.stop();
        await frank.stop();
      }
    });
  });

  describe("the customer's own presence, shared with the team's JID", () => {
    const LENA = 'xmpp:lena@localhost';
    const MIKE = 'xmpp:mike@localhost';
    let t: TestBridge;
    before(async () => {
      t = await startBridge({
        teams: [{ id: 'support', name: 'Support', members: ['web:a_alice', { id: 'mike', addresses: [MIKE] }], sites: [SITE], capacity: 100 }],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    });
    after(async () => {
      await t?.stop();
    });

    it('is asked for in return of a subscription, and reaches the web agent and, after a transfer, the XMPP agent of the conversation', async () => {
      const team = `support@${prosody.componentDomain}`;
      const puppet = `xmpp\\3alena\\40localhost@${prosody.componentDomain}`;
      const lena = await connectAgent(prosody.c2sPort, 'lena', 'lenapw');
      const mike = await connectAgent(prosody.c2sPort, 'mike', 'mikepw', { presence: false });
      try {
        const alice = await connect(t, agentAuth('alice'));
        const changes = collect(alice.socket, 'presence');
        // The team's JID asks to see hers in return (RFC 6121 section 3.1); her client approves, and her server sends it.
        await lena.send(xml('presence', { type: 'subscribe', to: team }));
        await lena.next((s) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === 'subscribe');
        await until(() => t.bridge.core.presence.get(LENA).status === 'available', 10_000, "lena's presence known to the desk");

        const opened = next(alice.socket, 'conversation', (c) => c.participants.includes(LENA));
        await lena.send(chatWithOriginId(team, 'Is my order on its way?', 'l-1'));
        const conversation: Conversation = await opened;
        const watched = await call(alice.socket, 'presence:subscribe', { addresses: [LENA] });
        assert.deepEqual(
          watched.presences.map((p: { address: string; status: string }) => [p.address, p.status]),
          [[LENA, 'available']],
        );
        // An agent of another site, which she never wrote to, sees her as nobody: offline, and no changes.
        const zed = await connect(t, agentAuth('zed', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' });
        const seenByZed = collect(zed.socket, 'presence');
        assert.deepEqual((await call(zed.socket, 'presence:subscribe', { addresses: [LENA] })).presences, [{ address: LENA, status: 'offline' }]);
        await lena.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'In a meeting')));
        await until(() => changes.some((p) => p.address === LENA && p.status === 'away' && p.text === 'In a meeting'), 5000, 'lena away, to alice');
        assert.deepEqual(seenByZed, [], 'nothing of hers to the other site');
        zed.socket.disconnect();

        // An XMPP agent of the conversation sees her through the bridge: presence from her JID under the component.
        await mike.send(xml('presence'));
        await until(() => t.bridge.core.presence.get(MIKE).status === 'available', 10_000, 'mike available');
        const ref = conversation.id.slice(-5).toLowerCase();
        await call(alice.socket, 'agent:command', { text: `/transfer ${ref} mike` });
        await mike.next((s) => isChatFrom(puppet)(s) && s.getChildText('body') === 'Is my order on its way?', 10_000);
        await lena.send(xml('presence', {}, xml('show', {}, 'dnd')));
        await mike.next((s) => s.is('presence') && bare(s.attrs.from) === puppet && s.getChildText('show') === 'dnd', 10_000);
        await lena.stop();
        await mike.next((s) => s.is('presence') && bare(s.attrs.from) === puppet && s.attrs.type === 'unavailable', 10_000);
        await until(() => changes.some((p) => p.address === LENA && p.status === 'offline'), 5000, 'lena offline, to alice');
        // She sees the team's availability on its JID, never an agent's own presence.
        const presenceFrom = new Set(lena.stanzas.filter((s) => s.is('presence') && !s.attrs.from?.startsWith(lena.jid)).map((s) => bare(s.attrs.from)));
        assert.deepEqual([...presenceFrom], [team]);
        alice.socket.disconnect();
      } finally {
        await lena.stop();
        await mike.stop();
      }
    });

    it('is shown to the XMPP agent a new conversation goes to from the start, not only at its next change', async () => {
      const NINA = 'xmpp:nina@localhost';
      const team = `support@${prosody.componentDomain}`;
      const puppet = `xmpp\\3anina\\40localhost@${prosody.componentDomain}`;
      const nina = await connectAgent(prosody.c2sPort, 'nina', 'ninapw');
      const mike = await connectAgent(prosody.c2sPort, 'mike', 'mikepw');
      try {
        await until(() => t.bridge.core.presence.get(MIKE).status === 'available', 10_000, 'mike available');
        // She shares her presence with the team's JID (her client approves its request), and is away.
        await nina.send(xml('presence', { type: 'subscribe', to: team }));
        await nina.next((s) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === 'subscribe');
        await nina.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'On the train')));
        await until(() => t.bridge.core.presence.get(NINA).status === 'away', 10_000, "nina's presence known to the desk");

        // No web agent is online: her conversation goes to mike, who sees her away from her JID under the component.
        await nina.send(chatWithOriginId(team, 'Can I change my address?', 'n-1'));
        await mike.next((s) => isChatFrom(puppet)(s) && s.getChildText('body') === 'Can I change my address?', 10_000);
        const shown = await mike.next((s) => s.is('presence') && bare(s.attrs.from) === puppet, 10_000);
        assert.equal(shown.getChildText('show'), 'away');
        assert.equal(shown.getChildText('status'), 'On the train');
      } finally {
        await nina.stop();
        await mike.stop();
      }
    });
  });

  describe('one customer writing to two sites', () => {
    let t: TestBridge;
    let kim: Agent;
    before(async () => {
      t = await startBridge({
        teams: [
          { id: 'support', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
          { id: 'help', members: ['web:a_bob'], sites: [OTHER_SITE], capacity: 100 },
        ],
        networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      });
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      kim = await connectAgent(prosody.c2sPort, 'kim', 'kimpw');
    });
    after(async () => {
      await kim?.stop();
      await t?.stop();
    });

    it("is one party that both sites' agents see by name and find, whichever site heard the name last", async () => {
      const KIM = 'xmpp:kim@localhost';
      const alice = await connect(t, agentAuth('alice'));
      const bob = await connect(t, agentAuth('bob', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' });
      const atAlice = collect(alice.socket, 'message');
      const atBob = collect(bob.socket, 'message');
      const named = (team: string, text: string, nick: string, id: string) =>
        kim.send(xml('message', { type: 'chat', to: `${team}@${prosody.componentDomain}`, id }, xml('body', {}, text), xml('nick', { xmlns: NICK }, nick)));
      await named('help', 'A question for the other site', 'Kim', 'k-1');
      await until(() => atBob.some((m) => m.text === 'A question for the other site'), 5000, 'the message at the other site');
      await named('support', 'A question for this site', 'Kim', 'k-2');
      await until(() => atAlice.some((m) => m.text === 'A question for this site'), 5000, 'the message at this site');
      const nameAt = async (agent: V1Socket) => (await call(agent, 'party:get', { address: KIM })).party?.name;
      assert.deepEqual([await nameAt(alice.socket), await nameAt(bob.socket)], ['Kim', 'Kim']);

      // A new name given to this site: both sites see it, and find the customer by it.
      await named('support', 'It is Kim Lee, by the way', 'Kim Lee', 'k-3');
      await until(() => atAlice.some((m) => m.text === 'It is Kim Lee, by the way'), 5000, 'the renamed message');
      await until(async () => (await nameAt(bob.socket)) === 'Kim Lee', 5000, 'the new name at the other site');
      assert.equal(await nameAt(alice.socket), 'Kim Lee');
      for (const agent of [alice.socket, bob.socket]) {
        const { results } = await call(agent, 'inbox:search', { query: 'Kim Lee' });
        assert.deepEqual(results.filter((hit: { kind: string }) => hit.kind === 'customer').length, 1, 'the customer, in the conversation with this site');
      }
      alice.socket.disconnect();
      bob.socket.disconnect();
    });
  });

  describe('outside business hours', () => {
    let t: TestBridge;
    let dave: Agent;
    let clock: ManualClock;
    before(async () => {
      clock = new ManualClock(new Date('2026-11-28T10:00:00+01:00')); // a Saturday in Paris
      t = await startBridge(
        {
          teams: [{ id: 'support', members: ['web:a_alice'], sites: [SITE], hours: HOURS, offlineMessage: 'We are away; we answer on Monday.' }],
          networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
        },
        { clock },
      );
      await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
      dave = await connectAgent(prosody.c2sPort, 'dave', 'davepw');
    });
    after(async () => {
      await dave?.stop();
      await t?.stop();
    });

    it("sends the team's offline message back to the customer on XMPP", async () => {
      const team = `support@${prosody.componentDomain}`;
      await write(dave, team, 'Anyone there?', 'd-1');
      const offline = await dave.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'We are away; we answer on Monday.');
      assert.equal(offline.attrs.type, 'chat');
    });

    it("gives an agent the customer's message when the team opens", async () => {
      const IVY = 'xmpp:ivy@localhost';
      const team = `support@${prosody.componentDomain}`;
      const ivy = await connectAgent(prosody.c2sPort, 'ivy', 'ivypw');
      try {
        const alice = await connect(t, agentAuth('alice'));
        const conversations = collect(alice.socket, 'conversation');
        await write(ivy, team, 'My parcel is damaged', 'i-1');
        const offline = await ivy.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'We are away; we answer on Monday.');
        assert.equal(offline.getChildText('nick', NICK), 'support', "the team's name (its id when it has none)");
        assert.equal(
          conversations.some((c) => c.participants.includes(IVY) && c.assignee !== undefined),
          false,
          'closed: nobody gets it, although alice is online',
        );

        const { conversation, texts } = await whenTeamOpens(alice.socket, clock, IVY);
        assert.deepEqual(texts, ['My parcel is damaged', 'We are away; we answer on Monday.']);
        await call(alice.socket, 'message:send', { conversationId: conversation.id, clientId: 'a-1', text: 'Good morning, sorry about that' });
        await ivy.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Good morning, sorry about that');
      } finally {
        await ivy.stop();
      }
    });
  });
  it('loses nothing when the bridge is killed (kill -9) in the middle of a conversation', async (t) => {
    const team = `support@${prosody.componentDomain}`;
    const { config, first, alice, customer: judy, conversation } = await customerBeforeCrash(t, prosody, prosodyNetwork(prosody), { user: 'judy', door: team });
    // An answer acknowledged to the agent, then the crash before or while it goes out: the outbox sends it after the restart.
    await call(alice, 'message:send', { conversationId: conversation.id, clientId: 'a-2', text: 'Answer at the crash' });
    await crash(first.child);
    alice.disconnect();

    // While the component is away, the server tells the customer their message was not taken (nothing vanishes silently).
    await untilGone(judy, prosody.componentDomain);
    await judy.send(chatWithOriginId(team, 'While it was down', 'judy-2'));
    await judy.next((s) => s.attrs.type === 'error' && s.attrs.id === 'judy-2', 10_000);
    const second = await runXmppCli(config);
    try {
      await judy.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Answer at the crash', 15_000);
      const { socket: again } = await connectTo(t, second.url, agentAuth('alice'));
      // The retransmission of the first message (same origin-id) and the one the server refused, sent again.
      await judy.send(chatWithOriginId(team, 'Before the crash', 'judy-1'));
      await judy.send(chatWithOriginId(team, 'While it was down', 'judy-2'));
      await judy.send(chatWithOriginId(team, 'After the restart', 'judy-3'));
      const texts = async () => (await call(again, 'history:get', { conversationId: conversation.id })).messages.map((m: Message) => m.text);
      await until(async () => (await texts()).includes('After the restart'), 10_000, 'the messages after the restart');
      await call(again, 'message:send', { conversationId: conversation.id, clientId: 'a-3', text: 'Answer after the restart' });
      await judy.next((s) => isChatFrom(team)(s) && s.getChildText('body') === 'Answer after the restart', 10_000);
      assert.deepEqual(await texts(), [
        'Before the crash',
        'Answer before the crash',
        'Answer at the crash',
        'While it was down',
        'After the restart',
        'Answer after the restart',
      ]);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });

  it("shows a subscribed customer's presence to the site the team files its customers under, not to the team's other site", async (t) => {
    const bridge = await startBridge({
      teams: [{ id: 'shared', name: 'Shared', members: ['web:a_alice'], sites: [SITE, OTHER_SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody, { customers: { site: SITE } })],
    });
    t.after(() => bridge.stop());
    await until(() => bridge.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    const olga = await connectAgent(prosody.c2sPort, 'olga', 'olgapw');
    t.after(() => olga.stop());
    const team = `shared@${prosody.componentDomain}`;
    await olga.send(xml('presence', { type: 'subscribe', to: team }));
    await olga.next((s) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === 'subscribe');
    const OLGA = 'xmpp:olga@localhost';
    await until(() => bridge.bridge.core.presence.get(OLGA).status === 'available', 10_000, "olga's presence known to the desk");
    // She never wrote: the site her messages would go to sees her; the team's other site does not.
    const alice = await connect(bridge, agentAuth('alice'));
    await (await watchPresence(alice.socket, OLGA)).until('available', "olga, to the customers' site");
    const other = await connect(bridge, agentAuth('alice', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' });
    assert.deepEqual((await call(other.socket, 'presence:subscribe', { addresses: [OLGA] })).presences, [{ address: OLGA, status: 'offline' }]);
  });

  it("shows a subscribed customer the team's availability after the bridge is killed (kill -9) and restarted, without asking again, and knows theirs again", async (t) => {
    const team = `support@${prosody.componentDomain}`;
    const config = writeCliConfig(t, {
      teams: [{ id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
    });
    const kim = await connectAgent(prosody.c2sPort, 'kim', 'kimpw');
    t.after(() => kim.stop());
    const first = await runXmppCli(config);
    t.after(() => first.child.kill('SIGKILL'));
    await kim.send(xml('presence', { type: 'subscribe', to: team }));
    await kim.next((s) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === 'unavailable');
    // Her client approves the team's request to see her presence in return: it shows the team's name (XEP-0172).
    const asked = await kim.next((s) => s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === 'subscribe');
    assert.equal(asked.getChildText('nick', 'http://jabber.org/protocol/nick'), 'Support');
    const { socket: early } = await connectTo(t, first.url, agentAuth('alice'));
    await (await watchPresence(early, 'xmpp:kim@localhost')).until('available', "kim's presence known before the crash");
    await crash(first.child);

    const second = await runXmppCli(config);
    try {
      const seen = kim.stanzas.length;
      const { socket: alice } = await connectTo(t, second.url, agentAuth('alice'));
      // Probed from the team's JID once connected: her presence is known without her changing it.
      await (await watchPresence(alice, 'xmpp:kim@localhost')).until('available', "kim's presence known again");
      const available = await kim.next(
        (s) => kim.stanzas.indexOf(s) >= seen && s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === undefined,
        10_000,
      );
      alice.disconnect();
      const after = kim.stanzas.indexOf(available);
      await kim.next((s) => kim.stanzas.indexOf(s) > after && s.is('presence') && bare(s.attrs.from) === team && s.attrs.type === 'unavailable', 10_000);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await exited(second.child), 0);
    }
  });
});
