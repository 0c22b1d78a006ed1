// docs/deploying.md's HAProxy configuration ("Several nodes"), run as written with the test's
// addresses put in, in front of two bridge nodes on a real Postgres and Redis: a browser-like client
// on the long-polling fallback alone and one on WebSocket both work through it, reaching an agent
// connected to a node directly; a node that drains is taken out by the /readyz check, and a new
// client reaches the other one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Message } from '@switchboard/protocol';
import { io } from 'socket.io-client';
import { ORIGIN, SITE, type TestBridge, type V1Socket, agentAuth, call, connect, next, startBridge, until, untilTeam } from '../helpers.js';
import { type HaproxyServer, startHaproxy } from '../servers/haproxy.js';
import { freePort } from '../servers/ports.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type RedisServer, startRedis } from '../servers/redis.js';

const DOC = fileURLToPath(new URL('../../../docs/deploying.md', import.meta.url));

/** The HAProxy configuration of "Several nodes", with this machine's addresses in place of the example's. */
function documentedConfig(port: number, nodes: string[]): string {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(text.indexOf('## Several nodes'));
  const block = /```\n(defaults[\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'docs/deploying.md, "Several nodes", has the HAProxy configuration');
  const servers = block.split('\n').filter((line) => /^\s+server node\d/.test(line));
  assert.equal(servers.length, 3, 'three servers in the example');
  let config = block.replace('bind :80', `bind 127.0.0.1:${port}`);
  servers.forEach((line, i) => {
    const node = nodes[i];
    config = config.replace(line, node ? line.replace(/\d+\.\d+\.\d+\.\d+:\d+/, node) : '');
  });
  return config;
}

describe('HAProxy in front of two nodes, configured as docs/deploying.md says', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let haproxy: HaproxyServer;
  let url: string;
  const nodes: TestBridge[] = [];

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const databaseUrl = await postgres.createDatabase('socket');
    for (const nodeId of ['node-1', 'node-2'])
      nodes.push(await startBridge({ store: { type: 'postgres', url: databaseUrl, poolSize: 4 }, cluster: { nodeId, redis: { url: redis.url } } }));
    const port = await freePort();
    haproxy = await startHaproxy(
      documentedConfig(
        port,
        nodes.map((node) => new URL(node.url).host),
      ),
      [port],
    );
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await haproxy?.stop();
    for (const node of nodes) await node.stop();
    await Promise.all([redis?.destroy(), postgres?.destroy()]);
  });

  /** A visitor through the balancer on one transport; its message reaches the agent on node 2. */
  async function visitorThrough(transports: ('polling' | 'websocket')[], agent: V1Socket, text: string): Promise<V1Socket> {
    const socket: V1Socket = io(`${url}/v1`, { auth: { siteKey: SITE }, transports, reconnection: false, forceNew: true, extraHeaders: { origin: ORIGIN } });
    await new Promise((resolve, reject) => {
      socket.once('session', resolve);
      socket.once('connect_error', reject);
    });
    // The agent's presence reaches this node from the other over Redis: the conversation goes to them once it has.
    await untilTeam(socket, 'support', (a) => a.available === true);
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    const arrived = next(agent, 'message', (message: Message) => message.conversationId === conversationId);
    await call(socket, 'message:send', { conversationId, clientId: text, text });
    assert.equal((await arrived).text, text);
    return socket;
  }

  /** The node the balancer sends this machine's clients to (one client address, one node), and the other. */
  async function servedAndOther(): Promise<[TestBridge, TestBridge]> {
    const served = ((await (await fetch(`${url}/readyz`)).json()) as { node?: string }).node;
    const index = nodes.findIndex((node) => node.bridge.config.cluster?.nodeId === served);
    assert.ok(index >= 0, `the balancer answers from a node (${served})`);
    return [nodes[index]!, nodes[1 - index]!];
  }

  it('carries a long-polling client and a WebSocket client to an agent on the other node', async () => {
    const [, other] = await servedAndOther();
    const { socket: alice } = await connect(other, agentAuth('alice'));
    alice.on('message', (_message: Message, ack?: () => void) => ack?.());
    const polling = await visitorThrough(['polling'], alice, 'over long-polling, through HAProxy');
    // Several polls later the session still answers: every request reached the node that holds it.
    for (let i = 0; i < 5; i++) assert.equal((await call(polling, 'conversation:list', {})).ok, true);
    polling.disconnect();
    (await visitorThrough(['websocket'], alice, 'over WebSocket, through HAProxy')).disconnect();
    alice.disconnect();
  });

  it('stops sending new clients to a node that answers /readyz with 503, and they reach the other', async () => {
    const [leaving, staying] = await servedAndOther();
    const { socket: alice } = await connect(staying, agentAuth('alice'));
    alice.on('message', (_message: Message, ack?: () => void) => ack?.());
    // The node clients are sent to stops: it drains (503), then closes; the balancer's check takes it out.
    await leaving.stop();
    nodes.splice(nodes.indexOf(leaving), 1);
    const stayingId = staying.bridge.config.cluster?.nodeId;
    await until(
      async () => {
        const answer = await fetch(`${url}/readyz`).catch(() => null);
        return answer?.status === 200 && ((await answer.json()) as { node?: string }).node === stayingId;
      },
      15_000,
      'the balancer sending to the other node only',
    );
    for (let i = 0; i < 3; i++) (await visitorThrough(['polling', 'websocket'], alice, `after the first node left ${i}`)).disconnect();
    alice.disconnect();
  });
});
