// Gateway round trip XMPP -> IRC -> XMPP through the bridge (an XMPP user writes to an IRC user,
// who echoes it back), against biboumi, Debian's XMPP-IRC gateway, on the same Prosody and ngircd
// in the same run: latency p50/p99 one at a time, round trips/s with a window in flight, and the
// CPU per round trip and RSS of each gateway process alone (the bridge runs as its own CLI process).
// Run with `npm run build && node --import tsx bench/gateway.mjs`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xml } from '@xmpp/client';
import IRC from 'irc-framework';
import { recordGoals } from './lib/goals.mjs';
import { cpuMicros, rssMiB } from './lib/processes.mjs';
import { now, percentile, run, xmppClient } from './lib/round-trips.mjs';
import { startProsody } from '../bridge-server/test/servers/prosody.ts';
import { startNgircd } from '../bridge-server/test/servers/ngircd.ts';
import { freePort, waitForPort } from '../bridge-server/test/servers/ports.ts';

const ROUND_TRIPS = Number(process.env.BENCH_GATEWAY_MESSAGES ?? 1000);
const WINDOW = Number(process.env.BENCH_GATEWAY_WINDOW ?? 20);
/** A folder for the bridge's CPU profile (`node --cpu-prof`), when set. */
const CPU_PROF_DIR = process.env.BENCH_GATEWAY_CPU_PROF;
/**
 * Round trips one at a time, then as many with the window, before measuring: each gateway is
 * measured as it runs for days (with 100, the bridge's CPU per round trip was 1.5 to 1.8x as much,
 * its compiler still at work on its hot code).
 */
const WARMUP = Number(process.env.BENCH_GATEWAY_WARMUP ?? 1000);
const TEXT = 'Where is my order #48213? It shipped last week but the tracking page has not moved since.';
const CLI = fileURLToPath(new URL('../bridge-server/dist/cli.js', import.meta.url));
const BIBOUMI = '/usr/bin/biboumi';
const BIBOUMI_DOMAIN = 'biboumi.localhost';
const IRC_ID = 'test';
const ECHO = 'echo';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The IRC user: echoes every private message back to its sender. */
function echoClient(port) {
  const irc = new IRC.Client();
  irc.on('privmsg', (event) => {
    if (event.target === ECHO) irc.say(event.nick, event.message);
  });
  return new Promise((resolve, reject) => {
    irc.once('registered', () => resolve(irc));
    irc.once('close', () => reject(new Error('the echo client could not connect')));
    irc.connect({ host: '127.0.0.1', port, nick: ECHO, username: ECHO, gecos: 'bench echo', auto_reconnect: false });
  });
}

/** One XMPP user's path through a gateway to the echo: `send(id, onEcho)` for `run`. */
function pathThrough(user, echoJid) {
  const waiters = new Map();
  user.on('stanza', (stanza) => {
    if (!stanza.is('message') || stanza.attrs.from?.split('/')[0] !== echoJid) return;
    const body = stanza.getChildText('body');
    const id = body?.slice(0, body.indexOf(' '));
    if (id) waiters.get(id)?.(id);
  });
  return (id, onEcho) => {
    waiters.set(id, (echoed) => {
      waiters.delete(echoed);
      onEcho(echoed);
    });
    return user.send(xml('message', { type: 'chat', to: echoJid }, xml('body', {}, `${id} ${TEXT}`)));
  };
}

/** Runs a gateway process and measures it: latency one at a time, then throughput with WINDOW in flight. */
async function measure(pid, send) {
  const rssBefore = rssMiB(pid);
  await run(send, WARMUP, 1);
  await run(send, WARMUP, WINDOW);
  const cpuBefore = cpuMicros(pid);
  const latency = await run(send, ROUND_TRIPS, 1);
  const throughput = await run(send, ROUND_TRIPS, WINDOW);
  const cpuAfter = cpuMicros(pid);
  const [user, system] = [cpuAfter.user - cpuBefore.user, cpuAfter.system - cpuBefore.system].map((micros) => micros / (2 * ROUND_TRIPS));
  return { latency, throughput, cpuPerRoundTrip: user + system, cpuSplit: { user, system }, rss: rssMiB(pid), rssBefore };
}

/** XEP-0050: runs biboumi's `configure` command on the IRC server, with `changes` to the form it offers. */
async function configureBiboumiServer(user, serverJid, changes) {
  const command = (attrs, ...children) =>
    user.iqCaller.request(
      xml('iq', { type: 'set', to: serverJid }, xml('command', { xmlns: 'http://jabber.org/protocol/commands', node: 'configure', ...attrs }, ...children)),
    );
  const offered = (await command({ action: 'execute' })).getChild('command');
  const form = offered.getChild('x', 'jabber:x:data');
  const fields = form.getChildren('field').filter((field) => field.attrs.var && field.attrs.type !== 'fixed');
  const values = Object.fromEntries(fields.map((field) => [field.attrs.var, field.getChildren('value').map((value) => value.text())]));
  Object.assign(values, changes);
  const submitted = xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    ...Object.entries(values).map(([name, list]) => xml('field', { var: name }, ...list.map((value) => xml('value', {}, value)))),
  );
  const done = await command({ sessionid: offered.attrs.sessionid, action: 'complete' }, submitted);
  if (done.getChild('command')?.attrs.status !== 'completed') throw new Error(`biboumi did not take its configuration: ${done.toString()}`);
}

/** biboumi as a component of `prosody`, its database in `dir`; stopped by PID. */
async function startBiboumi(prosody, dir) {
  const cfg = join(dir, 'biboumi.cfg');
  await writeFile(
    cfg,
    [
      `hostname=${BIBOUMI_DOMAIN}`,
      `password=${prosody.componentSecret}`,
      'xmpp_server_ip=127.0.0.1',
      `port=${prosody.componentPort}`,
      `db_name=${join(dir, 'biboumi.sqlite')}`,
      'identd_port=0',
      `policy_directory=${dir}`,
      'realname_customization=true',
      `log_level=${process.env.BENCH_BIBOUMI_LOG_LEVEL ?? 3}`,
      `log_file=${join(dir, 'biboumi.log')}`,
      '',
    ].join('\n'),
  );
  const child = spawn(BIBOUMI, [cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child;
}

function stopByPid(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  return exited.finally(() => clearTimeout(timer));
}

/** The bridge's CLI as a child process in gateway mode, pacing lifted; resolves once XMPP and IRC are online. */
async function startBridge(prosody, ngircd, dir) {
  const port = await freePort();
  const configPath = join(dir, 'bridge.json');
  await writeFile(
    configPath,
    JSON.stringify({
      server: { host: '127.0.0.1', port },
      store: { type: 'sqlite', path: join(dir, 'bridge.db') },
      sites: [{ key: 'bench-site', origins: ['*'] }],
      teams: [],
      gateway: {
        site: 'bench-site',
        id: 'bench',
        allow: [
          { from: 'xmpp', to: 'irc' },
          { from: 'irc', to: 'xmpp' },
        ],
        ratePerMinute: 1e9,
        burst: 1e9,
      },
      networks: [
        { type: 'web' },
        { type: 'xmpp', service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: prosody.componentDomain, password: prosody.componentSecret },
        {
          type: 'irc',
          id: IRC_ID,
          server: `irc://127.0.0.1:${ngircd.port}`,
          nick: 'gw',
          flood: { burst: 1e6, linesPerSecond: 1e6, window: 1e6 },
        },
      ],
      limits: { ratePerSecond: 1e9, burst: 1e9 },
      log: { level: 'warn' },
    }),
  );
  const args = [...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []), CLI, '--config', configPath];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`the bridge exited with ${code}`))));
  exited.catch(() => {});
  await Promise.race([waitForPort(port), exited]);
  const online = async () => {
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    return ['xmpp', 'irc'].every((scheme) => ready.networks?.[scheme]?.state === 'online');
  };
  await Promise.race([until(online, 20_000, 'the bridge online'), exited]);
  return child;
}

if (!existsSync('/usr/bin/prosody') || !existsSync('/usr/sbin/ngircd')) {
  console.log('gateway bench skipped: Prosody and ngircd are needed (apt-get install -y prosody ngircd)');
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.log('gateway bench skipped: the bridge is not built (npm run build)');
  process.exit(0);
}
if (!existsSync(BIBOUMI) && process.getuid?.() === 0) {
  console.log('installing biboumi (apt-get install -y biboumi)');
  execFileSync('apt-get', ['install', '-y', 'biboumi'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  // The package starts its own service on the system's configuration: this benchmark runs its own.
  try {
    execFileSync('systemctl', ['stop', 'biboumi'], { stdio: 'ignore' });
  } catch {
    // No systemd: the package's service did not start.
  }
}
const withBiboumi = existsSync(BIBOUMI);
if (!withBiboumi) console.log('biboumi is not installed (apt-get install -y biboumi, as root): its side of the comparison is skipped');

const [prosody, ngircd] = await Promise.all([
  startProsody({
    users: [
      ['ann', 'annpw'],
      ['bea', 'beapw'],
    ],
    extraComponents: withBiboumi ? [BIBOUMI_DOMAIN] : [],
  }),
  startNgircd(),
]);
const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-gateway-'));
const closers = [];
let biboumi;
let bridge;
try {
  const echo = await echoClient(ngircd.port);
  closers.push(() => echo.quit());

  let peer;
  if (withBiboumi) {
    // ann -> biboumi -> ngircd -> echo -> ngircd -> biboumi -> ann.
    biboumi = await startBiboumi(prosody, dir);
    const ann = await xmppClient(prosody.c2sPort, 'ann');
    closers.push(() => ann.stop());
    const server = '127.0.0.1';
    await until(
      () =>
        configureBiboumiServer(ann, `${server}@${BIBOUMI_DOMAIN}`, { ports: [String(ngircd.port)], tls_ports: [], throttle_limit: ['-1'] }).then(
          () => true,
          () => false,
        ),
      20_000,
      'biboumi connected to Prosody',
    );
    // biboumi writes to IRC users only over a connection to their server, which joining a channel opens.
    const joined = new Promise((resolve) =>
      ann.on('stanza', (stanza) => {
        if (stanza.is('presence') && stanza.attrs.from === `#bench%${server}@${BIBOUMI_DOMAIN}/ann`) resolve();
      }),
    );
    await ann.send(xml('presence', { to: `#bench%${server}@${BIBOUMI_DOMAIN}/ann` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await Promise.race([joined, sleep(20_000).then(() => Promise.reject(new Error('biboumi did not join the IRC channel')))]);
    peer = { pid: biboumi.pid, send: pathThrough(ann, `${ECHO}%${server}@${BIBOUMI_DOMAIN}`) };
  }

  // bea -> bridge -> ngircd -> echo -> ngircd -> bridge -> bea.
  bridge = await startBridge(prosody, ngircd, dir);
  const bea = await xmppClient(prosody.c2sPort, 'bea');
  closers.push(() => bea.stop());
  const ours = { pid: bridge.pid, send: pathThrough(bea, `irc\\3a${ECHO}\\40${IRC_ID}@${prosody.componentDomain}`) };

  const theirs = peer ? await measure(peer.pid, peer.send) : undefined;
  const mine = await measure(ours.pid, ours.send);

  const ms = (value) => `${value.toFixed(2)} ms`;
  const rate = (r) => ROUND_TRIPS / r.seconds;
  const p = (r, q) => percentile(r.latencies, q);
  console.log(`\nGateway round trip XMPP -> IRC -> XMPP, ${ROUND_TRIPS} each (one at a time, then ${WINDOW} in flight)`);
  const line = (name, r) =>
    console.log(
      `  ${name.padEnd(10)} p50 ${ms(p(r.latency, 50))}  p99 ${ms(p(r.latency, 99))}  ${rate(r.throughput).toFixed(0)} round trips/s  ` +
        `CPU ${r.cpuPerRoundTrip.toFixed(0)} us/round trip (user ${r.cpuSplit.user.toFixed(0)}, system ${r.cpuSplit.system.toFixed(0)})  RSS ${r.rss.toFixed(1)} MiB (${r.rssBefore.toFixed(1)} before)`,
    );
  if (theirs) line('biboumi', theirs);
  line('switchboard', mine);

  const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
  const peerText = (text) => (theirs ? `biboumi, same Prosody + ngircd: ${text}` : 'biboumi not installed');
  const rows = [
    {
      figure: 'gateway XMPP -> IRC -> XMPP round trip p50 / p99',
      now:
        `${ms(p(mine.latency, 50))} / ${ms(p(mine.latency, 99))}` +
        (theirs ? ` (${ratio(p(mine.latency, 50), p(theirs.latency, 50))} / ${ratio(p(mine.latency, 99), p(theirs.latency, 99))})` : ''),
      peer: peerText(theirs ? `${ms(p(theirs.latency, 50))} / ${ms(p(theirs.latency, 99))}` : ''),
      goal: '<= 1.2x / <= 1.5x',
      met: theirs ? p(mine.latency, 50) <= 1.2 * p(theirs.latency, 50) && p(mine.latency, 99) <= 1.5 * p(theirs.latency, 99) : null,
    },
    {
      figure: 'gateway CPU per round trip',
      now: `${mine.cpuPerRoundTrip.toFixed(0)} us`,
      peer: peerText(theirs ? `${theirs.cpuPerRoundTrip.toFixed(0)} us` : ''),
      goal: '<= 250 us',
      met: mine.cpuPerRoundTrip <= 250,
    },
    {
      figure: 'gateway RSS',
      now: `${mine.rss.toFixed(1)} MiB`,
      peer: peerText(theirs ? `${theirs.rss.toFixed(1)} MiB` : ''),
      goal: '<= 80 MiB',
      met: mine.rss <= 80,
    },
    {
      figure: `gateway round trips/s, ${WINDOW} in flight`,
      now: `${rate(mine.throughput).toFixed(0)}/s` + (theirs ? ` (${ratio(rate(mine.throughput), rate(theirs.throughput))})` : ''),
      peer: peerText(theirs ? `${rate(theirs.throughput).toFixed(0)}/s` : ''),
      goal: '>= 1x',
      met: theirs ? rate(mine.throughput) >= rate(theirs.throughput) : null,
    },
  ];
  recordGoals('gateway', rows);
  for (const row of rows) console.log(`  ${row.figure}: ${row.now} (${row.peer}; goal ${row.goal})`);
} catch (error) {
  console.error('gateway bench failed:', error);
  const log = join(dir, 'biboumi.log');
  if (existsSync(log)) console.error(`biboumi's log, its end:\n${readFileSync(log, 'utf8').slice(-3000)}`);
  process.exitCode = 1;
} finally {
  for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => {});
  await stopByPid(bridge);
  await stopByPid(biboumi);
  await Promise.all([prosody.destroy(), ngircd.destroy()]);
  await rm(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
