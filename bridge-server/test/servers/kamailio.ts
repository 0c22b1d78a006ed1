/**
 * A real Kamailio for the tests (SIP/SIMPLE: registrar, RFC 3428 MESSAGE routing, RFC 3856 presence
 * with PIDF, digest auth), in a temp folder on free loopback ports, stopped by PID. It runs the
 * configuration the docs ship (docs/networks/kamailio.cfg), its placeholders filled in, with the
 * users' passwords in a db_text `subscriber` table inside the temp folder.
 *
 * SIP over UDP and TCP listens on `sipPort`, SIP over WebSocket (RFC 7118) on ws://127.0.0.1:`wsPort`.
 * Every REGISTER, MESSAGE, SUBSCRIBE, PUBLISH and INVITE must carry digest credentials of a user in
 * `users` (the From user, realm `domain`). A request to a user who is not registered is answered
 * 480 Temporarily Unavailable if the user exists, 404 Not Found otherwise. Registrations live in
 * memory only: after a restart every client must connect and register again (and publish and
 * subscribe again: presence state is not kept either).
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { serverProcess } from './process.js';

export interface KamailioServer {
  /** SIP over UDP and TCP on 127.0.0.1. */
  sipPort: number;
  /** SIP over WebSocket on 127.0.0.1 (`wsUrl`). */
  wsPort: number;
  wsUrl: string;
  /** The SIP domain (and digest realm) of the users: sip:alice@<domain>. */
  domain: string;
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL if it lingers); WebSocket clients are disconnected. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and users (registrations, publications and subscriptions are gone). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

/** A TCP port that is free for UDP too (SIP listens on both). */
async function freeTcpUdpPort(taken: number[] = []): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (taken.includes(port)) continue;
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** One db_text field: ':' separates fields, '\' escapes. */
function dbTextField(value: string): string {
  if (value === '' || /[\r\n\0]/.test(value))
    throw new Error(`a Kamailio test user or password cannot be empty or hold CR, LF or NUL: ${JSON.stringify(value)}`);
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

/** Requests to any user at `domain` go to the registration of `user` (at the main domain), who may send as anyone there. */
export interface RoutedDomain {
  domain: string;
  user: string;
}

/**
 * The configuration shipped to users, docs/networks/kamailio.cfg, with its placeholders filled in:
 * the tests run the documented file itself. Without a routed domain it runs as a plain SIP server.
 */
const DOCUMENTED_CONFIG = fileURLToPath(new URL('../../../docs/networks/kamailio.cfg', import.meta.url));

function config(dir: string, domain: string, sipPort: number, wsPort: number, routed: RoutedDomain | undefined): string {
  const values: Record<string, string> = {
    LISTEN_IP: '127.0.0.1',
    SIP_PORT: String(sipPort),
    WS_PORT: String(wsPort),
    DOMAIN: domain,
    // Placeholders of the plain set-up are never used (its part of the file is left out).
    VISITOR_DOMAIN: routed?.domain ?? 'visitors.invalid',
    BRIDGE_USER: routed?.user ?? 'nobody',
    DB_URL: `text://${join(dir, 'dbtext')}`,
    DEBUG: process.env.KAMAILIO_DEBUG ?? '-1',
  };
  const text = readFileSync(DOCUMENTED_CONFIG, 'utf8').replace(/@([A-Z_]+)@/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`docs/networks/kamailio.cfg has a placeholder the harness does not fill: ${placeholder}`);
    return value;
  });
  return text;
}

/**
 * `users`: user name to password, for digest auth (realm `domain`, default example.test).
 * `routedDomain`: e.g. { domain: 'web.example.test', user: 'switchboard' }: the one registration of a
 * gateway (the bridge) receives every request to any user @web.example.test and may send as any of them.
 * `KAMAILIO_DEBUG=2` (info) or `3` (debug) logs every request to stderr instead of kamailio.log.
 */
export async function startKamailio(options: { users?: Record<string, string>; domain?: string; routedDomain?: RoutedDomain } = {}): Promise<KamailioServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-kamailio-'));
  const dbDir = join(dir, 'dbtext');
  mkdirSync(dbDir);
  // The presence tables (and their versions) come from the package's db_text schema, fresh at every
  // start: db_text saves presentity at shutdown with NULLs it then refuses to load.
  const resetPresence = () => {
    for (const table of ['version', 'presentity', 'active_watchers', 'watchers', 'xcap', 'pua']) {
      cpSync(join('/usr/share/kamailio/dbtext/kamailio', table), join(dbDir, table));
    }
  };
  const domain = options.domain ?? 'example.test';
  // ha1 = MD5(user:realm:password) (ha1b with user@domain), as kamctl writes them (db_text takes no
  // empty field). db_text caches the table: it is read at start only.
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const rows = Object.entries(options.users ?? {}).map(([user, password], i) =>
    [i + 1, user, domain, password, md5(`${user}:${domain}:${password}`), md5(`${user}@${domain}:${domain}:${password}`)]
      .map((field) => dbTextField(String(field)))
      .join(':'),
  );
  writeFileSync(
    join(dbDir, 'subscriber'),
    `id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) \n${rows.map((row) => `${row}\n`).join('')}`,
  );
  const sipPort = await freeTcpUdpPort();
  const wsPort = await freeTcpUdpPort([sipPort]);
  const configPath = join(dir, 'kamailio.cfg');
  writeFileSync(configPath, config(dir, domain, sipPort, wsPort, options.routedDomain));

  // -DD: don't daemonize (the PID is kamailio's main process, whose SIGTERM stops its children);
  // -E: log to stderr, which goes to kamailio.log in the folder (its shutdown prints CRITICAL lines
  // about closed sockets) unless KAMAILIO_DEBUG is set; -Y: runtime folder (else /run/kamailio).
  const logPath = join(dir, 'kamailio.log');
  const pidPath = join(dir, 'kamailio.pid');
  let logFd: number | undefined = process.env.KAMAILIO_DEBUG ? undefined : openSync(logPath, 'a');
  const stderr = logFd ?? 'inherit';
  const defines = options.routedDomain ? ['-A', 'WITH_VISITOR_DOMAIN'] : [];
  const daemon = serverProcess(
    'kamailio',
    ['-f', configPath, ...defines, '-DD', '-E', '-Y', dir, '-P', pidPath],
    [sipPort, wsPort],
    ['ignore', 'ignore', stderr],
  );
  // A test process that dies of an uncaught error runs no after(): don't leave kamailio behind.
  const killOnExit = () => {
    try {
      if (existsSync(pidPath)) process.kill(Number(readFileSync(pidPath, 'utf8')), 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  let running = false;
  const server: KamailioServer = {
    sipPort,
    wsPort,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    domain,
    dir,
    async start() {
      if (running) return;
      resetPresence();
      running = true;
      try {
        await daemon.start();
      } catch (error) {
        await daemon.stop(); // if it runs but a port never opened
        running = false;
        const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-2000) : '';
        throw new Error(`${(error as Error).message}; ${logPath}:\n${log}`);
      }
    },
    async stop() {
      // serverProcess' stop() would wait forever for a process that was SIGKILLed before (its
      // exitCode stays null): stop only what this harness started.
      if (!running) return;
      await daemon.stop();
      running = false;
      rmSync(pidPath, { force: true });
    },
    async destroy() {
      await server.stop();
      process.removeListener('exit', killOnExit);
      if (logFd !== undefined) closeSync(logFd);
      logFd = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** The domain the test proxies route to the bridge (its visitors' URIs). */
export const VISITOR_DOMAIN = 'web.example.test';
