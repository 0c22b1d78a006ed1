/**
 * A real Redis for the tests: redis-server in the foreground (so its PID is the server's) with a
 * config file in a temp folder, on a free port of 127.0.0.1 only, nothing saved to disk, stopped by
 * PID. `stop` and `start` bring it down and back on the same port (an outage).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { serverProcess } from './process.js';

export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
  const port = await freePort();
  const config = join(dir, 'redis.conf');
  writeFileSync(config, [`bind 127.0.0.1`, `port ${port}`, `dir ${dir}`, `save ""`, `appendonly no`, `protected-mode yes`, `daemonize no`, ''].join('\n'));
  const server = serverProcess('redis-server', [config], [port]);
  await server.start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
