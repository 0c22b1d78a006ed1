#!/usr/bin/env node
/**
 * Idle-connection memory benchmark: what each idle visitor connection costs the bridge in RSS,
 * against a bare socket.io server measured in the same run. Each server runs in a child process of
 * its own (its RSS alone, after a forced GC); this process holds the websocket clients. Prints KiB
 * per connection for the bare server, the bridge with visitors only, and the bridge with each visitor
 * in an open conversation, the ratios and whether the goals are met, then one JSON line. A report,
 * not a test: exits 0 whatever the ratios (1 only if the benchmark itself cannot run).
 *
 * Run from the repository root: `node bench/idle.mjs` (or `npm run bench`). See bench/README.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io as connect } from 'socket.io-client';
import { importBridge, intFromEnv } from './lib/env.mjs';
import { recordGoals } from './lib/goals.mjs';

const SETTINGS = {
  /** Connections open at the first measurement. */
  from: intFromEnv('BENCH_IDLE_FROM', 3000),
  /** Connections open at the second; the figure is the RSS difference per added connection. */
  to: intFromEnv('BENCH_IDLE_TO', 5000),
  /** Handshakes in flight at once while connecting. */
  batch: intFromEnv('BENCH_IDLE_BATCH', 100),
};
if (SETTINGS.to <= SETTINGS.from) {
  console.error('BENCH_IDLE_TO must be more than BENCH_IDLE_FROM');
  process.exit(1);
}

const GOAL_RATIO = 1.25;
const SERVER_SCRIPT = fileURLToPath(new URL('./lib/idle-server.mjs', import.meta.url));
/** File descriptors each side needs: one per connection, and some to spare. */
const FDS_NEEDED = SETTINGS.to + 500;

/** The soft limit on open files of a shell started now (this process's own). */
function openFilesLimit() {
  const value = execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return value === 'unlimited' ? Infinity : Number(value);
}

/**
 * Starts a server child (`bare` or `bridge`) with --expose-gc and resolves with its URL, the
 * handshake auth its clients send, and `memory()` / `stop()`. When the open-files limit is below
 * what the connections need, the child is started through bash with the limit raised (which needs
 * the hard limit to allow it, or root).
 */
function startServer(side) {
  const node = [process.execPath, '--expose-gc', SERVER_SCRIPT, side];
  const quoted = node.map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
  const child =
    openFilesLimit() >= FDS_NEEDED
      ? spawn(node[0], node.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn('bash', ['-c', `ulimit -n ${FDS_NEEDED} && exec ${quoted}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${side} server exited (${code}) before it was ready`)));
    child.once('message', (ready) => {
      if (ready?.type !== 'ready') return reject(new Error(`${side} server: unexpected message ${JSON.stringify(ready)}`));
      if (!ready.gc) console.error(`warning: ${side} server runs without --expose-gc; RSS is read without a forced GC`);
      child.removeAllListeners('exit');
      resolve({
        url: ready.url,
        auth: ready.auth,
        agentAuth: ready.agentAuth,
        memory: () =>
          new Promise((done) => {
            child.once('message', done);
            child.send({ type: 'memory' });
          }),
        stop: () =>
          new Promise((done) => {
            child.once('exit', done);
            child.disconnect();
          }),
      });
    });
  });
}

/** Connects one websocket client and resolves once its connection is up (and, if asked, a conversation open). */
function connectClient(url, auth, openConversation) {
  return new Promise((resolve, reject) => {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 120_000, auth });
    socket.once('connect_error', (error) => {
      socket.close();
      reject(new Error(`connect to ${url} failed: ${error.message}`));
    });
    socket.once('connect', () => {
      if (!openConversation) return resolve(socket);
      socket
        .timeout(30_000)
        .emitWithAck('conversation:open', { team: 'support' })
        .then((answer) => (answer?.ok ? resolve(socket) : reject(new Error(`conversation:open refused: ${JSON.stringify(answer?.error)}`))), reject);
    });
  });
}

/** Opens connections until `count` are up, `batch` handshakes at a time. */
async function connectUpTo(clients, count, server, openConversation) {
  // The agent, if any, is not counted.
  const visitors = () => clients.length - (openConversation ? 1 : 0);
  while (visitors() < count) {
    const wave = Math.min(SETTINGS.batch, count - visitors());
    clients.push(...(await Promise.all(Array.from({ length: wave }, () => connectClient(server.url, server.auth, openConversation)))));
  }
}

/** RSS per added connection (KiB) for one side: from `from` connections to `to`. */
async function measure(name, side, openConversation) {
  const server = await startServer(side);
  const clients = [];
  try {
    // The team's agent, online before the visitors so each conversation is assigned to it.
    if (openConversation) clients.push(await connectClient(server.url, server.agentAuth, false));
    await connectUpTo(clients, SETTINGS.from, server, openConversation);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const first = await server.memory();
    await connectUpTo(clients, SETTINGS.to, server, openConversation);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = await server.memory();
    const added = SETTINGS.to - SETTINGS.from;
    const perConnection = (second.rssKiB - first.rssKiB) / added;
    const heapPerConnection = (second.heapUsedKiB - first.heapUsedKiB) / added;
    console.error(
      `${name}: RSS ${first.rssKiB} KiB at ${SETTINGS.from}, ${second.rssKiB} KiB at ${SETTINGS.to}: ${perConnection.toFixed(1)} KiB per connection (JS heap ${heapPerConnection.toFixed(1)})`,
    );
    return { perConnection, heapPerConnection, first, second };
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
}

function fmt(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

async function main() {
  const limit = openFilesLimit();
  if (limit < FDS_NEEDED) {
    // The clients live in this process: it needs the descriptors too.
    console.error(
      `bench idle: open-files limit ${limit} is below the ${FDS_NEEDED} this process needs for ${SETTINGS.to} clients; run it with \`ulimit -n ${FDS_NEEDED}\` first`,
    );
    process.exit(1);
  }
  const bare = await measure('bare socket.io', 'bare', false);
  const visitors = await measure('bridge, visitors', 'bridge', false);
  const conversations = await measure('bridge, visitors in a conversation', 'bridge', true);

  const rows = [
    { figure: 'memory per idle visitor connection (3k -> 5k), RSS', result: visitors },
    { figure: 'memory per idle visitor connection with an open conversation (3k -> 5k), RSS', result: conversations },
  ].map(({ figure, result }) => {
    const ratio = result.perConnection / bare.perConnection;
    return {
      figure: SETTINGS.from === 3000 && SETTINGS.to === 5000 ? figure : figure.replace('3k -> 5k', `${SETTINGS.from} -> ${SETTINGS.to}`),
      now: `${fmt(result.perConnection)} KiB (${fmt(ratio, 2)}x)`,
      peer: `bare socket.io, same run: ${fmt(bare.perConnection)} KiB`,
      goal: `<= ${GOAL_RATIO}x`,
      met: ratio <= GOAL_RATIO,
      ratio,
    };
  });

  console.log('');
  console.log(`Memory per idle connection, RSS difference from ${SETTINGS.from} to ${SETTINGS.to} websocket connections, server alone in its process`);
  const bridgeRow = (name, result, row) => [
    name,
    fmt(result.perConnection),
    fmt(result.heapPerConnection),
    `${fmt(row.ratio, 2)}x`,
    row.goal,
    row.met ? 'met' : 'not met',
  ];
  const table = [
    ['side', 'KiB / connection', 'JS heap KiB / conn', 'ratio', 'goal', 'status'],
    ['bare socket.io', fmt(bare.perConnection), fmt(bare.heapPerConnection), '', '', ''],
    bridgeRow('bridge, visitors', visitors, rows[0]),
    bridgeRow('bridge, visitors in a conversation', conversations, rows[1]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  recordGoals(
    'idle',
    rows.map(({ ratio: _ratio, ...row }) => row),
  );
  console.log('');
  console.log(
    JSON.stringify({
      bench: 'idle',
      settings: SETTINGS,
      bare: bare.perConnection,
      visitors: visitors.perConnection,
      conversations: conversations.perConnection,
      heap: { bare: bare.heapPerConnection, visitors: visitors.heapPerConnection, conversations: conversations.heapPerConnection },
      ratios: { visitors: rows[0].ratio, conversations: rows[1].ratio },
    }),
  );
}

main().then(
  () => setTimeout(() => process.exit(0), 100).unref(),
  (error) => {
    console.error(`bench failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
