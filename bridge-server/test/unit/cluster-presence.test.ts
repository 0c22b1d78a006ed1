// Presence on several nodes: each node reports what it knows first-hand, every node derives the
// same presence from all reports (the latest not offline wins), a node that leaves takes its
// reports along, and each node tells only its own clients (`local` emits).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Presence } from '@switchboard/protocol';
import { type BusEnvelope, type BusTransport, HEARTBEAT_MS, MISSED_HEARTBEATS, RemoteBus } from '../../src/cluster/bus.js';
import { BusOutboxKicks } from '../../src/cluster/outbox-kicks.js';
import { configSchema } from '../../src/config.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import type { ClientHub, HubRoom } from '../../src/core/hub.js';
import { PresenceService } from '../../src/core/presence.js';
import { ManualClock } from '../manual-clock.js';

const ALICE = 'web:a_alice' as const;
const BOB = 'xmpp:bob@example.org' as const;

/** Carries envelopes at once between the nodes not cut off. */
interface Node {
  name: string;
  bus: RemoteBus;
  presence: PresenceService;
  emitted: { event: string; payload: unknown; local: boolean }[];
  changes: { status: string; here: boolean }[];
}

function wire(cut: ReadonlySet<string> = new Set()): (node: string) => BusTransport {
  const ends = new Map<string, (envelope: BusEnvelope) => void>();
  return (node) => ({
    send: (envelope) => {
      if (cut.has(node)) return;
      for (const [other, receive] of ends) if (other !== node && !cut.has(other)) receive(envelope);
    },
    onReceive: (handler) => void ends.set(node, handler),
  });
}

function nodes<const Names extends string[]>(...names: Names) {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const cut = new Set<string>();
  const transport = wire(cut);
  const teams = new TeamDirectory(configSchema.shape.teams.parse([{ id: 'support', members: [ALICE, BOB] }]), ['shop']);
  const made = names.map((name) => {
    const emitted: { event: string; payload: unknown; local: boolean }[] = [];
    const hub = {
      emit: (_rooms: HubRoom[], event: string, payload: unknown, options: { local?: boolean } = {}) =>
        emitted.push({ event, payload, local: options.local === true }),
    } as unknown as ClientHub;
    const bus = new RemoteBus(name, transport(name), clock);
    const presence = new PresenceService(hub, teams, 0, bus);
    const changes: { status: string; here: boolean }[] = [];
    presence.onChange((p, _previous, change) => changes.push({ status: p.status, here: change.here }));
    return { name, bus, presence, emitted, changes };
  }) as { [K in keyof Names]: Node };
  for (const node of made) node.bus.start();
  clock.set(clock.now()); // the first syncs
  return { clock, made, cut, advance: (ms: number) => clock.set(new Date(clock.now().getTime() + ms)) };
}

const status = (presence: PresenceService, address: Presence['address']) => presence.get(address).status;

describe('presence across nodes', () => {
  it('derives the same presence on every node from the reports of each', () => {
    const { made } = nodes('a', 'b');
    const [a, b] = made;
    a.presence.update({ address: ALICE, status: 'available' });
    assert.equal(status(b.presence, ALICE), 'available');
    assert.deepEqual(a.changes, [{ status: 'available', here: true }]);
    assert.deepEqual(b.changes, [{ status: 'available', here: false }]);
    // Connected to both nodes: online until both say it left.
    b.presence.update({ address: ALICE, status: 'available' });
    a.presence.update({ address: ALICE, status: 'offline' });
    assert.equal(status(a.presence, ALICE), 'available');
    assert.equal(status(b.presence, ALICE), 'available');
    b.presence.update({ address: ALICE, status: 'offline' });
    assert.equal(status(a.presence, ALICE), 'offline');
    assert.equal(status(b.presence, ALICE), 'offline');
  });

  it('takes the latest report: a status set on one node wins over an older one of another', () => {
    const { made } = nodes('a', 'b');
    const [a, b] = made;
    a.presence.update({ address: ALICE, status: 'available' });
    b.presence.update({ address: ALICE, status: 'available' });
    b.presence.update({ address: ALICE, status: 'away', text: 'lunch' });
    assert.deepEqual(a.presence.get(ALICE), { address: ALICE, status: 'away', text: 'lunch' });
    assert.deepEqual(b.presence.get(ALICE), { address: ALICE, status: 'away', text: 'lunch' });
  });

  it('tells each node its own clients only, once per change', () => {
    const { made } = nodes('a', 'b');
    const [a, b] = made;
    a.presence.update({ address: BOB, status: 'available' });
    for (const node of [a, b]) {
      const presences = node.emitted.filter((e) => e.event === 'presence');
      assert.equal(presences.length, 1, node.name);
      assert.ok(presences.every((e) => e.local));
    }
  });

  it('lets the parties of a node that left go offline, unless another node has them', () => {
    const { made } = nodes('a', 'b', 'c');
    const [a, b, c] = made;
    b.presence.update({ address: BOB, status: 'available' });
    b.presence.update({ address: ALICE, status: 'available' });
    c.presence.update({ address: ALICE, status: 'available' });
    assert.equal(a.presence.teamAvailability('support', 'shop').online, 1, 'bob (a web address counts on its own site only)');
    b.bus.stop();
    assert.equal(status(a.presence, BOB), 'offline');
    assert.equal(a.presence.teamAvailability('support', 'shop').online, 0);
    assert.equal(status(a.presence, ALICE), 'available', 'c still has alice');
    c.bus.stop();
    assert.equal(status(a.presence, ALICE), 'offline');
  });

  it('drops the reports of a node unheard too long, and takes them back with its sync when it is heard again', () => {
    const { made, cut, advance } = nodes('a', 'b');
    const [a, b] = made;
    b.presence.update({ address: BOB, status: 'away' });
    cut.add('b');
    advance((MISSED_HEARTBEATS + 1) * HEARTBEAT_MS);
    assert.equal(status(a.presence, BOB), 'offline');
    b.presence.update({ address: ALICE, status: 'available' }); // lost: a hears it with b's sync
    cut.delete('b');
    advance(HEARTBEAT_MS);
    assert.equal(status(a.presence, BOB), 'away');
    assert.equal(status(a.presence, ALICE), 'available');
  });

  it("withdraws this node's reports of a network's parties when another node runs the network", () => {
    const { made } = nodes('a', 'b');
    const [a, b] = made;
    a.presence.update({ address: BOB, status: 'available' });
    a.presence.update({ address: ALICE, status: 'available' });
    a.presence.withdraw('xmpp');
    assert.equal(status(b.presence, BOB), 'offline');
    assert.equal(status(b.presence, ALICE), 'available', 'another network: kept');
    b.presence.update({ address: BOB, status: 'away' });
    assert.equal(status(a.presence, BOB), 'away', 'the new holder reports');
  });

  it('publishes an outbox kick to the nodes that send for the network only', () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const transport = wire();
    const kicked: string[] = [];
    const a = new BusOutboxKicks(new RemoteBus('a', transport('a'), clock), () => true);
    const b = new BusOutboxKicks(new RemoteBus('b', transport('b'), clock), (network) => network === 'xmpp');
    b.onKick((network) => kicked.push(`b:${network}`));
    a.onKick((network) => kicked.push(`a:${network}`));
    a.queued('xmpp');
    a.queued('irc');
    assert.deepEqual(kicked, ['b:xmpp'], 'not back to the node that queued, nor to a node without the network');
  });
});
