/**
 * A real PostgreSQL for the tests: a cluster made by initdb in a temp folder, the server in the
 * foreground on a free port of 127.0.0.1 only (so its PID is postgres' own), stopped by PID with
 * SIGINT (a fast shutdown that does not wait for clients). As root, both run as the `postgres` user,
 * which the Debian package creates (postgres refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';
import { type ServerProcess, serverProcess } from './process.js';

/** The newest installed major version's programs (Debian installs each under /usr/lib/postgresql/<major>/). */
export const POSTGRES_BIN = newestPostgresBin();

function newestPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin/initdb'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  return join(root, newest ?? '15', 'bin');
}
const ROLE = 'bridge';
const PASSWORD = 'bridge-test-password';

export interface PostgresServer {
  port: number;
  /**
   * A new, empty database owned by the bridge's role; its URL: over TCP with a password (as a
   * deployment connects), or over the folder's Unix socket, where a connection costs less.
   */
  createDatabase(via?: 'tcp' | 'socket'): Promise<string>;
  /** Stops the server (fast shutdown: clients are cut off); `start` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Freezes the server and its backends (SIGSTOP): connections stay open and nothing answers, as
   * with a server cut off by the network or hung; `thaw` resumes them where they were.
   */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  destroy(): Promise<void>;
}

const run = promisify(execFile);

/** Runs a PostgreSQL program, as the `postgres` user when we are root. */
function asPostgres(program: string, args: string[]): { command: string; args: string[] } {
  const path = join(POSTGRES_BIN, program);
  if (process.getuid?.() !== 0) return { command: path, args };
  return { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', path, ...args] };
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-postgres-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await userIds('postgres');
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const initdb = asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  try {
    await run(initdb.command, initdb.args);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  // The socket lives in the temp folder too; fsync off: a test cluster need not survive power loss.
  const postgres = asPostgres('postgres', ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
  let daemon: ServerProcess | undefined;
  const launch = async () => {
    // The server's log goes to a file beside the data (kept only while the server runs).
    const log = openSync(join(dir, 'postgres.log'), 'a');
    daemon = serverProcess(postgres.command, postgres.args, [port], ['ignore', 'ignore', log], 'SIGINT');
    try {
      await daemon.start();
    } finally {
      closeSync(log); // the child holds its own copy
    }
  };
  let admin: pg.Client;
  try {
    await launch();
    admin = await connectWhenReady({ host: dir, port, user: 'postgres', database: 'postgres' });
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
  } catch (error) {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let databases = 0;
  /** The postmaster and its children (backends, background workers). */
  const signalAll = async (signal: NodeJS.Signals) => {
    const pid = daemon?.pid();
    if (pid === undefined) return;
    const children = await run('pgrep', ['-P', String(pid)]).then(
      ({ stdout }) => stdout.split('\n').filter(Boolean).map(Number),
      () => [], // none
    );
    for (const each of [pid, ...children]) process.kill(each, signal);
  };
  const server: PostgresServer = {
    port,
    async createDatabase(via = 'tcp') {
      const name = `switchboard_${++databases}`;
      await admin.query(`CREATE DATABASE ${name} OWNER ${ROLE}`);
      if (via === 'socket') return `postgres://${ROLE}@localhost:${port}/${name}?host=${encodeURIComponent(dir)}`;
      return `postgres://${ROLE}:${PASSWORD}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await daemon?.stop();
    },
    async start() {
      await launch();
      admin = await connectWhenReady({ host: dir, port, user: 'postgres', database: 'postgres' });
    },
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The port accepts before the server takes queries ("the database system is starting up"): retry briefly. */
async function connectWhenReady(config: pg.ClientConfig, timeoutMs = 10_000): Promise<pg.Client> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client(config);
    try {
      await client.connect();
      // When the server stops under it (stop(), a failed test), the error must not end the test process.
      client.on('error', () => undefined);
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
