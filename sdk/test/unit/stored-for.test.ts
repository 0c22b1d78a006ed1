// What the client keeps on a device (cursors, the outbox) belongs to the party it was kept for: an
// agent who signs in on the console after another, on the same browser, neither sends the other's
// queued replies nor sees them.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Session } from '@switchboard/protocol';
import { type SwitchboardClient, createClient } from '../../src/client.js';
import { type KeyValueStorage, memoryStorage } from '../../src/storage.js';
import { standIn } from './bridge-stand-in.js';

const agentSession = (self: Session['self']): Session => ({ token: '', self, role: 'agent', siteKey: 'shop' });
const ANNS_REPLY = { clientId: 'c-ann-1', conversationId: 'conv-of-ann', text: 'Refund approved', createdAt: '2026-12-01T10:00:00.000Z', state: 'pending' };

describe('SDK storage of a signed-in agent', () => {
  const clients: SwitchboardClient[] = [];
  const bridges: ReturnType<typeof standIn>[] = [];
  after(async () => {
    for (const client of clients) client.disconnect();
    for (const bridge of bridges) await bridge.close();
  });

  /** A client signed in by the console's session cookie, as `self`, over `storage`; the bridge's record of what it was sent. */
  async function signIn(self: Session['self'], storage: KeyValueStorage, agentUserId?: string) {
    const bridge = standIn(agentSession(self), { 'message:send': (payload) => ({ message: { ...payload, id: 'm1', seq: 1, from: self } }) });
    bridges.push(bridge);
    const client = createClient({ url: await bridge.listen(), siteKey: 'shop', agentSession: true, ...(agentUserId ? { agentUserId } : {}), storage });
    clients.push(client);
    const drained = new Promise<void>((resolve) => client.on('outbox', (entries) => entries.length === 0 && resolve()));
    await client.ready();
    return { client, drained, sent: () => bridge.received.filter(([event]) => event === 'message:send') };
  }

  it("drops another agent's queued replies and cursors kept under the same key, sending none of them", async () => {
    const storage = memoryStorage();
    storage.setItem('switchboard:shop:agent:session:self', JSON.stringify('web:a_ann'));
    storage.setItem('switchboard:shop:agent:session:outbox', JSON.stringify([ANNS_REPLY]));
    storage.setItem('switchboard:shop:agent:session:cursors', JSON.stringify({ 'conv-of-ann': 7 }));
    const bob = await signIn('web:a_bob', storage);
    assert.deepEqual(bob.client.pending(), []);
    // Had it been sent, it would be in: the outbox flushes once the client is online.
    await bob.client.history('conv-of-bob').catch(() => undefined);
    assert.deepEqual(bob.sent(), []);
    assert.equal(storage.getItem('switchboard:shop:agent:session:outbox'), null);
    assert.equal(storage.getItem('switchboard:shop:agent:session:cursors'), null);
    assert.equal(storage.getItem('switchboard:shop:agent:session:self'), JSON.stringify('web:a_bob'));
  });

  it('sends what the same agent left queued, and keeps each agent whose user id it is given under a key of their own', async () => {
    const storage = memoryStorage();
    storage.setItem('switchboard:shop:agent:ann:self', JSON.stringify('web:a_ann'));
    storage.setItem('switchboard:shop:agent:ann:outbox', JSON.stringify([ANNS_REPLY]));
    const bob = await signIn('web:a_bob', storage, 'bob');
    assert.deepEqual(bob.client.pending(), []);
    assert.equal(storage.getItem('switchboard:shop:agent:bob:self'), JSON.stringify('web:a_bob'));
    const ann = await signIn('web:a_ann', storage, 'ann');
    await ann.drained;
    assert.deepEqual(
      ann.sent().map(([, payload]) => (payload as { clientId: string }).clientId),
      ['c-ann-1'],
    );
  });
});
