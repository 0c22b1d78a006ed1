// The client's continuation and contact calls against a bridge stand-in that answers with the
// contract's payloads: what each method sends, what it resolves with, and the events it surfaces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Contact, Continuation, ContinuationOffer, Message, Session } from '@switchboard/protocol';
import { SwitchboardError } from '../../src/errors.js';
import { clientOfSuite, standIn } from './bridge-stand-in.js';

const SESSION: Session = { token: 't', self: 'web:v_dana', role: 'visitor', siteKey: 'shop', continueOn: ['xmpp', 'sip'] };
const CONTACT: Contact = {
  id: 'k1',
  addresses: [{ address: 'xmpp:dana@example.org', proof: 'code', provenAt: '2026-01-01T00:00:00.000Z' }],
  conversations: [],
  merges: [],
};
const pending = (attemptsLeft = 5): Continuation => ({
  conversationId: 'c1',
  address: 'xmpp:dana@example.org',
  state: 'pending',
  proof: 'code',
  expiresAt: '2026-01-01T00:10:00.000Z',
  attemptsLeft,
});
const active: Continuation = { conversationId: 'c1', address: 'xmpp:dana@example.org', state: 'active', proof: 'code', provenAt: '2026-01-01T00:01:00.000Z' };

describe('SDK continuing on another network, and contacts', () => {
  let attempts = 5;
  const bridge = standIn(SESSION, {
    'continuation:start': () => ({ continuation: pending() }),
    'continuation:verify': (payload) => {
      if (payload.code === '123456') return { continuation: active };
      attempts--;
      throw new SwitchboardError({ code: 'forbidden', message: `code: wrong code; ${attempts} attempts left` });
    },
    'continuation:stop': () => ({ continuation: { ...active, state: 'stopped', reason: 'visitor' } }),
    'continuation:invite': (payload) => ({ offer: { conversationId: payload.conversationId, network: payload.network, from: 'web:a_agent' } }),
    'contact:get': () => ({ contact: CONTACT }),
    'contact:merge': () => ({ contact: CONTACT, mergeId: 'm1' }),
    'contact:unmerge': () => ({ contacts: [CONTACT, { ...CONTACT, id: 'k2' }] }),
  });
  const client = clientOfSuite(bridge);

  it('exposes the networks the site lets the visitor continue on, in the session', () => {
    assert.deepEqual(client.session?.continueOn, ['xmpp', 'sip']);
  });

  it('starts, verifies and stops, each call sending its payload and surfacing the state once', async () => {
    const seen: Continuation[] = [];
    const off = client.on('continuation', (c) => seen.push(c));
    const started = await client.continueOn('c1', 'xmpp:dana@example.org');
    assert.deepEqual(started, pending());
    assert.deepEqual(bridge.received.at(-1), ['continuation:start', { conversationId: 'c1', address: 'xmpp:dana@example.org' }]);
    assert.deepEqual(client.continuation('c1'), pending());

    await assert.rejects(client.verifyContinuation('c1', '000000'), (error: SwitchboardError) => {
      assert.equal(error.code, 'forbidden');
      assert.equal(error.message, 'code: wrong code; 4 attempts left');
      return true;
    });
    const verified = await client.verifyContinuation('c1', '123456');
    assert.equal(verified.state, 'active');
    assert.deepEqual(bridge.received.at(-1), ['continuation:verify', { conversationId: 'c1', code: '123456' }]);

    // The bridge also tells every connection of the visitor: the same state is not surfaced twice.
    bridge.push('continuation', active);
    const stopped = await client.stopContinuation('c1');
    assert.equal(stopped.reason, 'visitor');
    assert.deepEqual(
      seen.map((c) => c.state),
      ['pending', 'active', 'stopped'],
    );
    off();
  });

  it('surfaces a continuation the bridge changed by itself (a /stop from the IM client, an expiry)', async () => {
    const changed = new Promise<Continuation>((resolve) => client.once('continuation', resolve));
    bridge.push('continuation', { ...active, state: 'stopped', reason: 'remote' });
    assert.equal((await changed).reason, 'remote');
    assert.equal(client.continuation('c1')?.reason, 'remote');
  });

  it('keeps the continuation that replaced another, whichever the bridge said first', async () => {
    const started = new Promise<Continuation>((resolve) => client.once('continuation', resolve));
    await client.continueOn('c1', 'xmpp:dana@example.org');
    assert.equal((await started).state, 'pending');
    bridge.push('continuation', { ...pending(), address: 'xmpp:old@example.org', state: 'stopped', reason: 'replaced' });
    const stopped = new Promise<Continuation>((resolve) => client.once('continuation', resolve));
    assert.equal((await stopped).reason, 'replaced', 'the replaced one is surfaced');
    assert.deepEqual(client.continuation('c1'), pending(), "the new one stays the conversation's");
  });

  it("surfaces an agent's offer to continue on a network", async () => {
    const offered = new Promise<ContinuationOffer>((resolve) => client.once('continuation:offer', resolve));
    bridge.push('continuation:offer', { conversationId: 'c1', network: 'xmpp', from: 'web:a_agent' });
    assert.deepEqual(await offered, { conversationId: 'c1', network: 'xmpp', from: 'web:a_agent' });
  });

  it('keeps the address a message came through (sentFrom)', async () => {
    const arrived = new Promise<Message>((resolve) => client.once('message', resolve));
    const message: Message = {
      id: 'm1',
      conversationId: 'c9',
      seq: 1,
      from: 'web:v_dana',
      text: 'from my phone',
      sentAt: '2026-01-01T00:02:00.000Z',
      sentFrom: 'xmpp:dana@example.org',
    };
    bridge.push('message', message);
    assert.equal((await arrived).sentFrom, 'xmpp:dana@example.org');
    assert.equal(client.messages('c9')[0]?.sentFrom, 'xmpp:dana@example.org');
  });

  it('invites, and gets, merges and unmerges contacts for agents', async () => {
    assert.deepEqual(await client.inviteToContinue('c1', 'sip'), { conversationId: 'c1', network: 'sip', from: 'web:a_agent' });
    assert.deepEqual(bridge.received.at(-1), ['continuation:invite', { conversationId: 'c1', network: 'sip' }]);
    assert.deepEqual(await client.getContact({ address: 'xmpp:dana@example.org' }), CONTACT);
    assert.deepEqual(bridge.received.at(-1), ['contact:get', { address: 'xmpp:dana@example.org' }]);
    assert.deepEqual(await client.getContact({ contactId: 'k1' }), CONTACT);
    assert.deepEqual(await client.mergeContacts('k2', 'k1'), { contact: CONTACT, mergeId: 'm1' });
    assert.deepEqual(bridge.received.at(-1), ['contact:merge', { contactId: 'k2', into: 'k1' }]);
    const contacts = await client.unmergeContacts('m1');
    assert.deepEqual(
      contacts.map((c) => c.id),
      ['k1', 'k2'],
    );
    assert.deepEqual(bridge.received.at(-1), ['contact:unmerge', { mergeId: 'm1' }]);
  });
});
