/**
 * A real ngircd for the tests, in a temp folder on a free loopback port, stopped by PID. `limits`
 * `relaxed` lifts the per-IP connection cap and flood penalties (for functional tests); `default`
 * keeps the server's defaults (real networks throttle, so flood control is tested against them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type FolderServer, serverProcess, startInFolder } from './process.js';

export interface NgircdServer extends FolderServer {
  port: number;
  name: string;
}

export async function startNgircd(options: { limits?: 'relaxed' | 'default'; password?: string } = {}): Promise<NgircdServer> {
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
${options.password ? `Password = ${options.password}\n` : ''}${options.limits === 'default' ? '' : '[Limits]\nMaxConnectionsIP = 0\nMaxPenaltyTime = 0\n'}[Options]
DNS = no
Ident = no
PAM = no
`,
  );
  // -n: stay in the foreground, so the PID is ngircd's own.
  const daemon = serverProcess('ngircd', ['-n', '-f', configPath], [port]);
  return { port, name, ...(await startInFolder(dir, daemon)) };
}
