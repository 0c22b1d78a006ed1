/**
 * A real ngircd for the tests, in a temp folder on a free loopback port, stopped by PID. `limits`
 * `relaxed` lifts the per-IP connection cap and flood penalties (for functional tests); `default`
 * keeps the server's defaults (real networks throttle, so flood control is tested against them).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports.js';

export interface NgircdServer {
  port: number;
  name: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startNgircd(options: { limits?: 'relaxed' | 'default' } = {}): Promise<NgircdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-ngircd-'));
  const port = await freePort();
  const name = 'irc.test.local';
  const configPath = join(dir, 'ngircd.conf');
  writeFileSync(
    configPath,
    `[Global]
Name = ${name}
Info = switchboard test server
Listen = 127.0.0.1
Ports = ${port}
MotdPhrase = "test server"
${options.limits === 'default' ? '' : '[Limits]\nMaxConnectionsIP = 0\nMaxPenaltyTime = 0\n'}[Options]
DNS = no
Ident = no
PAM = no
`,
  );
  let child: ChildProcess | undefined;
  const server: NgircdServer = {
    port,
    name,
    async start() {
      // -n: stay in the foreground, so the PID is ngircd's own.
      child = spawn('ngircd', ['-n', '-f', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
      await Promise.race([
        waitForPort(port),
        new Promise((_, reject) => child!.once('exit', (code) => reject(new Error(`ngircd exited with ${code}`)))),
      ]);
    },
    async stop() {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
