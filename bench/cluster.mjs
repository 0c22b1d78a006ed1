#!/usr/bin/env node
/**
 * Several nodes: the web relay (visitor -> bridge -> agent) with 1, 2 and 3 bridge nodes (the CLI,
 * each a process of its own) on one Postgres and one Redis, the visitor on the first node and the
 * agent on the last, so every message crosses nodes once there are several; and the lease takeover
 * after a kill -9 of the node holding the XMPP component (on a real Prosody). Prints throughput and
 * p99 for each node count with their ratios to one node, messages lost or doubled, and the
 * takeover time, then one JSON line. A report, not a test: exits 0 whatever the figures.
 *
 * This machine has 2 cores: nodes share them with Postgres, Redis and the clients, so more nodes
 * cannot add throughput here; what the ratios show is the cost of the hop between nodes (Redis).
 *
 * Run with `npm run build && node --import tsx bench/cluster.mjs` (or `npm run bench`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { intFromEnv, importBridge } from './lib/env.mjs';
import { recordGoals } from './lib/goals.mjs';
import { now, percentile } from './lib/round-trips.mjs';
import { startPostgres } from '../bridge-server/test/servers/postgres.ts';
import { startProsody } from '../bridge-server/test/servers/prosody.ts';
import { startRedis } from '../bridge-server/test/servers/redis.ts';
import { freePort, waitForPort } from '../bridge-server/test/servers/ports.ts';

const SETTINGS = {
  messages: intFromEnv('BENCH_CLUSTER_MESSAGES', 3000),
  latencyMessages: intFromEnv('BENCH_CLUSTER_LATENCY_MESSAGES', 500),
  window: intFromEnv('BENCH_WINDOW', 100),
};
const GOALS = { takeoverMs: 10_000 };
const CLI = fileURLToPath(new URL('../bridge-server/dist/cli.js', import.meta.url));
const SITE_KEY = 'bench-site';
const IDENTITY_SECRET = 'bench-identity-secret-0123456789';
const TEXT = 'Hello, I have a question about my order #48213: it shipped last week but the tracking is stuck.'.padEnd(100, '.');

const until = async (check, ms, what) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const readiness = async (port) => {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) })).json();
  } catch {
    return null;
  }
};

/** A node: the CLI with the cluster's configuration; resolves once it listens. */
async function startNode(dir, name, shared) {
  const port = await freePort();
  const configPath = join(dir, `${name}.json`);
  await writeFile(
    configPath,
    JSON.stringify({
      server: { host: '127.0.0.1', port },
      store: { type: 'postgres', url: shared.databaseUrl, poolSize: 8 },
      cluster: { nodeId: name, redis: { url: shared.redisUrl } },
      sites: [{ key: SITE_KEY, origins: ['*'], identitySecret: IDENTITY_SECRET }],
      teams: [{ id: 'support', members: ['web:a_agent'] }],
      networks: [{ type: 'web' }, ...(shared.xmpp ? [shared.xmpp] : [])],
      limits: { ratePerSecond: 1e9, burst: 1e9 },
      log: { level: 'warn' },
    }),
  );
  const child = spawn(process.execPath, [CLI, '--config', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((_, reject) => child.once('exit', (code, signal) => reject(new Error(`node ${name} exited (${code ?? signal})`))));
  exited.catch(() => {});
  await Promise.race([waitForPort(port, 30_000), exited]);
  return { name, port, child, url: `http://127.0.0.1:${port}` };
}

function connectClient(url, auth) {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/v1`, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
    socket.once('session', () => resolve(socket));
    socket.once('connect_error', (error) => reject(new Error(`connect to ${url}: ${error.message}`)));
  });
}

/** One run of the relay over `count` nodes: throughput with a window, then latency one at a time. */
async function relayRun(count, servers) {
  const { identityHash } = await importBridge();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-cluster-'));
  const shared = { databaseUrl: await servers.postgres.createDatabase('socket'), redisUrl: servers.redis.url };
  const nodes = [];
  const sockets = [];
  try {
    for (let i = 1; i <= count; i++) nodes.push(await startNode(dir, `node-${i}`, shared));
    const agent = await connectClient(nodes.at(-1).url, {
      siteKey: SITE_KEY,
      identity: { userId: 'agent', role: 'agent', hash: identityHash(IDENTITY_SECRET, 'agent', 'agent') },
    });
    sockets.push(agent);
    const visitor = await connectClient(nodes[0].url, { siteKey: SITE_KEY });
    sockets.push(visitor);
    // The agent's presence reaches the first node through Redis: opened once it counts there.
    let conversation;
    await until(
      async () => {
        const opened = await visitor.timeout(5000).emitWithAck('conversation:open', { team: 'support' });
        conversation = opened.conversation;
        return opened.ok && conversation.assignee === 'web:a_agent';
      },
      20_000,
      'a conversation assigned to the agent',
    );
    const received = new Map();
    let onReceive = () => {};
    agent.on('message', (message, ack) => {
      if (typeof ack === 'function') ack();
      received.set(message.clientId, (received.get(message.clientId) ?? 0) + 1);
      onReceive(message.clientId);
    });
    const acked = new Set();
    let refused = 0;
    let sequence = 0;
    const send = () => {
      const id = `m${++sequence}`;
      visitor.emit('message:send', { conversationId: conversation.id, clientId: id, text: TEXT }, (answer) => {
        if (answer?.ok) acked.add(id);
        else refused++;
      });
      return id;
    };

    const throughput = await new Promise((resolve, reject) => {
      let sent = 0;
      let got = 0;
      const start = now();
      const stall = setInterval(() => reject(new Error(`relay with ${count} nodes stalled at ${got}/${SETTINGS.messages}`)), 30_000);
      onReceive = () => {
        got++;
        stall.refresh();
        if (got === SETTINGS.messages) {
          clearInterval(stall);
          resolve(SETTINGS.messages / ((now() - start) / 1000));
        } else if (sent < SETTINGS.messages) {
          sent++;
          send();
        }
      };
      for (; sent < Math.min(SETTINGS.window, SETTINGS.messages); sent++) send();
    });

    const latencies = [];
    for (let i = 0; i < SETTINGS.latencyMessages; i++) {
      const started = now();
      await new Promise((resolve) => {
        const id = send();
        onReceive = (clientId) => clientId === id && resolve();
      });
      latencies.push(now() - started);
    }
    latencies.sort((a, b) => a - b);
    // Acknowledgements trail the deliveries by a moment: every message is acknowledged in the end.
    await until(() => acked.size + refused >= sequence, 10_000, 'every acknowledgement');
    const lost = [...acked].filter((id) => !received.has(id)).length;
    const doubled = [...received.values()].filter((times) => times > 1).length;
    return { nodes: count, throughput, p50: percentile(latencies, 50), p99: percentile(latencies, 99), acked: acked.size, refused, lost, doubled };
  } finally {
    for (const socket of sockets) socket.close();
    for (const node of nodes) node.child.kill('SIGTERM');
    await Promise.all(nodes.map((node) => new Promise((resolve) => (node.child.exitCode !== null ? resolve() : node.child.once('exit', resolve)))));
    await rm(dir, { recursive: true, force: true });
  }
}

/** Three nodes configured for one XMPP component: the holder is killed with kill -9; the time until another holds the lease. */
async function takeoverRun(servers) {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-takeover-'));
  const xmpp = {
    type: 'xmpp',
    service: `xmpp://127.0.0.1:${servers.prosody.componentPort}`,
    domain: servers.prosody.componentDomain,
    password: servers.prosody.componentSecret,
  };
  const shared = { databaseUrl: await servers.postgres.createDatabase('socket'), redisUrl: servers.redis.url, xmpp };
  const nodes = [];
  try {
    for (let i = 1; i <= 3; i++) nodes.push(await startNode(dir, `node-${i}`, shared));
    const holder = async () => {
      for (const node of nodes)
        if (node.child.exitCode === null && node.child.signalCode === null && (await readiness(node.port))?.networks?.xmpp?.state === 'online') return node;
      return undefined;
    };
    await until(async () => (await holder()) !== undefined, 20_000, 'the component online on one node');
    const first = await holder();
    const killedAt = now();
    first.child.kill('SIGKILL');
    let next;
    await until(async () => (next = await holder()) !== undefined && next !== first, 30_000, 'another node online on the component');
    return { takeoverMs: now() - killedAt, from: first.name, to: next.name };
  } finally {
    for (const node of nodes) node.child.kill('SIGTERM');
    await Promise.all(
      nodes.map(
        (node) => new Promise((resolve) => (node.child.exitCode !== null || node.child.signalCode !== null ? resolve() : node.child.once('exit', resolve))),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  }
}

if (!existsSync(CLI)) {
  console.error('cluster bench: build first (npm run build)');
  process.exit(1);
}

const [postgres, redis, prosody] = await Promise.all([startPostgres(), startRedis(), startProsody()]);
const servers = { postgres, redis, prosody };
try {
  const runs = [];
  for (const count of [1, 2, 3]) runs.push(await relayRun(count, servers));
  const takeover = await takeoverRun(servers);
  const one = runs[0];
  const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log('\nSeveral nodes: web relay (visitor on the first node, agent on the last), Postgres + Redis');
  console.log('nodes  throughput (msg/s)  vs 1 node  p50 (ms)  p99 (ms)  p99 vs 1 node  acked  lost  doubled');
  for (const run of runs)
    console.log(
      `${String(run.nodes).padEnd(5)}  ${fmt(run.throughput).padStart(18)}  ${`${fmt(run.throughput / one.throughput, 2)}x`.padStart(9)}  ${fmt(run.p50, 2).padStart(8)}  ${fmt(run.p99, 2).padStart(8)}  ${`${fmt(run.p99 / one.p99, 2)}x`.padStart(13)}  ${String(run.acked).padStart(5)}  ${String(run.lost).padStart(4)}  ${String(run.doubled).padStart(7)}`,
    );
  console.log('(2 cores here: the nodes share them with Postgres, Redis and the clients, so the ratios show the cost of the hop between nodes, not scaling)');
  console.log(
    `lease takeover after kill -9 of the XMPP holder (${takeover.from} -> ${takeover.to}): ${fmt(takeover.takeoverMs)} ms (goal <= ${fmt(GOALS.takeoverMs)} ms)`,
  );
  const lostOrDoubled = runs.reduce((sum, run) => sum + run.lost + run.doubled, 0);
  recordGoals('cluster', [
    ...runs.slice(1).map((run) => ({
      figure: `web relay throughput, ${run.nodes} nodes (across nodes)`,
      now: `${fmt(run.throughput)} msg/s`,
      peer: `1 node, same run: ${fmt(one.throughput)} msg/s (${fmt(run.throughput / one.throughput, 2)}x)`,
      goal: '',
      met: null,
    })),
    ...runs.slice(1).map((run) => ({
      figure: `web relay p99, ${run.nodes} nodes (across nodes)`,
      now: `${fmt(run.p99, 2)} ms`,
      peer: `1 node, same run: ${fmt(one.p99, 2)} ms (${fmt(run.p99 / one.p99, 2)}x)`,
      goal: '',
      met: null,
    })),
    { figure: 'acknowledged messages lost or doubled, 1-3 nodes', now: String(lostOrDoubled), peer: '', goal: '0', met: lostOrDoubled === 0 },
    {
      figure: 'lease takeover after kill -9 (default lease settings)',
      now: `${fmt(takeover.takeoverMs)} ms`,
      peer: '',
      goal: `<= ${fmt(GOALS.takeoverMs)} ms`,
      met: takeover.takeoverMs <= GOALS.takeoverMs,
    },
  ]);
  console.log(JSON.stringify({ bench: 'cluster', runs, takeover }));
} finally {
  await Promise.all([postgres.destroy(), redis.destroy(), prosody.destroy()]);
}
