// Customers on their own XMPP accounts writing to a team's JID of the component (docs/customers.md),
// against a real Prosody: the customer is a plain @xmpp/client user, the agents web and XMPP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Conversation, Message } from '@switchboard/protocol';
import { SITE, type TestBridge, agentAuth, call, collect, connect, next, startBridge, until } from '../helpers.js';
import { ManualClock } from '../manual-clock.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { type Agent, chatWithOriginId, connectAgent, isChatFrom, xml } from '../xmpp-agent.js';

const CUSTOMER = 'xmpp:carol@localhost';
const HOURS = { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } };

type Stanza = ReturnType<typeof xml>;

describe('customers writing from XMPP to a team (component mode) against a real Prosody', () => {
  let prosody: ProsodyServer;
  before(async () => {
    prosody = await startProsody({
      users: [
        ['carol', 'carolpw'],
        ['dave', 'davepw'],
        ['erin', 'erinpw'],
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
          { id: 'support', name: 'Support', members: ['web:a_alice'], sites: [SITE], capacity: 100 },
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
      const isPresence = (type: string | undefined) => (s: Stanza) => s.is('presence') && s.attrs.from === team && s.attrs.type === type;
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
      await carol.next((s) => s.is('message') && s.attrs.from === team && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined);
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

      // Closed: the next message opens a new conversation.
      await call(alice.socket, 'conversation:close', { conversationId: conversation.id });
      const reopened = next(alice.socket, 'conversation', (c) => c.participants.includes(CUSTOMER) && c.id !== conversation.id && c.state === 'open');
      await write(carol, team, 'One more question', 'c-3');
      const second = await reopened;
      assert.equal(second.team, 'support');
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

    it('refuses a JID that is no team and no party, saying so', async () => {
      await write(carol, `nobody@${prosody.componentDomain}`, 'hello?', 'c-9');
      const error = await carol.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'c-9');
      assert.ok(error.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    });
  });

  describe('outside business hours', () => {
    let t: TestBridge;
    let dave: Agent;
    before(async () => {
      const clock = new ManualClock(new Date('2026-11-28T10:00:00+01:00')); // a Saturday in Paris
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
  });
});
