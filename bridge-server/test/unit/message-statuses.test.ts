// What a sender is told of its message's status (message:status): the store's changes, in the order
// they move the message forward, even when their reports overtake one another on the way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MessageStatus } from '@switchboard/protocol';
import type { ClientHub } from '../../src/core/hub.js';
import { MessageStatuses, type StatusEvent } from '../../src/core/statuses.js';
import type { NetworkRegistry } from '../../src/networks/registry.js';
import type { Store } from '../../src/store/store.js';

/** The statuses told, over a store whose messages are at `stored` (by id). */
function statuses(stored: Record<string, MessageStatus> = {}) {
  const told: StatusEvent[] = [];
  const hub = { emit: (_targets: unknown, _event: string, payload: StatusEvent) => told.push(payload) } as unknown as ClientHub;
  const store = { getMessage: (id: string) => Promise.resolve(stored[id] ? { id, status: stored[id] } : null) } as unknown as Store;
  return { told, statuses: new MessageStatuses(store, {} as NetworkRegistry, hub, pino({ level: 'silent' })) };
}

const event = (id: string, status: MessageStatus, error?: StatusEvent['error']): StatusEvent => ({
  conversationId: 'c_1',
  id,
  status,
  ...(error ? { error } : {}),
});

describe('message statuses told to the sender', () => {
  it('never tells a status that would move the message back: a sent reported after its delivered is not told', () => {
    const { told, statuses: s } = statuses();
    for (const status of ['delivered', 'sent', 'read', 'delivered'] as const) s.tell('web:v_1', event('m_1', status));
    assert.deepEqual(
      told.map((e) => e.status),
      ['delivered', 'read'],
    );
  });

  it('tells every kept-for-retry notice, a failure, then a later success of a retry', async () => {
    const { told, statuses: s } = statuses({ m_2: 'sent' });
    const error = { code: 'unavailable' as const, message: 'xmpp is offline; the message is kept and sent when it is back' };
    s.tell('web:v_1', event('m_2', 'accepted', error));
    s.tell('web:v_1', event('m_2', 'accepted', error));
    s.tell('web:v_1', event('m_2', 'failed', error));
    s.tell('web:v_1', event('m_2', 'sent'));
    await new Promise((resolve) => setImmediate(resolve)); // the store asked whether the failure still stands
    s.tell('web:v_1', event('m_3', 'sent'));
    assert.deepEqual(
      told.map((e) => [e.id, e.status]),
      [
        ['m_2', 'accepted'],
        ['m_2', 'accepted'],
        ['m_2', 'failed'],
        ['m_2', 'sent'],
        ['m_3', 'sent'],
      ],
    );
  });

  it("does not tell a send's own report that came after the refusal that followed it: the store keeps the failure", async () => {
    const { told, statuses: s } = statuses({ m_4: 'failed' });
    s.tell('web:a_bob', event('m_4', 'failed', { code: 'not_found', message: 'irc: 401 No such nick' }));
    s.tell('web:a_bob', event('m_4', 'sent'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      told.map((e) => e.status),
      ['failed'],
    );
  });
});

describe('a failure told to an agent on an IM network', () => {
  it('is a line from the bridge naming the conversation, the start of the message and why; a web agent or a customer gets none', async () => {
    const notices: { to: string; text: string }[] = [];
    const im = { notice: (input: { to: string; text: string }) => (notices.push(input), Promise.resolve()), deliversFromStore: false };
    const web = { notice: () => Promise.reject(new Error('not for the web')), deliversFromStore: true };
    const registry = { forAddress: (address: string) => (address.startsWith('web:') ? web : im) } as unknown as NetworkRegistry;
    const texts: Record<string, string> = { m_5: `${'y'.repeat(38)} 🙂` };
    const store = { getMessage: (id: string) => Promise.resolve({ id, text: texts[id] ?? `${'x'.repeat(38)} 🙂 and more\nlines` }) } as unknown as Store;
    const hub = { emit: () => {} } as unknown as ClientHub;
    const agents = new Set(['xmpp:alice@example.org', 'web:a_bob@shop']);
    const lines = { isAgent: (address: string) => agents.has(address), refOf: (id: string) => id.slice(-5) };
    const s = new MessageStatuses(store, registry, hub, pino({ level: 'silent' }), undefined, lines);
    const failed = { code: 'not_found' as const, message: 'irc: ivan: No such nick' };
    s.tell('xmpp:alice@example.org', { conversationId: 'c_000003fa9c', id: 'm_1', status: 'failed', error: failed });
    s.tell('web:a_bob@shop', { conversationId: 'c_000003fa9c', id: 'm_2', status: 'failed', error: failed });
    s.tell('xmpp:carol@example.org', { conversationId: 'c_000003fa9c', id: 'm_3', status: 'failed', error: failed });
    s.tell('xmpp:alice@example.org', { conversationId: 'c_000003fa9c', id: 'm_4', status: 'sent' });
    // Forty code points, an emoji among them, are quoted whole: nothing is cut.
    s.tell('xmpp:alice@example.org', { conversationId: 'c_000003fa9c', id: 'm_5', status: 'failed', error: failed });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(notices, [
      { to: 'xmpp:alice@example.org', text: `Not delivered (#3fa9c, "${'x'.repeat(38)} 🙂…"): irc: ivan: No such nick` },
      { to: 'xmpp:alice@example.org', text: `Not delivered (#3fa9c, "${'y'.repeat(38)} 🙂"): irc: ivan: No such nick` },
    ]);
  });
});
