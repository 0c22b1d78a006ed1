// The client's view of a visitor's conversations waiting in a team's queue: the places the bridge
// tells (`queue:position`), kept per conversation until an agent has it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conversation, QueuePosition, Session } from '@switchboard/protocol';
import { clientOfSuite, standIn } from './bridge-stand-in.js';

const SESSION: Session = { token: 't', self: 'web:v_dana', role: 'visitor', siteKey: 'shop' };
const place = (conversationId: string, position: number, waiting: number): QueuePosition => ({ conversationId, team: 'support', position, waiting });
const assigned = (id: string): Conversation => ({
  id,
  team: 'support',
  state: 'open',
  participants: ['web:v_dana', 'web:a_alice'],
  assignee: 'web:a_alice',
  createdAt: '2026-12-01T10:00:00.000Z',
  lastSeq: 0,
});

describe('SDK places in the queue', () => {
  const bridge = standIn(SESSION, {});
  const client = clientOfSuite(bridge);

  const told = async (position: QueuePosition) => {
    const surfaced = new Promise<QueuePosition>((resolve) => client.once('queue:position', resolve));
    bridge.push('queue:position', position);
    return surfaced;
  };

  it('surfaces each place the bridge tells, and keeps the latest per conversation while it waits', async () => {
    assert.equal(client.queuePosition('c1'), undefined);
    assert.deepEqual(await told(place('c1', 3, 3)), place('c1', 3, 3));
    assert.deepEqual(await told(place('c2', 1, 3)), place('c2', 1, 3));
    assert.deepEqual(await told(place('c1', 2, 2)), place('c1', 2, 2));
    assert.deepEqual([client.queuePosition('c1'), client.queuePosition('c2')], [place('c1', 2, 2), place('c2', 1, 3)]);
  });

  it('forgets the place once an agent took the conversation (position 0), or it changed to assigned or closed', async () => {
    assert.equal((await told(place('c2', 0, 0))).position, 0, 'the taken event is surfaced too');
    assert.equal(client.queuePosition('c2'), undefined);
    const changed = new Promise<Conversation>((resolve) => client.once('conversation', resolve));
    bridge.push('conversation', assigned('c1'));
    await changed;
    assert.equal(client.queuePosition('c1'), undefined);
    // A place that arrives after the conversation is known to be with an agent is stale: not surfaced, not kept.
    bridge.push('queue:position', place('c1', 1, 1));
    assert.deepEqual(await told(place('c3', 4, 4)), place('c3', 4, 4), 'the next place surfaced is the later one');
    assert.equal(client.queuePosition('c1'), undefined);
  });

  it('forgets every place on a new session: the bridge tells the current ones right after it', async () => {
    assert.deepEqual(client.queuePosition('c3'), place('c3', 4, 4));
    const session = new Promise<Session>((resolve) => client.once('session', resolve));
    bridge.push('session', SESSION);
    await session;
    assert.equal(client.queuePosition('c3'), undefined);
    assert.deepEqual(await told(place('c3', 2, 2)), place('c3', 2, 2));
  });
});
