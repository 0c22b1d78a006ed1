// The client hub on several nodes: connection counts add up across the nodes alive, a message
// reaches a party's connections on every node once, and the first acknowledgement counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import { type BusEnvelope, type BusTransport, RemoteBus } from '../../src/cluster/bus.js';
import { SocketHub, type V1Namespace } from '../../src/gateway/socket-hub.js';
import { ManualClock } from '../manual-clock.js';

const ALICE = 'web:a_alice' as Address;
const MESSAGE = { id: 'm1', conversationId: 'c1', seq: 1, from: 'web:v_x', text: 'hi' } as unknown as Message;

/** A namespace with the rooms and sockets a hub reads: each socket records what it got, and acknowledges if told to. */
function namespace() {
  const rooms = new Map<string, Set<string>>();
  const sockets = new Map<string, { got: unknown[]; ack: boolean; emit: (event: string, payload: unknown, ack: () => void) => void }>();
  const connect = (id: string, address: Address, ack = true) => {
    const socket = {
      got: [] as unknown[],
      ack,
      emit(_event: string, payload: unknown, done: () => void) {
        this.got.push(payload);
        if (this.ack) done();
      },
    };
    sockets.set(id, socket);
    const room = `a:${address}`;
    rooms.set(room, (rooms.get(room) ?? new Set()).add(id));
    return socket;
  };
  return { nsp: { adapter: { rooms }, sockets } as unknown as V1Namespace, connect };
}

/** `lost`: whether an envelope is lost on the way (Redis went away with it). */
function twoNodes(lost: (envelope: BusEnvelope) => boolean = () => false) {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const ends = new Map<string, (envelope: BusEnvelope) => void>();
  const transport = (node: string): BusTransport => ({
    send: (envelope) => {
      if (lost(envelope)) return;
      for (const [other, receive] of ends) if (other !== node) receive(envelope);
    },
    onReceive: (handler) => void ends.set(node, handler),
  });
  const make = (name: string) => {
    const bus = new RemoteBus(name, transport(name), clock);
    const space = namespace();
    return { bus, hub: new SocketHub(space.nsp, bus, () => clock.now().getTime()), connect: space.connect };
  };
  const a = make('a');
  const b = make('b');
  a.bus.start();
  b.bus.start();
  clock.set(clock.now());
  return { a, b, clock };
}

describe('the client hub on several nodes', () => {
  it("counts a party's connections on every node alive, and its site", () => {
    const { a, b } = twoNodes();
    b.hub.attach(ALICE, 'shop');
    b.hub.attach(ALICE, 'shop');
    a.hub.attach(ALICE, 'shop');
    assert.equal(a.hub.connectionCount(ALICE), 3);
    assert.equal(b.hub.connectionCount(ALICE), 3);
    assert.equal(a.hub.siteOf(ALICE), 'shop');
    a.hub.detach(ALICE);
    assert.equal(a.hub.connectionCount(ALICE), 2);
    assert.equal(a.hub.siteOf(ALICE), 'shop', 'from the other node');
    b.bus.stop();
    assert.equal(a.hub.connectionCount(ALICE), 0, 'a node that left has no connections');
    assert.equal(a.hub.isConnected(ALICE), false);
  });

  it("lists a site's agents and integrations connected on any node, and no one else", () => {
    const { a, b } = twoNodes();
    const ann = 'web:a_ann@shop' as Address;
    const crm = 'web:i_crm@shop' as Address;
    a.hub.attach(ann, 'shop');
    b.hub.attach(crm, 'shop');
    a.hub.attach('web:v_1', 'shop');
    b.hub.attach('web:u_7@shop', 'shop');
    b.hub.attach('web:a_zed@blog', 'blog');
    assert.deepEqual(a.hub.deskOn('shop').sort(), [ann, crm]);
    assert.deepEqual(b.hub.deskOn('shop').sort(), [ann, crm]);
    assert.deepEqual(a.hub.deskOn('blog'), ['web:a_zed@blog']);
    b.hub.attach(ann, 'shop');
    a.hub.detach(ann);
    assert.deepEqual(a.hub.deskOn('shop').sort(), [ann, crm], 'still connected on the other node');
    b.hub.detach(ann);
    assert.deepEqual(a.hub.deskOn('shop'), [crm]);
    b.bus.stop();
    assert.deepEqual(a.hub.deskOn('shop'), [], "a node that left takes its agents' connections with it");
    assert.deepEqual(a.hub.deskOn('elsewhere'), []);
  });

  it("tells only this node's connectivity to its listeners", () => {
    const { a, b } = twoNodes();
    const heard: string[] = [];
    a.hub.onConnectivity((address, connected) => heard.push(`${address} ${connected}`));
    b.hub.attach(ALICE, 'shop');
    a.hub.attach(ALICE, 'shop');
    a.hub.detach(ALICE);
    assert.deepEqual(heard, [`${ALICE} true`, `${ALICE} false`]);
  });

  it("delivers to the party's connections on each node once, the first acknowledgement counting", () => {
    const { a, b } = twoNodes();
    const here = a.connect('s1', ALICE, false); // a stale tab: never acknowledges
    const there = [b.connect('s2', ALICE), b.connect('s3', ALICE)];
    a.hub.attach(ALICE, 'shop');
    b.hub.attach(ALICE, 'shop');
    b.hub.attach(ALICE, 'shop');
    let received = 0;
    a.hub.deliverMessage(ALICE, MESSAGE, () => received++);
    assert.equal(here.got.length, 1);
    assert.deepEqual(
      there.map((socket) => socket.got.length),
      [1, 1],
    );
    assert.equal(received, 1);
  });

  it('publishes a delivery again at the next heartbeats when its receipt was lost, handed once, received once', () => {
    let receiptsLost = 1;
    const { a, b, clock } = twoNodes((envelope) => envelope.type === 'hub:received' && receiptsLost-- > 0);
    const there = b.connect('s2', ALICE);
    b.hub.attach(ALICE, 'shop');
    let received = 0;
    a.hub.deliverMessage(ALICE, MESSAGE, () => received++);
    assert.equal(there.got.length, 1);
    assert.equal(received, 0, 'its receipt lost');
    // Heartbeats every 2 s; past 4 s unreceived, node A publishes it to node B again.
    for (let second = 1; second <= 10; second++) clock.set(new Date(clock.now().getTime() + 1000));
    assert.equal(received, 1, 'the receipt said again');
    assert.equal(there.got.length, 1, 'not handed twice');
  });

  it('publishes a lost delivery again, and gives up after its last round', () => {
    const { a, b, clock } = twoNodes((envelope) => envelope.type === 'hub:deliver');
    const there = b.connect('s2', ALICE);
    b.hub.attach(ALICE, 'shop');
    let published = 0;
    a.bus.on('hub:deliver', () => undefined);
    const send = (a.bus as unknown as { send: (...args: unknown[]) => void }).send.bind(a.bus);
    (a.bus as unknown as { send: (...args: unknown[]) => void }).send = (type: unknown, ...rest: unknown[]) => {
      if (type === 'hub:deliver') published++;
      send(type, ...rest);
    };
    a.hub.deliverMessage(ALICE, MESSAGE, () => undefined);
    for (let second = 1; second <= 300; second++) clock.set(new Date(clock.now().getTime() + 1000));
    assert.equal(there.got.length, 0);
    assert.equal(published, 5, 'sent, then 4 rounds again (after 4, 8, 16 and 32 s)');
  });

  it('sends nothing to the other nodes for a party with no connection there', () => {
    const { a, b } = twoNodes();
    const there = b.connect('s2', ALICE); // in the room, but not counted yet
    let received = 0;
    a.hub.deliverMessage(ALICE, MESSAGE, () => received++);
    assert.equal(there.got.length, 0);
    assert.equal(received, 0);
  });
});
