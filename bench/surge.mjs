#!/usr/bin/env node
/**
 * Surges: what a busy desk costs the bridge. The bridge runs in a child process (bench/lib/
 * bridge-child.mjs, SQLite in a temp dir, rate limits lifted) so its CPU is measured apart from the
 * clients', from /proc/<pid>/stat.
 *
 * 1. Queue: server CPU per conversation opened while 500 wait in the team's queue (no agent online),
 *    against opens into an empty queue, same bridge, same run.
 * 2. Restart storm: 1,000 visitors each watching their team's availability and 100 web agents; the
 *    bridge is killed, stays down 2 s, starts again on the same store and everyone reconnects at
 *    once: handshake (connect to `session`) p50/p99, the bridge's busy CPU and the packets visitors
 *    get meanwhile. Three storms (BENCH_STORMS) on the same clients; the median of each figure.
 *
 * Run from the repository root once the packages are built (`npm run build`): `node bench/surge.mjs`.
 * See bench/README.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { intFromEnv } from './lib/env.mjs';
import { recordGoals } from './lib/goals.mjs';
import { cpuMicros, startBridgeChild, stopChild } from './lib/processes.mjs';
import { machineQuiet } from './lib/quiet.mjs';

// --- settings -------------------------------------------------------------------------------------

const SETTINGS = {
  /** Conversations waiting in the queue before the measured opens. */
  queue: intFromEnv('BENCH_QUEUE', 500),
  /** Measured opens into the long queue. */
  opens: intFromEnv('BENCH_OPENS', 200),
  /** Measured opens into an empty queue (the peer). */
  emptyOpens: intFromEnv('BENCH_EMPTY_OPENS', 200),
  /** Opens in flight at once (a surge, not one at a time). */
  concurrency: intFromEnv('BENCH_CONCURRENCY', 10),
  /** Restart storm: visitors watching their team, and web agents. */
  visitors: intFromEnv('BENCH_VISITORS', 1000),
  agents: intFromEnv('BENCH_AGENTS', 100),
  /** How long the bridge stays down. */
  downMs: intFromEnv('BENCH_DOWN_MS', 2000, 0),
  /** Restart storms measured (the same clients, the bridge killed each time); the median storm is reported. */
  storms: intFromEnv('BENCH_STORMS', 3),
  /** Quiet time after the last answer before CPU is read again (coalesced updates go out meanwhile). */
  settleMs: intFromEnv('BENCH_SETTLE_MS', 2500, 0),
};

const GOALS = { openCpuMs: 1, handshakeP50Ms: 30, handshakeP99Ms: 100 };

const SITE_KEY = 'bench-site';
const IDENTITY_SECRET = 'bench-identity-secret-0123456789';
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

// --- helpers --------------------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (text) => process.stderr.write(`${text}\n`);

function median(values) {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat. */
function cpuMsOf(pid) {
  const { user, system } = cpuMicros(pid);
  return (user + system) / 1000;
}

/** Runs `work(i)` for i < count with at most `limit` at once. */
async function inParallel(count, limit, work) {
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < count) await work(nextIndex++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** A bridge child process on `config`, with the URL of its /v1 namespace. */
async function startChild(config) {
  const { child, url } = await startBridgeChild(config);
  return { child, url: `${url}/v1` };
}

function configFor(dir, port, teams) {
  return {
    server: { host: '127.0.0.1', port },
    store: { type: 'sqlite', path: join(dir, 'bench.db') },
    sites: [{ key: SITE_KEY, origins: ['*'], identitySecret: IDENTITY_SECRET }],
    teams,
    limits: { ratePerSecond: 1e9, burst: 1e9 },
    log: { level: 'silent' },
  };
}

/** Connects a client (websocket, its own connection, no automatic reconnection); resolves with it and its `session`. */
function connectClient(url, auth, onEvent) {
  return new Promise((resolve, reject) => {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
    if (onEvent) socket.onAny(onEvent);
    const timer = setTimeout(() => reject(new Error('no session within 30 s')), 30_000);
    socket.once('session', (session) => {
      clearTimeout(timer);
      resolve({ socket, session });
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`connect to ${url} failed: ${error.message}`));
    });
  });
}

async function call(socket, event, payload) {
  const answer = await socket.timeout(30_000).emitWithAck(event, payload);
  if (!answer.ok) throw new Error(`${event} refused: ${JSON.stringify(answer.error)}`);
  return answer;
}

const agentAuth = (identityHash, id) => ({ siteKey: SITE_KEY, identity: { userId: id, role: 'agent', hash: identityHash(IDENTITY_SECRET, 'agent', id) } });

async function importBridge() {
  try {
    return await import('@switchboard/bridge-server');
  } catch {
    return import('../bridge-server/dist/index.js');
  }
}

// --- 1. opens into a long queue -------------------------------------------------------------------

/** CPU of the bridge for `count` opens of `team` by fresh visitors, in ms per open (the visitors connect first, unmeasured). */
async function cpuPerOpen(child, url, team, count, counter) {
  const visitors = [];
  await inParallel(count, 20, async () => visitors.push((await connectClient(url, { siteKey: SITE_KEY }, counter)).socket));
  await sleep(SETTINGS.settleMs);
  // What the bridge spends idle (timers), taken off the opens' figure.
  const idleFrom = cpuMsOf(child.pid);
  await sleep(SETTINGS.settleMs);
  const before = cpuMsOf(child.pid);
  const idlePerMs = (before - idleFrom) / SETTINGS.settleMs;
  const started = performance.now();
  await inParallel(count, SETTINGS.concurrency, async (i) => {
    await call(visitors[i], 'conversation:open', { team });
  });
  const elapsed = performance.now() - started;
  await sleep(SETTINGS.settleMs);
  // What the bridge spends in the settle time is coalesced updates going out.
  const spent = cpuMsOf(child.pid) - before - idlePerMs * (elapsed + SETTINGS.settleMs);
  return { perOpen: spent / count, opensPerSecond: (count / elapsed) * 1000, visitors };
}

async function queueBench() {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-surge-'));
  // Nobody of either team is online: every conversation waits.
  const teams = [
    { id: 'support', members: ['web:a_nobody'] },
    { id: 'quiet', members: ['web:a_nobody'] },
  ];
  const { child, url } = await startChild(configFor(dir, 0, teams));
  const sockets = [];
  try {
    let packets = 0;
    const counter = (event) => {
      if (event === 'queue:position') packets++;
    };
    log(`queue: ${SETTINGS.queue} visitors open and wait`);
    await inParallel(SETTINGS.queue, 20, async () => {
      const { socket } = await connectClient(url, { siteKey: SITE_KEY }, counter);
      sockets.push(socket);
      await call(socket, 'conversation:open', { team: 'support' });
    });
    log(`queue: ${SETTINGS.emptyOpens} opens into an empty queue`);
    const empty = await cpuPerOpen(child, url, 'quiet', SETTINGS.emptyOpens, counter);
    sockets.push(...empty.visitors);
    log(`queue: ${SETTINGS.opens} opens while ${SETTINGS.queue} wait`);
    packets = 0;
    const long = await cpuPerOpen(child, url, 'support', SETTINGS.opens, counter);
    sockets.push(...long.visitors);
    return { empty, long, packetsPerOpen: packets / SETTINGS.opens };
  } finally {
    for (const socket of sockets) socket.close();
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  }
}

// --- 2. restart storm -----------------------------------------------------------------------------

/**
 * A client that reconnects by itself, as the SDK does (socket.io's backoff: 1 s +-50%, doubling up to
 * 5 s); a visitor watches its team again after each session. `onSession(ms)` gets each handshake's
 * time, from the start of the attempt that succeeded to `session`.
 */
function reconnectingClient(url, auth, { watches, onEvent, onSession }) {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, auth });
  let attemptAt = performance.now();
  socket.io.on('reconnect_attempt', () => (attemptAt = performance.now()));
  if (onEvent) socket.onAny(onEvent);
  socket.on('session', (session) => {
    const handshake = performance.now() - attemptAt;
    // A visitor resumes with its token, as the SDK keeps it.
    if (session.token && !auth.identity) socket.auth = { siteKey: SITE_KEY, token: session.token };
    const subscribed = watches ? call(socket, 'presence:subscribe', { team: 'support' }) : Promise.resolve();
    subscribed.then(
      () => onSession(handshake),
      (error) => log(`subscribe failed: ${error.message}`),
    );
  });
  return socket;
}

async function stormBench() {
  const { identityHash } = await importBridge();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-surge-'));
  const agentIds = Array.from({ length: SETTINGS.agents }, (_, i) => `agent${i}`);
  const teams = [{ id: 'support', members: agentIds.map((id) => `web:a_${id}`) }];
  let { child, url } = await startChild(configFor(dir, 0, teams));
  const sockets = [];
  try {
    log(`storm: ${SETTINGS.visitors} visitors watching the team, ${SETTINGS.agents} agents`);
    let restarted = false;
    let visitorPackets = 0;
    let availabilityPackets = 0;
    const countVisitor = (event) => {
      if (!restarted) return;
      visitorPackets++;
      if (event === 'team:availability') availabilityPackets++;
    };
    let ready = 0;
    let handshakes = [];
    let allReady = () => {};
    const onSession = (ms) => {
      ready++;
      if (restarted) handshakes.push(ms);
      if (ready === SETTINGS.visitors + SETTINGS.agents) allReady();
    };
    const everyoneReady = () => new Promise((resolve) => (allReady = resolve));
    let readyNow = everyoneReady();
    for (let i = 0; i < SETTINGS.visitors; i++) {
      sockets.push(reconnectingClient(url, { siteKey: SITE_KEY }, { watches: true, onEvent: countVisitor, onSession }));
      if (i % 20 === 19) await sleep(5);
    }
    for (const id of agentIds) sockets.push(reconnectingClient(url, agentAuth(identityHash, id), { watches: false, onSession }));
    await readyNow;
    await sleep(1000);
    const storms = [];
    for (let storm = 1; storm <= SETTINGS.storms; storm++) {
      // The kill comes on a quiet machine: 1,100 connections made just now have left work behind.
      await machineQuiet();
      log(`storm ${storm}/${SETTINGS.storms}: bridge killed, down ${SETTINGS.downMs} ms`);
      ready = 0;
      readyNow = everyoneReady();
      handshakes = [];
      visitorPackets = 0;
      availabilityPackets = 0;
      restarted = false;
      await stopChild(child, 'SIGKILL');
      const killedAt = performance.now();
      await sleep(SETTINGS.downMs);
      const port = Number(new URL(url).port);
      ({ child, url } = await startChild(configFor(dir, port, teams)));
      restarted = true;
      const before = cpuMsOf(child.pid);
      const clientBefore = process.cpuUsage();
      await readyNow;
      const client = process.cpuUsage(clientBefore);
      const stormMs = performance.now() - killedAt;
      await sleep(SETTINGS.settleMs);
      const busy = cpuMsOf(child.pid) - before;
      handshakes = handshakes.sort((a, b) => a - b);
      const result = { p50: percentile(handshakes, 50), p99: percentile(handshakes, 99), busy, stormMs, visitorPackets, availabilityPackets };
      log(
        `storm ${storm}/${SETTINGS.storms}: handshake p50 ${result.p50.toFixed(2)} / p99 ${result.p99.toFixed(2)} ms, bridge busy ${busy} ms, ` +
          `the clients' own CPU ${Math.round((client.user + client.system) / 1000)} ms`,
      );
      storms.push(result);
    }
    // When the 1,100 clients' randomized backoff lands their attempts decides much of one storm's
    // tail: the median storm of several, as the relay takes the median of its rounds.
    const middle = (key) => median(storms.map((storm) => storm[key]));
    return {
      p50: middle('p50'),
      p99: middle('p99'),
      busy: middle('busy'),
      stormMs: middle('stormMs'),
      visitorPackets: middle('visitorPackets'),
      availabilityPackets: middle('availabilityPackets'),
      runs: storms,
    };
  } finally {
    for (const socket of sockets) socket.close();
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  }
}

// --- report ---------------------------------------------------------------------------------------

try {
  const parts = (process.env.BENCH_PARTS ?? 'queue,storm').split(',');
  const queue = parts.includes('queue') ? await queueBench() : { long: { perOpen: NaN }, empty: { perOpen: NaN }, packetsPerOpen: NaN };
  const storm = parts.includes('storm') ? await stormBench() : { p50: NaN, p99: NaN, busy: NaN, stormMs: NaN, visitorPackets: NaN, availabilityPackets: NaN };
  const fmt = (ms) => ms.toFixed(2);
  const openMet = queue.long.perOpen <= GOALS.openCpuMs;
  const stormMet = storm.p50 <= GOALS.handshakeP50Ms && storm.p99 <= GOALS.handshakeP99Ms;
  console.log(`\nSurges (bridge in a child process; CPU from /proc, ${CLOCK_TICK_MS} ms ticks)`);
  console.log(
    `server CPU per open while ${SETTINGS.queue} wait: ${fmt(queue.long.perOpen)} ms (${Math.round(1000 / queue.long.perOpen)} opens/s per core), ` +
      `${queue.packetsPerOpen.toFixed(1)} queue:position packets per open; into an empty queue: ${fmt(queue.empty.perOpen)} ms; ` +
      `ratio ${(queue.long.perOpen / queue.empty.perOpen).toFixed(2)}x; goal <= ${GOALS.openCpuMs} ms: ${openMet ? 'met' : 'not met'}`,
  );
  console.log(
    `restart storm, ${SETTINGS.visitors} visitors + ${SETTINGS.agents} agents, ${SETTINGS.downMs} ms down, median of ${SETTINGS.storms}: handshake p50 ${fmt(storm.p50)} / p99 ${fmt(storm.p99)} ms ` +
      `(goal <= ${GOALS.handshakeP50Ms} / ${GOALS.handshakeP99Ms}: ${stormMet ? 'met' : 'not met'}); all back ${Math.round(storm.stormMs)} ms after the kill; ` +
      `bridge busy ${storm.busy} ms; ${storm.visitorPackets} packets to visitors (${storm.availabilityPackets} team:availability)`,
  );
  console.log(
    JSON.stringify({ settings: SETTINGS, queue: { long: queue.long.perOpen, empty: queue.empty.perOpen, packetsPerOpen: queue.packetsPerOpen }, storm }),
  );
  const thousands = (n) => n.toLocaleString('en-US');
  recordGoals('surge', [
    {
      figure: `server CPU per conversation opened while ${SETTINGS.queue} wait in the queue`,
      now: `${fmt(queue.long.perOpen)} ms (${thousands(Math.round(1000 / queue.long.perOpen))} opens/s per core)`,
      peer: `an open with an empty queue: ${fmt(queue.empty.perOpen)} ms`,
      goal: `<= ${GOALS.openCpuMs} ms`,
      met: openMet,
    },
    {
      figure: `restart storm, ${thousands(SETTINGS.visitors)} visitors + ${SETTINGS.agents} agents, ${SETTINGS.downMs / 1000} s down: handshake p50 / p99`,
      now: `${fmt(storm.p50)} / ${fmt(storm.p99)} ms`,
      peer: '',
      goal: `<= ${GOALS.handshakeP50Ms} / ${GOALS.handshakeP99Ms} ms`,
      met: stormMet,
    },
    {
      figure: 'restart storm: bridge busy time; packets to visitors',
      now: `${thousands(storm.busy)} ms CPU; ${thousands(storm.visitorPackets)} packets (${thousands(storm.availabilityPackets)} team:availability)`,
      peer: '',
      goal: '',
      met: null,
    },
  ]);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
