// Connections close when their console session ends (src/console/session-ends.ts): on sign-out, on
// every node through the cluster bus; at housekeeping, those whose session no longer runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BusEnvelope, RemoteBus } from '../../src/cluster/bus.js';
import { type SessionConnection, SessionEnds } from '../../src/console/session-ends.js';
import { ManualClock } from '../manual-clock.js';

class Connection implements SessionConnection {
  closed = false;
  constructor(readonly data: { consoleSession?: string } | undefined) {}
  disconnect(): void {
    this.closed = true;
  }
}

/** Two nodes whose buses hear each other at once, each with its own connections. */
function twoNodes(live: (key: string) => boolean = () => true) {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const receivers = new Map<string, (envelope: BusEnvelope) => void>();
  const node = (name: string, connections: Connection[]) => {
    const bus = new RemoteBus(
      name,
      {
        send: (envelope) => receivers.forEach((receive, other) => other !== name && receive(envelope)),
        onReceive: (handler) => void receivers.set(name, handler),
      },
      clock,
    );
    // Open connections only, as socket.io's map holds them.
    const ends = new SessionEnds({ bus, connections: () => connections.filter((c) => !c.closed), live: (key) => Promise.resolve(live(key)) });
    return { bus, ends, connections };
  };
  return {
    a: node('a', [new Connection({ consoleSession: 's1' }), new Connection({ consoleSession: 's2' }), new Connection({})]),
    b: node('b', [new Connection({ consoleSession: 's1' }), new Connection(undefined)]),
  };
}

describe('console session ends', () => {
  it('closes the connections of an ended session on this node and on the others, and no other connection', () => {
    const { a, b } = twoNodes();
    assert.equal(a.ends.ended('s1'), 1);
    assert.deepEqual(
      a.connections.map((c) => c.closed),
      [true, false, false],
    );
    assert.deepEqual(
      b.connections.map((c) => c.closed),
      [true, false],
    );
    assert.equal(b.ends.ended('unknown'), 0);
  });

  it('closes a connection that opens just after its session ended, on any node', () => {
    const { a, b } = twoNodes();
    a.ends.ended('s9');
    const late = new Connection({ consoleSession: 's9' });
    b.ends.opened(late);
    assert.equal(late.closed, true);
    const other = new Connection({ consoleSession: 's1' });
    b.ends.opened(other);
    assert.equal(other.closed, false);
    const none = new Connection(undefined);
    b.ends.opened(none);
    assert.equal(none.closed, false);
  });

  it('sweeps: closes the connections whose session no longer runs, leaves those without a session', async () => {
    const { a } = twoNodes((key) => key !== 's2');
    assert.equal(await a.ends.sweep(), 1);
    assert.deepEqual(
      a.connections.map((c) => c.closed),
      [false, true, false],
    );
    assert.equal(await a.ends.sweep(), 0);
  });
});
