/**
 * A real HAProxy for the tests: the configuration given (docs/deploying.md's several-nodes example
 * with the test's ports put in), run in the foreground (`-db`, so its PID is HAProxy's own) from a
 * temp folder, stopped by PID.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverProcess } from './process.js';

export interface HaproxyServer {
  stop(): Promise<void>;
}

/** Starts HAProxy on `config` and resolves once each of `ports` (its frontends) accepts connections. */
export async function startHaproxy(config: string, ports: number[]): Promise<HaproxyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-haproxy-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config.endsWith('\n') ? config : `${config}\n`);
  const process = serverProcess('haproxy', ['-db', '-f', file], ports);
  try {
    await process.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    async stop() {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
