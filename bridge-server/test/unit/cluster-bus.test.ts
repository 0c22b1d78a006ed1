import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BusEnvelope, type BusTransport, HEARTBEAT_MS, LocalBus, MISSED_HEARTBEATS, RemoteBus } from '../../src/cluster/bus.js';
import { ManualClock } from '../manual-clock.js';

/** Carries envelopes between buses at once, unless a node is cut off. */
class Wire {
  private readonly ends = new Map<string, (envelope: BusEnvelope) => void>();
  readonly cut = new Set<string>();
  transport(node: string): BusTransport {
    return {
      send: (envelope) => {
        if (this.cut.has(node)) return;
        for (const [other, receive] of this.ends) if (other !== node && !this.cut.has(other)) receive(envelope);
      },
      onReceive: (handler) => void this.ends.set(node, handler),
    };
  }
}

function cluster(...names: string[]) {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const wire = new Wire();
  const buses = Object.fromEntries(names.map((name) => [name, new RemoteBus(name, wire.transport(name), clock)]));
  const left: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
  const syncs: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  for (const name of names) {
    buses[name]!.onNodeLeft((node) => left[name]!.push(node));
    buses[name]!.onSync(() => syncs[name]!++);
  }
  const advance = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
  return { clock, wire, buses, left, syncs, advance };
}

describe('the cluster bus', () => {
  it('alone: publishes to no one, knows only itself', () => {
    const bus = new LocalBus('solo');
    bus.publish('x', 1);
    assert.deepEqual(bus.nodes(), ['solo']);
    assert.equal(bus.spansNodes, false);
  });

  it('carries messages to the other nodes with their sender, never back to it', () => {
    const { buses, advance } = cluster('a', 'b', 'c');
    for (const bus of Object.values(buses)) bus.start();
    advance(0);
    const heard: string[] = [];
    for (const [name, bus] of Object.entries(buses)) bus.on<{ n: number }>('hello', (payload, from) => heard.push(`${name}<-${from}:${payload.n}`));
    buses.a!.publish('hello', { n: 1 });
    assert.deepEqual(heard.sort(), ['b<-a:1', 'c<-a:1']);
    assert.deepEqual(buses.a!.nodes().sort(), ['a', 'b', 'c']);
  });

  it('asks for a sync when it first hears a node, and answers once for requests of the same moment', () => {
    const { wire, buses, syncs, advance } = cluster('a', 'b', 'c');
    wire.cut.add('c'); // not there yet
    buses.a!.start();
    buses.b!.start();
    advance(0);
    assert.equal(syncs.a, 1);
    assert.equal(syncs.b, 1);
    wire.cut.delete('c');
    buses.c!.start(); // heard anew by a and b: each publishes its state, and c publishes its own once
    advance(0);
    assert.deepEqual(syncs, { a: 2, b: 2, c: 1 });
  });

  it('lets go of a node unheard for MISSED_HEARTBEATS heartbeats, and takes it back (with a sync) when it is heard again', () => {
    const { wire, buses, left, syncs, advance } = cluster('a', 'b');
    buses.a!.start();
    buses.b!.start();
    advance(0);
    wire.cut.add('b');
    advance(MISSED_HEARTBEATS * HEARTBEAT_MS);
    assert.deepEqual(left.a, [], 'still within the allowance');
    advance(HEARTBEAT_MS);
    assert.deepEqual(left.a, ['b']);
    assert.deepEqual(buses.a!.nodes(), ['a']);
    assert.deepEqual(left.b, ['a'], 'b hears no one either');
    const before = { ...syncs };
    wire.cut.delete('b');
    advance(HEARTBEAT_MS);
    assert.deepEqual(buses.a!.nodes().sort(), ['a', 'b']);
    assert.ok(syncs.a! > before.a! && syncs.b! > before.b!, 'both publish their state again');
  });

  it('asks the sender for a sync when it missed some of its messages', () => {
    const { wire, buses, syncs, advance } = cluster('a', 'b');
    buses.a!.start();
    buses.b!.start();
    advance(0);
    const before = syncs.b!;
    wire.cut.add('b');
    buses.b!.publish('lost', 1);
    wire.cut.delete('b');
    buses.b!.publish('next', 2);
    advance(0);
    assert.equal(syncs.b, before + 1);
    assert.equal(syncs.a, 1, 'a publishes nothing for it');
  });

  it('drops a node at once when it says it is leaving', () => {
    const { buses, left, advance } = cluster('a', 'b');
    buses.a!.start();
    buses.b!.start();
    advance(0);
    buses.b!.stop();
    assert.deepEqual(left.a, ['b']);
    assert.deepEqual(buses.a!.nodes(), ['a']);
    const heard: unknown[] = [];
    buses.a!.on('x', (payload) => heard.push(payload));
    buses.b!.publish('x', 1);
    assert.deepEqual(heard, [], 'a stopped node publishes nothing');
  });
});
