// Private notes never leave the bridge: written by a web agent (`note:add`) and by an XMPP agent
// (`/note`), they reach the site's other agents (`note`) and `/history` (marked [note]), but
// neither the website visitor, nor the XMPP agent's client as a message of the conversation, nor a
// webhook. Each "never" is checked after a later message went the same way (a barrier).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Note } from '@switchboard/protocol';
import { SITE, type TestBridge, type V1Socket, type WebVisitor, agentAuth, call, collect, connect, next, openVisitor, startBridge, until } from '../helpers.js';
import { prosodyNetwork } from '../servers/networks.js';
import { type ProsodyServer, startProsody } from '../servers/prosody.js';
import { holdingReceiver } from '../webhook-receiver.js';
import { type Agent, connectAgent, xml, bare } from '../xmpp-agent.js';

const ALICE = 'xmpp:alice@localhost';

describe('private notes stay in the bridge', () => {
  let prosody: ProsodyServer;
  let receiver: Awaited<ReturnType<typeof holdingReceiver>>;
  let t: TestBridge;
  let alice: Agent;
  let bob: V1Socket;
  let visitor: WebVisitor;
  /** The visitor's chat at alice's client. */
  let visitorJid: string;

  before(async () => {
    prosody = await startProsody({ users: [['alice', 'alicepw']] });
    receiver = await holdingReceiver();
    receiver.release();
    alice = await connectAgent(prosody.c2sPort, 'alice', 'alicepw');
    t = await startBridge({
      teams: [{ id: 'support', sites: [SITE], members: [ALICE, 'web:a_bob'], capacity: 100 }],
      networks: [{ type: 'web', presenceGraceMs: 50 }, prosodyNetwork(prosody)],
      webhooks: [{ url: receiver.url, secret: 'notes-webhook-secret-0123456789' }],
    });
    await until(() => t.bridge.registry.get('xmpp')?.status().state === 'online', 10_000, 'the component to connect');
    bob = (await connect(t, agentAuth('bob'))).socket;
    // Bob away: the visitor's conversation goes to alice, on XMPP.
    await call(bob, 'presence:set', { status: 'away' });
    visitor = await openVisitor(t, { assignee: ALICE });
    visitorJid = `${visitor.self.slice(4)}@${prosody.componentDomain}`;
  });
  after(async () => {
    await alice?.stop();
    await t?.stop();
    await receiver?.close();
    await prosody?.destroy();
  });

  /** A command from alice's client to the bridge's address; resolves with the answer. */
  async function command(text: string): Promise<string> {
    const seen = alice.stanzas.length;
    await alice.send(xml('message', { type: 'chat', to: prosody.componentDomain }, xml('body', {}, text)));
    const answer = await alice.next(
      (s, i = alice.stanzas.indexOf(s)) => i >= seen && s.is('message') && bare(s.attrs.from) === prosody.componentDomain && s.getChildText('body') !== null,
    );
    return answer.getChildText('body')!;
  }

  it('reaches the other agents only, never the visitor, the XMPP conversation or webhooks', async () => {
    const id = visitor.conversationId;
    const ref = id.slice(-5).toLowerCase();
    const visitorNotes = collect(visitor.socket, 'note');
    const visitorMessages = collect(visitor.socket, 'message');
    const bobNotes: Note[] = collect(bob, 'note');

    const first = await call(visitor.socket, 'message:send', { conversationId: id, clientId: 'v1', text: 'where is my order?' });
    assert.ok(first.ok);
    await alice.next((s) => s.is('message') && bare(s.attrs.from) === visitorJid && s.getChildText('body') === 'where is my order?');

    const byBob = await call(bob, 'note:add', { conversationId: id, text: 'secret-note-one: a VIP, be kind' });
    assert.ok(byBob.ok, JSON.stringify(byBob));
    assert.equal(byBob.note.afterSeq, 1);
    assert.match(await command(`/note ${ref} secret-note-two: refund approved`), new RegExp(`^Noted on #${ref}`));
    assert.match(await command('/note'), /^Usage: \/note ID TEXT/);
    assert.match(await command(`/note ${ref}`), /^Usage: \/note ID TEXT/);
    await until(() => bobNotes.length === 2, 5000, "bob's note events");
    assert.deepEqual(
      bobNotes.map((note) => [note.from, note.text]),
      [
        ['web:a_bob', 'secret-note-one: a VIP, be kind'],
        [ALICE, 'secret-note-two: refund approved'],
      ],
    );
    assert.deepEqual(
      (await call(bob, 'note:list', { conversationId: id })).notes.map((note) => note.text),
      ['secret-note-one: a VIP, be kind', 'secret-note-two: refund approved'],
    );

    // A note typed in the visitor's own chat by mistake is refused, not relayed (XMPP error with the bridge's words).
    await alice.send(xml('message', { type: 'chat', to: visitorJid, id: 'mistyped' }, xml('body', {}, '/note secret-note-three: typed in the wrong window')));
    const refused = await alice.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'mistyped');
    assert.match(refused.toString(), /\/note is a desk command/);
    // So is any desk command there, such as the /whois the context line hints at.
    await alice.send(xml('message', { type: 'chat', to: visitorJid, id: 'mistyped-whois' }, xml('body', {}, `/whois ${ref}`)));
    const whois = await alice.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'mistyped-whois');
    assert.match(whois.toString(), /\/whois is a desk command: send it to the bridge's own address, not in the customer's chat; nothing was sent/);

    // Barriers: a message from the visitor after the notes reaches alice and the webhook receiver;
    // alice's reply after them reaches the visitor. Whatever came before has arrived by then.
    await call(visitor.socket, 'message:send', { conversationId: id, clientId: 'v2', text: 'visitor barrier' });
    await alice.next((s) => s.is('message') && bare(s.attrs.from) === visitorJid && s.getChildText('body') === 'visitor barrier');
    const reply = next(visitor.socket, 'message', (m) => m.text === 'agent barrier');
    await alice.send(xml('message', { type: 'chat', to: visitorJid }, xml('body', {}, 'agent barrier')));
    await reply;
    await until(() => receiver.taken.some((d) => d.body.includes('agent barrier')), 10_000, 'the webhook of the reply');

    assert.deepEqual(visitorNotes, []);
    assert.ok(!visitorMessages.some((m) => m.text.includes('secret-note') || m.text.startsWith('/whois')), 'no note or command as a message to the visitor');
    const history = await call(visitor.socket, 'history:get', { conversationId: id });
    assert.deepEqual(
      history.messages.map((m) => m.text),
      ['where is my order?', 'visitor barrier', 'agent barrier'],
    );
    assert.equal((await call(visitor.socket, 'note:list', { conversationId: id })).error.code, 'forbidden');
    assert.ok(!alice.stanzas.some((s) => s.toString().includes('secret-note-one')), "bob's note never reached alice's client");
    assert.ok(
      !alice.stanzas.some((s) => bare(s.attrs.from) === visitorJid && s.toString().includes('secret-note')),
      'nothing of a note in the XMPP conversation',
    );
    assert.ok(receiver.received.length > 0);
    assert.ok(!receiver.received.some((d) => d.body.includes('secret-note')), 'no webhook carries a note');

    // The desk reads them in place with /history, after the message they followed.
    const lines = (await command(`/history ${ref}`)).split('\n');
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    assert.match(lines[at('secret-note-one')]!, /\] \[note\] bob: secret-note-one: a VIP, be kind$/);
    assert.match(lines[at('secret-note-two')]!, /\] \[note\] alice: secret-note-two: refund approved$/);
    assert.ok(at('where is my order?') < at('secret-note-one') && at('secret-note-two') < at('visitor barrier'), lines.join('\n'));
  });
});
