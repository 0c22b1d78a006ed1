// Desk state two bridge nodes share on one real Postgres (and a bus between them in this process):
// round-robin turns taken on either node and kept across a restart, and an offer made on one node
// moved on by the other when the first is gone, once.
import assert from 'node:assert/strict';
import { type TestContext, after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Address, Conversation } from '@switchboard/protocol';
import { parseConfig } from '../../src/config.js';
import { withSite } from '../../src/networks/web/site-scope.js';
import { type Bridge, createBridge } from '../../src/server.js';
import type { StateBus } from '../../src/cluster/state-bus.js';
import { SITE, type V1Socket, agentAuth, baseConfig, call, connectTo, until } from '../helpers.js';
import { loopBus } from '../loop-state-bus.js';
import { loopDefinition } from '../loop-network.js';
import type { NetworkDefinition } from '../../src/networks/registry.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.destroy();
});

describe('desk state shared by two nodes', () => {
  const running: { bridge: Bridge; dir: string }[] = [];
  after(async () => {
    for (const { bridge, dir } of running.splice(0)) {
      await bridge.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A node on the database, with the team and its bus end (and, with `loop`, the test network too). */
  const nodeOn = async (url: string, team: Record<string, unknown>, bus: StateBus, loop?: NetworkDefinition): Promise<{ bridge: Bridge; url: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-shared-'));
    const networks = loop ? { networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }] } : {};
    const config = parseConfig(
      baseConfig(dir, { store: { type: 'postgres', url, poolSize: 4 }, teams: [{ id: 'support', sites: [SITE], ...team }], ...networks }),
      'test',
      dir,
    );
    const bridge = await createBridge(config, {
      logger: pino({ level: 'silent' }),
      shared: { bus, nodeId: `node-${running.length}` },
      ...(loop ? { networkDefinitions: { loop } } : {}),
    });
    running.push({ bridge, dir });
    return { bridge, url: await bridge.start() };
  };
  const stopNode = async (bridge: Bridge) => {
    const at = running.findIndex((node) => node.bridge === bridge);
    const [node] = running.splice(at, 1);
    await bridge.stop();
    rmSync(node!.dir, { recursive: true, force: true });
  };
  /** Web agents connected to a node: available there. */
  const agentsOn = async (t: TestContext, node: { url: string }, ids: string[]): Promise<V1Socket[]> => {
    const sockets = [];
    for (const id of ids) sockets.push((await connectTo(t, node.url, agentAuth(id))).socket);
    return sockets;
  };
  const open = async (t: TestContext, node: { url: string }): Promise<Conversation> => {
    const { socket } = await connectTo(t, node.url, { siteKey: SITE });
    const opened = await call(socket, 'conversation:open', { team: 'support' });
    assert.ok(opened.ok, JSON.stringify(opened));
    return opened.conversation;
  };

  it('takes round-robin turns across nodes, and keeps them across a restart', async (t) => {
    const url = await server.createDatabase('socket');
    const bus = loopBus();
    const team = { members: ['web:a_a1', 'web:a_a2', 'web:a_a3'], routing: 'round-robin' };
    const [a, b] = [await nodeOn(url, team, bus.node()), await nodeOn(url, team, bus.node())];
    const sockets = [...(await agentsOn(t, a, ['a1', 'a2', 'a3'])), ...(await agentsOn(t, b, ['a1', 'a2', 'a3']))];
    await until(async () => (await a.bridge.core.router.pickAgent('support', SITE)) !== undefined, 5000, 'agents available on a');
    await until(async () => (await b.bridge.core.router.pickAgent('support', SITE)) !== undefined, 5000, 'agents available on b');
    const assignees = [];
    for (const node of [a, b, a, b]) assignees.push((await open(t, node)).assignee);
    assert.deepEqual(assignees, ['web:a_a1', 'web:a_a2', 'web:a_a3', 'web:a_a1'], 'each node picks the agent whose turn it is');
    for (const socket of sockets) socket.disconnect();
    await stopNode(a.bridge);
    await stopNode(b.bridge);
    const again = await nodeOn(url, team, bus.node());
    await agentsOn(t, again, ['a1', 'a2', 'a3']);
    await until(async () => (await again.bridge.core.router.pickAgent('support', SITE)) !== undefined, 5000, 'agents available again');
    assert.equal((await open(t, again)).assignee, 'web:a_a2', 'after the restart, the turn goes on');
  });

  it('moves on, once, an offer whose node is gone', async (t) => {
    const url = await server.createDatabase('socket');
    const bus = loopBus();
    const team = { members: ['web:a_a1', 'web:a_a2'], routing: 'round-robin', offerTimeoutSeconds: 1 };
    // As the store keeps a web agent's address: scoped to its site.
    const A2 = withSite('web:a_a2', SITE);
    const [a, b] = [await nodeOn(url, team, bus.node()), await nodeOn(url, team, bus.node())];
    await agentsOn(t, a, ['a1']);
    await agentsOn(t, b, ['a1', 'a2']);
    await until(async () => (await a.bridge.core.router.pickAgent('support', SITE))?.agent.id === 'web:a_a1', 5000, 'a1 available on a');
    const offered = await open(t, a);
    assert.equal(offered.assignee, 'web:a_a1');
    assert.ok(b.bridge.core.router.offers.current(offered.id), 'the other node watches the offer');
    await stopNode(a.bridge); // its timers stop; the offer stays in the store, b watches it
    await until(async () => (await b.bridge.store.getConversation(offered.id))?.assignee === A2, 10_000, 'the offer moved to a2 by the node left');
    const moved = await b.bridge.store.getConversation(offered.id);
    assert.deepEqual(
      moved?.participants.filter((p) => p.startsWith('web:a_')),
      [A2],
      'moved once: a1 gave way to a2, nobody else',
    );
  });

  it('tells every node of the messages a retraction emptied, so that none sends a copy it holds', async () => {
    const url = await server.createDatabase('socket');
    const bus = loopBus();
    const team = { members: ['web:a_a1'] };
    const atA = loopDefinition();
    await nodeOn(url, team, bus.node(), atA.definition); // node a: the customer's messages come in here
    const b = await nodeOn(url, team, bus.node(), loopDefinition().definition);
    // What node b's outbox is told (its worker then sends nothing of those messages, from any copy).
    const { outbox } = b.bridge.core;
    const told: string[][] = [];
    const takenBack = outbox.takenBack.bind(outbox);
    outbox.takenBack = (ids) => {
      told.push([...ids]);
      takenBack(ids);
    };
    const customer = 'loop:dee@ok.example' as Address;
    const write = (text: string, corrects?: string) =>
      atA.network().sink.message({ network: 'loop', from: customer, to: 'team:support', team: { id: 'support' }, text, ...(corrects ? { corrects } : {}) });
    const original = await write('my card number is 4242 4242 4242 4242');
    assert.ok(original, 'the original stored');
    const correction = await write('my card number is 4242 4242 4242 4243', original.id);
    assert.equal(correction?.corrects, original.id, 'the correction stored');
    const retraction = await write('', original.id);
    assert.equal(retraction?.corrects, original.id, 'the retraction stored on node a');
    await until(() => told.length > 0, 5000, 'node b told');
    assert.deepEqual(
      told.map((ids) => [...ids].sort()),
      [[original.id, correction.id].sort()],
      'node b is told of the original and its correction, once',
    );
  });
});
