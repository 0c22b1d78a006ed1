// Agent round trip through the bridge (visitor -> bridge -> Prosody -> agent's client -> reply ->
// bridge -> visitor) against a direct XMPP client-to-client round trip on the same Prosody, in one
// run: added latency p50/p99 and the throughput ratio. The bridge runs in a process of its own, as
// it does in use (bench/lib/bridge-child.mjs): in the clients' process its work after each send
// would hold up the agent's echo. Run with `npm run build && node --import tsx bench/xmpp.mjs`.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { io } from 'socket.io-client';
import { recordGoals } from './lib/goals.mjs';
import { percentile, run, xmppClient } from './lib/round-trips.mjs';
import { startProsody } from '../bridge-server/test/servers/prosody.ts';
import { cpuMicros, startBridgeChild, stopChild } from './lib/processes.mjs';

const ROUND_TRIPS = Number(process.env.BENCH_XMPP_MESSAGES ?? 1000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 50);
/**
 * Round trips one at a time on each path before measuring: the bridge is measured as it runs for
 * days, its hot code compiled (with 100, its CPU per round trip one at a time was about 1.5x as
 * much, its compiler still at work, and its p50 0.3 ms higher).
 */
const WARMUP = Number(process.env.BENCH_XMPP_WARMUP ?? 1000);
const TEXT = 'Where is my order #48213? It shipped last week but the tracking page has not moved since.';

if (!existsSync('/usr/bin/prosody')) {
  console.log('xmpp bench skipped: Prosody is not installed (apt-get install -y prosody; npm test installs it when run as root)');
  process.exit(0);
}

const prosody = await startProsody({
  users: [
    ['alice', 'alicepw'],
    ['bob', 'bobpw'],
  ],
  offline: true,
});
const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-xmpp-'));
let bridge;
const closers = [];
/** Runs round trips; with `pid`, adds that process's CPU per round trip (us) to the result. */
async function measured(send, count, window, pid) {
  const before = pid && cpuMicros(pid);
  const result = await run(send, count, window);
  if (!pid) return result;
  const after = cpuMicros(pid);
  return { ...result, bridgeCpuMicros: (after.user - before.user + after.system - before.system) / count };
}
try {
  // The agent's client echoes every message back to its sender: the same work on both paths.
  const alice = await xmppClient(prosody.c2sPort, 'alice');
  closers.push(() => alice.stop());
  alice.on('stanza', (stanza) => {
    const body = stanza.is('message') ? stanza.getChildText('body') : null;
    if (body) alice.send(xml('message', { type: 'chat', to: stanza.attrs.from }, xml('body', {}, body)));
  });

  // Direct: bob -> Prosody -> alice -> Prosody -> bob.
  const bob = await xmppClient(prosody.c2sPort, 'bob');
  closers.push(() => bob.stop());
  const directWaiters = new Map();
  bob.on('stanza', (stanza) => {
    const body = stanza.is('message') ? stanza.getChildText('body') : null;
    const id = body?.slice(0, body.indexOf(' '));
    if (id) directWaiters.get(id)?.(id);
  });
  const direct = (id, onEcho) => {
    directWaiters.set(id, (echoed) => {
      directWaiters.delete(echoed);
      onEcho(echoed);
    });
    return bob.send(xml('message', { type: 'chat', to: 'alice@localhost' }, xml('body', {}, `${id} ${TEXT}`)));
  };

  // Through the bridge: visitor (socket.io) -> bridge -> Prosody -> alice -> Prosody -> bridge -> visitor.
  const { child, url } = await startBridgeChild({
    server: { host: '127.0.0.1', port: 0 },
    store: { type: 'sqlite', path: join(dir, 'bench.db') },
    sites: [{ key: 'bench-site', origins: ['*'] }],
    teams: [{ id: 'support', members: ['xmpp:alice@localhost'] }],
    networks: [
      { type: 'web' },
      { type: 'xmpp', service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: prosody.componentDomain, password: prosody.componentSecret },
    ],
    limits: { ratePerSecond: 1e9, burst: 1e9 },
    log: { level: 'silent' },
  });
  bridge = child;
  const visitor = io(`${url}/v1`, { auth: { siteKey: 'bench-site' }, transports: ['websocket'] });
  closers.push(() => visitor.close());
  await new Promise((resolve) => visitor.once('session', resolve));
  for (;;) {
    const availability = await visitor.emitWithAck('presence:subscribe', { team: 'support' });
    if (availability.available) break;
    await new Promise((resolve) => visitor.once('team:availability', resolve));
  }
  const { conversation } = await visitor.emitWithAck('conversation:open', { team: 'support' });
  const bridgeWaiters = new Map();
  visitor.on('message', (message, ack) => {
    if (typeof ack === 'function') ack();
    if (message.from !== 'xmpp:alice@localhost') return;
    const id = message.text.slice(0, message.text.indexOf(' '));
    bridgeWaiters.get(id)?.(id);
  });
  const throughBridge = (id, onEcho) => {
    bridgeWaiters.set(id, (echoed) => {
      bridgeWaiters.delete(echoed);
      onEcho(echoed);
    });
    visitor.emit('message:send', { conversationId: conversation.id, clientId: `bench-${id}-${Math.random()}`, text: `${id} ${TEXT}` }, () => {});
    return Promise.resolve();
  };

  await run(direct, WARMUP, 1);
  await run(throughBridge, WARMUP, 1);
  const latency = { direct: await run(direct, ROUND_TRIPS, 1), bridge: await measured(throughBridge, ROUND_TRIPS, 1, child.pid) };
  const throughput = { direct: await run(direct, ROUND_TRIPS, WINDOW), bridge: await measured(throughBridge, ROUND_TRIPS, WINDOW, child.pid) };

  const p = (r, q) => percentile(r.latencies, q);
  const addedP50 = p(latency.bridge, 50) - p(latency.direct, 50);
  const addedP99 = p(latency.bridge, 99) - p(latency.direct, 99);
  const rate = (r) => ROUND_TRIPS / r.seconds;
  const ratio = rate(throughput.bridge) / rate(throughput.direct);
  console.log(`\nAgent round trip on one Prosody, ${ROUND_TRIPS} round trips (latency one at a time; throughput window ${WINDOW})`);
  console.log('metric                    direct    bridge     added / ratio   goal');
  console.log(
    `round trip p50 (ms)   ${p(latency.direct, 50).toFixed(3).padStart(10)}${p(latency.bridge, 50).toFixed(3).padStart(10)}   ${`+${addedP50.toFixed(3)} ms`.padStart(14)}   <= 1 ms added: ${addedP50 <= 1 ? 'met' : 'not met'}`,
  );
  console.log(
    `round trip p99 (ms)   ${p(latency.direct, 99).toFixed(3).padStart(10)}${p(latency.bridge, 99).toFixed(3).padStart(10)}   ${`+${addedP99.toFixed(3)} ms`.padStart(14)}   <= 3 ms added: ${addedP99 <= 3 ? 'met' : 'not met'}`,
  );
  console.log(
    `round trips/s         ${rate(throughput.direct).toFixed(0).padStart(10)}${rate(throughput.bridge).toFixed(0).padStart(10)}   ${`${ratio.toFixed(2)}x`.padStart(14)}`,
  );
  const cpu = (r) => r.cpuMicros.toFixed(0);
  const bridgeCpu = (r) => r.bridgeCpuMicros.toFixed(0);
  console.log(`CPU us / round trip   ${cpu(latency.direct).padStart(10)}${cpu(latency.bridge).padStart(10)}   (one at a time; the clients' process)`);
  console.log(`CPU us / round trip   ${cpu(throughput.direct).padStart(10)}${cpu(throughput.bridge).padStart(10)}   (window ${WINDOW})`);
  console.log(`bridge CPU us / rt    ${'-'.padStart(10)}${bridgeCpu(latency.bridge).padStart(10)}   (one at a time; the bridge's process)`);
  console.log(`bridge CPU us / rt    ${'-'.padStart(10)}${bridgeCpu(throughput.bridge).padStart(10)}   (window ${WINDOW})`);
  recordGoals('xmpp', [
    {
      figure: 'XMPP agent round trips/s, window ' + WINDOW,
      now: `${rate(throughput.bridge).toFixed(0)}/s (${ratio.toFixed(2)}x)`,
      peer: `direct client-to-client, same Prosody: ${rate(throughput.direct).toFixed(0)}/s`,
      goal: '>= 0.8x',
      met: ratio >= 0.8,
    },
    {
      figure: 'XMPP added latency p50 / p99',
      now: `+${addedP50.toFixed(2)} / +${addedP99.toFixed(2)} ms`,
      peer: `direct: ${p(latency.direct, 50).toFixed(2)} / ${p(latency.direct, 99).toFixed(2)} ms`,
      goal: '<= +1 / +3 ms',
      met: addedP50 <= 1 && addedP99 <= 3,
    },
    {
      figure: "XMPP bridge CPU per round trip (the bridge's process), one at a time / window " + WINDOW,
      now: `${bridgeCpu(latency.bridge)} / ${bridgeCpu(throughput.bridge)} us`,
      peer: `clients' process: direct ${cpu(latency.direct)} / ${cpu(throughput.direct)} us, through the bridge ${cpu(latency.bridge)} / ${cpu(throughput.bridge)} us`,
      goal: '-',
      met: null,
    },
  ]);
  console.log(
    JSON.stringify({
      bench: 'xmpp',
      roundTrips: ROUND_TRIPS,
      direct: {
        p50: p(latency.direct, 50),
        p99: p(latency.direct, 99),
        rate: rate(throughput.direct),
        cpuMicros: [latency.direct.cpuMicros, throughput.direct.cpuMicros],
      },
      bridge: {
        p50: p(latency.bridge, 50),
        p99: p(latency.bridge, 99),
        rate: rate(throughput.bridge),
        cpuMicros: [latency.bridge.cpuMicros, throughput.bridge.cpuMicros],
        bridgeCpuMicros: [latency.bridge.bridgeCpuMicros, throughput.bridge.bridgeCpuMicros],
      },
      addedP50,
      addedP99,
      throughputRatio: ratio,
    }),
  );
} finally {
  for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  if (bridge) await stopChild(bridge);
  await prosody.destroy();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
