// The XMPP network against a real ejabberd 23.01, beside the Prosody tests: the server configured
// as docs/networks/xmpp.md says (the component under the listener's hosts, mod_offline,
// mod_stream_mgmt), in component mode and in client mode.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SITE, type TestBridge, call, collect, connect, next, openVisitor, startBridge, until, untilTeam } from '../helpers.js';
import { type EjabberdServer, startEjabberd } from '../servers/ejabberd.js';
import { prosodyClientNetwork as clientNetwork, prosodyNetwork as componentNetwork } from '../servers/networks.js';
import { type Agent, askingReceipt, connectAgent, xml, bare } from '../xmpp-agent.js';

const ALICE = 'xmpp:alice@localhost';
type Stanza = ReturnType<typeof xml>;
const bodyIs = (text: string) => (stanza: Stanza) => stanza.is('message') && stanza.getChildText('body') === text;

describe('XMPP network (component mode) against a real ejabberd 23.01', () => {
  let ejabberd: EjabberdServer;
  let t: TestBridge;
  let alice: Agent;

  before(async () => {
    ejabberd = await startEjabberd({ users: [['alice', 'alicepw']] });
    t = await startBridge({
      teams: [{ id: 'support', members: [ALICE], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, componentNetwork(ejabberd)],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    alice = await connectAgent(ejabberd.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await ejabberd?.destroy();
  });

  it("carries a visitor's message to the agent's client and the reply back, receipts both ways", async () => {
    const v = await openVisitor(t, { assignee: ALICE });
    const jid = `${v.self.slice(4)}@${ejabberd.componentDomain}`;
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'e1', text: 'Is the tent waterproof?' });
    const stanza = await alice.next((s) => bodyIs('Is the tent waterproof?')(s) && bare(s.attrs.from) === jid);
    assert.equal(stanza.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, sent.message.id);
    assert.ok(stanza.getChild('request', 'urn:xmpp:receipts'), 'the visitor asks for a receipt');

    const delivered = next(v.socket, 'message:status', (s) => s.id === sent.message.id && s.status === 'delivered');
    await alice.send(xml('message', { type: 'chat', to: jid }, xml('received', { xmlns: 'urn:xmpp:receipts', id: stanza.attrs.id })));
    await delivered;

    const reply = next(v.socket, 'message', (m) => m.from === ALICE);
    await alice.send(askingReceipt(jid, 'Yes, 3000 mm.', 'ej-answer-1'));
    assert.equal((await reply).text, 'Yes, 3000 mm.');
    const receipt = await alice.next((s) => s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'ej-answer-1');
    assert.equal(bare(receipt.attrs.from), jid);
  });

  it("follows the agent's presence through the subscription ejabberd keeps: away, offline, back", async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    await untilTeam(socket, 'support', (a) => a.available === true);
    const away = next(socket, 'team:availability', (a) => a.available === false && a.online === 1, 10_000);
    await alice.send(xml('presence', {}, xml('show', {}, 'away')));
    await away;
    const gone = next(socket, 'team:availability', (a) => a.online === 0, 10_000);
    await alice.stop();
    assert.deepEqual(await gone, { team: 'support', available: false, online: 0 });
    const back = next(socket, 'team:availability', (a) => a.available === true, 10_000);
    alice = await connectAgent(ejabberd.c2sPort, 'alice', 'alicepw');
    await back;
  });

  it("keeps what a visitor writes while the agent is offline in ejabberd's offline storage, for the agent's next login", async () => {
    const v = await openVisitor(t, { assignee: ALICE });
    const jid = `${v.self.slice(4)}@${ejabberd.componentDomain}`;
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'e2', text: 'first, while you are here' });
    await alice.next((s) => bodyIs('first, while you are here')(s) && bare(s.attrs.from) === jid);
    await alice.stop();
    const sent = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'e3', text: 'written while you were away' });
    await until(async () => (await t.bridge.store.getMessage(sent.message.id))?.status === 'sent', 10_000, 'the message taken by ejabberd');
    alice = await connectAgent(ejabberd.c2sPort, 'alice', 'alicepw');
    const stored = await alice.next((s) => bodyIs('written while you were away')(s) && bare(s.attrs.from) === jid);
    assert.ok(stored.getChild('delay', 'urn:xmpp:delay'), 'delivered from offline storage, with its delay');
  });
});

describe('XMPP network (client mode, one bot account) against a real ejabberd 23.01', () => {
  let ejabberd: EjabberdServer;
  let t: TestBridge;
  let alice: Agent;
  const BOT = 'switchboard@localhost';

  before(async () => {
    ejabberd = await startEjabberd({
      users: [
        ['alice', 'alicepw'],
        ['switchboard', 'botpw'],
      ],
    });
    t = await startBridge({
      teams: [{ id: 'support', members: [ALICE], sites: [SITE], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, clientNetwork(ejabberd, { username: 'switchboard', password: 'botpw' })],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the bot to connect');
    alice = await connectAgent(ejabberd.c2sPort, 'alice', 'alicepw');
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await ejabberd?.destroy();
  });

  const fromBot = (stanza: Stanza) => stanza.is('message') && stanza.attrs.from?.startsWith(`${BOT}/`) === true && stanza.getChildText('body') !== null;

  it('relays a visitor through the bot with a name and ref, and the plain reply goes back to the visitor', async () => {
    const v = await openVisitor(t, { assignee: ALICE, profile: { name: 'Dana' } });
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'c1', text: 'Do you ship to Norway?' });
    const stanza = await alice.next(
      (s) => s.is('message') && s.attrs.from?.startsWith(`${BOT}/`) === true && (s.getChildText('body') ?? '').endsWith('Do you ship to Norway?'),
    );
    assert.match(stanza.getChildText('body')!, /^\[Dana #[0-9a-f]{5}\] Do you ship to Norway\?$/);
    const reply = next(v.socket, 'message', (m) => m.from === ALICE);
    await alice.send(xml('message', { type: 'chat', to: BOT }, xml('body', {}, 'We do.')));
    assert.equal((await reply).text, 'We do.');
  });

  // With stream management (mod_stream_mgmt) the bot's lines are acknowledged by the server a moment
  // after they reach the agent: the agent's client can act on a line before its acknowledgement.

  it("reads, by the agent's marker on the latest line, the other visitor's line before it (XEP-0333 section 6)", async () => {
    const first = await openVisitor(t, { assignee: ALICE });
    const second = await openVisitor(t, { assignee: ALICE });
    const firstStatuses = collect(first.socket, 'message:status');
    const earlier = await call(first.socket, 'message:send', { conversationId: first.conversationId, clientId: 'mk-1', text: 'first visitor here' });
    const latest = await call(second.socket, 'message:send', { conversationId: second.conversationId, clientId: 'mk-2', text: 'second visitor here' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('second visitor here'));
    await alice.send(xml('message', { to: BOT }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: latest.message.id })));
    await until(() => firstStatuses.some((s) => s.id === earlier.message.id && s.status === 'read'), 5000, "the other visitor's earlier line read");
  });

  it("says a visitor's typing from the bot once per state, a message ending it (XEP-0085 section 5.2)", async () => {
    const v = await openVisitor(t, { assignee: ALICE });
    const typing = (state: 'composing' | 'paused') => call(v.socket, 'typing', { conversationId: v.conversationId, state });
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'cs-1', text: 'before typing' });
    for (const state of ['composing', 'composing', 'composing', 'paused', 'paused', 'composing'] as const) await typing(state);
    await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId: 'cs-2', text: 'after typing' });
    await alice.next((s) => fromBot(s) && (s.getChildText('body') ?? '').endsWith('after typing'));
    // What the bot said after the first message: its states, then the second message.
    const bots = alice.stanzas.filter((s) => s.is('message') && s.attrs.from?.startsWith(`${BOT}/`) === true);
    const after = bots.slice(bots.findIndex((s) => (s.getChildText('body') ?? '').endsWith('before typing')) + 1);
    const said = after.map((s) => s.getChildText('body') ?? ['composing', 'paused'].find((name) => s.getChild(name, 'http://jabber.org/protocol/chatstates')));
    assert.deepEqual(said.slice(0, 4), ['composing', 'paused', 'composing', `[Visitor #${v.conversationId.slice(-5)}] after typing`]);
  });
});
