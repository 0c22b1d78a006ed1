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
