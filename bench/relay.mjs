#!/usr/bin/env node
/**
 * Web-to-web relay benchmark: the full Switchboard bridge (visitor -> bridge -> agent) against a
 * bare socket.io 4 relay (client A -> server -> client B) of the same messages, in one process on
 * 127.0.0.1. Prints throughput (msg/s) and latency (p50, p99) for both, the bridge/peer ratios and
 * whether the goals are met, then one JSON line with the figures. A report, not a test: exits 0
 * whatever the ratios (1 only if the benchmark itself cannot run).
 *
 * Run from the repository root: `node bench/relay.mjs` (or `npm run bench`). See bench/README.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { importBridge, intFromEnv } from './lib/env.mjs';
import { recordGoals } from './lib/goals.mjs';

// --- settings -------------------------------------------------------------------------------------

const SETTINGS = {
  /** Messages per throughput run. */
  messages: intFromEnv('BENCH_MESSAGES', 5000),
  /** Messages per latency run, sent one at a time. */
  latencyMessages: intFromEnv('BENCH_LATENCY_MESSAGES', 1000),
  /** Most messages in flight (sent, not yet received by B) during a throughput run. */
  window: intFromEnv('BENCH_WINDOW', 100),
  /** Warm-up messages per side before measuring. */
  warmup: intFromEnv('BENCH_WARMUP', 200, 0),
  /** Measured rounds; peer and bridge alternate within each round, and which goes first alternates too. */
  rounds: intFromEnv('BENCH_ROUNDS', 3),
  /** A run that makes no progress for this long fails the benchmark. */
  stallMs: intFromEnv('BENCH_STALL_MS', 20_000),
};

/** Against peer5, the bare relay sending the same packets as the bridge's contract. */
const GOALS = { throughputRatioMin: 0.8, p99RatioMax: 2 };

/** ~100 characters, the same for both sides. */
const TEXT = 'Hello, I have a question about my order #48213: it shipped last week but the tracking is stuck.'.padEnd(100, '.');

const SITE_KEY = 'bench-site';
const IDENTITY_SECRET = 'bench-identity-secret-0123456789';

// --- helpers --------------------------------------------------------------------------------------

const now = () => process.hrtime.bigint();
const nsToMs = (ns) => Number(ns) / 1e6;

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function median(values) {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Connects a socket.io client (websocket only, its own connection) and resolves once connected. */
function connectClient(url, auth) {
  return new Promise((resolve, reject) => {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, ...(auth ? { auth } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(new Error(`connect to ${url} failed: ${error.message}${error.data ? ` ${JSON.stringify(error.data)}` : ''}`));
    });
  });
}

/** Resolves with the first `event` a socket receives (or rejects after `ms`). */
function once(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    socket.once(event, (value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/**
 * A relay under test: `send(id)` makes A send one message tagged `id`; `onReceive(id)` is called when
 * B receives it; `onError(error)` when A's acknowledgement reports a failure. Both sides implement it.
 */
class Relay {
  constructor(name) {
    this.name = name;
    /** Refusals seen, including late ones outside a measurement. */
    this.errors = 0;
    this.onReceive = () => {};
    this.onError = () => {};
  }

  /** Called with A's acknowledgement of each message. */
  checkAck(response) {
    if (response?.ok) return;
    this.errors++;
    this.onError(new Error(`${this.name}: message refused: ${JSON.stringify(response?.error ?? response)}`));
  }
}

// --- peer: bare socket.io relay ---------------------------------------------------------------------

/**
 * `receipts: false`: the bare relay (A -> server -> B, A acked): 3 packets a message.
 * `receipts: true`: the same packets as the bridge's contract (B acknowledges each message and the
 * server reports it to A as a status): 5 packets a message, still with no storage or validation.
 */
async function startPeer({ receipts = false } = {}) {
  const http = createServer();
  const server = new Server(http, { perMessageDeflate: false });
  server.on('connection', (socket) => {
    socket.join(String(socket.handshake.auth.role));
    // A -> server -> B's room; A gets an ack, as every client event of the bridge's contract does.
    socket.on('relay', (payload, ack) => {
      if (receipts) {
        for (const id of server.of('/').adapter.rooms.get('b') ?? []) {
          server.sockets.sockets.get(id)?.emit('relay', payload, () => server.to('a').emit('status', { id: payload.id, status: 'delivered' }));
        }
      } else {
        server.to('b').emit('relay', payload);
      }
      if (typeof ack === 'function') ack({ ok: true });
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${http.address().port}`;
  const a = await connectClient(url, { role: 'a' });
  const b = await connectClient(url, { role: 'b' });

  const relay = new Relay(receipts ? 'peer5' : 'peer');
  b.on('relay', (payload, received) => {
    if (typeof received === 'function') received();
    relay.onReceive(payload.id);
  });
  const onAck = (response) => relay.checkAck(response);
  relay.send = (id) => a.emit('relay', { text: TEXT, id }, onAck);
  relay.close = async () => {
    a.close();
    b.close();
    await new Promise((resolve) => server.close(() => resolve()));
  };
  return relay;
}

// --- bridge: visitor -> Switchboard -> agent ----------------------------------------------------------

async function startBridge() {
  const { createBridge, parseConfig, identityHash } = await importBridge();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  let bridge;
  let agent;
  let visitor;
  const close = async () => {
    agent?.close();
    visitor?.close();
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 0 },
        store: { type: 'sqlite', path: join(dir, 'bench.db') },
        sites: [{ key: SITE_KEY, origins: ['*'], identitySecret: IDENTITY_SECRET }],
        teams: [{ id: 'support', members: ['web:a_agent'] }],
        limits: { ratePerSecond: 1e9, burst: 1e9 },
        log: { level: 'silent' },
      },
      'bench',
      dir,
    );
    bridge = await createBridge(config);
    const url = `${await bridge.start()}/v1`;

    // The agent first, so it is available when the visitor's conversation is routed to the team.
    agent = await connectClient(url, {
      siteKey: SITE_KEY,
      identity: { userId: 'agent', role: 'agent', hash: identityHash(IDENTITY_SECRET, 'agent', 'agent') },
    });
    visitor = await connectClient(url, { siteKey: SITE_KEY });

    const opened = await visitor.timeout(5000).emitWithAck('conversation:open', { team: 'support' });
    if (!opened.ok) throw new Error(`conversation:open refused: ${JSON.stringify(opened.error)}`);
    const { conversation } = opened;
    if (conversation.assignee !== 'web:a_agent') throw new Error(`conversation not assigned to the agent: ${JSON.stringify(conversation)}`);

    const relay = new Relay('bridge');
    // As the SDK does: acknowledge each pushed message (the bridge reports it `delivered`).
    agent.on('message', (message, received) => {
      if (typeof received === 'function') received();
      relay.onReceive(message.clientId);
    });
    const onAck = (response) => relay.checkAck(response);
    relay.send = (id) => visitor.emit('message:send', { conversationId: conversation.id, clientId: id, text: TEXT }, onAck);
    relay.close = close;
    return relay;
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

// --- measurements -----------------------------------------------------------------------------------

let sequence = 0;
/** A clientId / tag unique across the whole run (the bridge dedupes per sender and clientId). */
const nextId = (tag) => `${tag}-${++sequence}`;

/**
 * Sends `count` messages keeping at most `window` in flight (sent, not yet received by B).
 * Resolves with messages/s from the first send to the last receipt.
 */
function measureThroughput(relay, count, window, tag) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let progressAt = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - progressAt > SETTINGS.stallMs) fail(new Error(`${relay.name}: throughput run stalled at ${received}/${count} received`));
    }, 1000);
    const finish = () => {
      clearInterval(watchdog);
      relay.onReceive = () => {};
      relay.onError = () => {};
    };
    const fail = (error) => {
      finish();
      reject(error);
    };
    relay.onError = fail;
    relay.onReceive = () => {
      received++;
      progressAt = Date.now();
      if (received === count) {
        const elapsed = now() - start;
        finish();
        resolve(count / (Number(elapsed) / 1e9));
      } else if (sent < count) {
        sent++;
        relay.send(nextId(tag));
      }
    };
    const start = now();
    const initial = Math.min(window, count);
    for (; sent < initial; sent++) relay.send(nextId(tag));
  });
}

/** Sends `count` messages one at a time; resolves with each send -> B-receipt latency, in ms. */
async function measureLatency(relay, count, tag) {
  const samples = [];
  try {
    for (let i = 0; i < count; i++) {
      const id = nextId(tag);
      const started = now();
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${relay.name}: message ${id} not received within ${SETTINGS.stallMs} ms`)), SETTINGS.stallMs);
        relay.onError = (error) => {
          clearTimeout(timer);
          reject(error);
        };
        relay.onReceive = (got) => {
          if (got !== id) return;
          samples.push(nsToMs(now() - started));
          clearTimeout(timer);
          resolve();
        };
        relay.send(id);
      });
    }
  } finally {
    relay.onReceive = () => {};
    relay.onError = () => {};
  }
  return samples;
}

/** Lets the event loop settle (pending acks, receipts and status events) between runs. */
async function settle() {
  await new Promise((resolve) => setTimeout(resolve, 200));
  globalThis.gc?.();
}

// --- report -------------------------------------------------------------------------------------------

function fmt(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function report(results) {
  const { peer, peer5, bridge } = results;
  const throughputRatio = bridge.throughput / peer.throughput;
  const p50Ratio = bridge.p50 / peer.p50;
  const p99Ratio = bridge.p99 / peer.p99;
  const same = { throughput: bridge.throughput / peer5.throughput, p50: bridge.p50 / peer5.p50, p99: bridge.p99 / peer5.p99 };
  const rows = [
    [
      'throughput (msg/s)',
      fmt(peer.throughput, 0),
      fmt(peer5.throughput, 0),
      fmt(bridge.throughput, 0),
      `${fmt(throughputRatio, 2)}x`,
      `${fmt(same.throughput, 2)}x`,
      `>= ${GOALS.throughputRatioMin}x peer5`,
      same.throughput >= GOALS.throughputRatioMin,
    ],
    ['latency p50 (ms)', fmt(peer.p50, 3), fmt(peer5.p50, 3), fmt(bridge.p50, 3), `${fmt(p50Ratio, 2)}x`, `${fmt(same.p50, 2)}x`, '', null],
    [
      'latency p99 (ms)',
      fmt(peer.p99, 3),
      fmt(peer5.p99, 3),
      fmt(bridge.p99, 3),
      `${fmt(p99Ratio, 2)}x`,
      `${fmt(same.p99, 2)}x`,
      `<= ${GOALS.p99RatioMax}x peer5`,
      same.p99 <= GOALS.p99RatioMax,
    ],
  ].map(([metric, p, p5, b, ratio, ratio5, goal, met]) => [metric, p, p5, b, ratio, ratio5, goal, met === null ? '' : met ? 'met' : 'not met']);
  const header = ['metric', 'peer', 'peer5', 'bridge', 'bridge/peer', 'bridge/peer5', 'goal', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');

  console.log('');
  console.log(
    `Web-to-web relay, 127.0.0.1, ${SETTINGS.rounds} round(s): throughput ${SETTINGS.messages} msgs (window ${SETTINGS.window}, median of rounds), ` +
      `latency ${SETTINGS.latencyMessages} msgs one at a time (all rounds pooled), ${TEXT.length}-char text`,
  );
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log("peer: bare relay, 3 packets a message. peer5: bare relay with the contract's 5 packets (ack, client receipt, delivered status).");
  console.log('Goals are against peer5 (the same packets): bridge/peer5 is the cost of storage, validation and routing.');
  recordGoals('relay', [
    {
      figure: 'web relay throughput',
      now: `${fmt(bridge.throughput, 0)} msg/s (${fmt(same.throughput, 2)}x)`,
      peer: `bare relay, same 5 packets: ${fmt(peer5.throughput, 0)} msg/s`,
      goal: `>= ${GOALS.throughputRatioMin}x`,
      met: same.throughput >= GOALS.throughputRatioMin,
    },
    {
      figure: 'web relay p99',
      now: `${fmt(bridge.p99, 3)} ms (${fmt(same.p99, 2)}x)`,
      peer: `bare relay, same 5 packets: ${fmt(peer5.p99, 3)} ms`,
      goal: `<= ${GOALS.p99RatioMax}x`,
      met: same.p99 <= GOALS.p99RatioMax,
    },
  ]);
  console.log('');
  console.log(
    JSON.stringify({
      bench: 'relay',
      settings: SETTINGS,
      peer: { throughput: Math.round(peer.throughput), p50: peer.p50, p99: peer.p99, throughputRounds: peer.rounds.map(Math.round) },
      peer5: { throughput: Math.round(peer5.throughput), p50: peer5.p50, p99: peer5.p99, throughputRounds: peer5.rounds.map(Math.round) },
      bridge: { throughput: Math.round(bridge.throughput), p50: bridge.p50, p99: bridge.p99, throughputRounds: bridge.rounds.map(Math.round) },
      ratios: { throughput: throughputRatio, p50: p50Ratio, p99: p99Ratio },
      ratiosSamePackets: same,
      goals: {
        throughput: { min: GOALS.throughputRatioMin, against: 'peer5', met: same.throughput >= GOALS.throughputRatioMin },
        p99: { max: GOALS.p99RatioMax, against: 'peer5', met: same.p99 <= GOALS.p99RatioMax },
      },
    }),
  );
}

// --- main -----------------------------------------------------------------------------------------------

async function main() {
  const relays = [];
  try {
    relays.push(await startPeer(), await startPeer({ receipts: true }), await startBridge());
    const [peer, peer5, bridge] = relays;

    // Warm up both (JIT, sqlite page cache, socket buffers): half windowed, half one at a time.
    for (const relay of relays) {
      await measureThroughput(relay, Math.max(1, Math.ceil(SETTINGS.warmup / 2)), SETTINGS.window, `warm-${relay.name}`);
      await measureLatency(relay, Math.floor(SETTINGS.warmup / 2), `warm-${relay.name}`);
    }
    await settle();

    const throughput = { peer: [], peer5: [], bridge: [] };
    const latency = { peer: [], peer5: [], bridge: [] };
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const order = round % 2 === 0 ? [peer, peer5, bridge] : [bridge, peer5, peer];
      for (const relay of order) {
        await settle();
        const rate = await measureThroughput(relay, SETTINGS.messages, SETTINGS.window, `tp-${relay.name}-${round}`);
        throughput[relay.name].push(rate);
        console.error(`round ${round + 1}/${SETTINGS.rounds}  ${relay.name.padEnd(6)} throughput ${rate.toFixed(0)} msg/s`);
      }
      for (const relay of order) {
        await settle();
        const samples = await measureLatency(relay, SETTINGS.latencyMessages, `lat-${relay.name}-${round}`);
        latency[relay.name].push(...samples);
        const sorted = [...samples].sort((a, b) => a - b);
        console.error(
          `round ${round + 1}/${SETTINGS.rounds}  ${relay.name.padEnd(6)} latency p50 ${percentile(sorted, 50).toFixed(3)} ms, p99 ${percentile(sorted, 99).toFixed(3)} ms`,
        );
      }
    }

    const summary = (name) => {
      const sorted = latency[name].sort((a, b) => a - b);
      return { throughput: median(throughput[name]), rounds: throughput[name], p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };
    report({ peer: summary('peer'), peer5: summary('peer5'), bridge: summary('bridge') });
    for (const relay of relays) if (relay.errors > 0) console.error(`warning: ${relay.name} refused ${relay.errors} message(s)`);
  } finally {
    // Let the last acks, receipts and status events land, then close everything.
    await settle();
    for (const relay of relays.reverse()) await relay.close().catch((error) => console.error(`closing ${relay.name} failed: ${error.message}`));
  }
}

main().then(
  () => {
    // Everything is closed, so the process should end on its own; if a handle lingers, say so and exit.
    setTimeout(() => {
      console.error('bench: handles still open after clean-up; exiting');
      process.exit(0);
    }, 5000).unref();
  },
  (error) => {
    console.error(`bench failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
