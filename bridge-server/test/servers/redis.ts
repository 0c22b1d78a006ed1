/**
 * A real Redis for the tests: `redis-server` in the foreground (so its PID is the server's) with a
 * generated configuration in a temp folder, on a free port of 127.0.0.1 only, nothing persisted
 * (a restart starts empty, as a Redis without persistence does in production), stopped by PID.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type ServerProcess, serverProcess } from './process.js';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** Stops the server (SIGTERM: it exits at once, with nothing to save); `start` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode yes',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      'daemonize no',
      `logfile ${join(dir, 'redis.log')}`,
      '',
    ].join('\n'),
  );
  let daemon: ServerProcess | undefined;
  const launch = async () => {
    daemon = serverProcess('redis-server', [conf], [port], ['ignore', 'ignore', 'inherit']);
    await daemon.start();
  };
  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => daemon?.stop(),
    start: launch,
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
