/**
 * A real Prosody for the tests, in a temp folder on free loopback ports, stopped by PID.
 * The config mirrors the one verified on these machines (component port, plain c2s on loopback).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { serverProcess } from './process.js';

export interface ProsodyServer {
  domain: string;
  componentDomain: string;
  componentSecret: string;
  c2sPort: number;
  componentPort: number;
  /**
   * With `fileShare`: the HTTP File Upload component (XEP-0363), the origin its files are served
   * from, and `beside`: a file another HTTP module (mod_http_files) serves on the same origin, outside
   * the upload path.
   */
  upload?: { domain: string; origin: string; sizeLimit: number; beside: { url: string; content: string } };
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL if it lingers). */
  stop(): Promise<void>;
  /** Sends the server a signal (SIGSTOP freezes it: it reads nothing more; SIGKILL is a crash). */
  signal(signal: NodeJS.Signals): void;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
  register(user: string, password: string): void;
  /** What the server logged at level info and above (its log file), so a test can read the server's own view. */
  log(): string;
}

/**
 * `offline`: keep messages for users who are offline (XEP-0160), off by default as in the sample.
 * `extraComponents`: more component domains (gateway domains), each with the same secret.
 * `fileShare`: Prosody's HTTP File Upload (mod_http_file_share, XEP-0363) as `upload.localhost`,
 * a subdomain of the host (so its disco#items lists it), its files served over plain HTTP on a free
 * loopback port, at most `sizeLimit` bytes each (default 1 MiB).
 * `streamManagement`: XEP-0198 for clients (mod_smacks, in Prosody's default configuration).
 * `componentConflict`: `component_conflict_resolve`, what Prosody does when a second connection
 * authenticates for a connected component: refuse it (`kick_new`, Prosody's default) or close the
 * old one (`kick_old`, as docs/networks/xmpp.md asks of a cluster's server).
 */
export async function startProsody(
  options: {
    users?: [string, string][];
    offline?: boolean;
    extraComponents?: string[];
    fileShare?: { sizeLimit?: number };
    streamManagement?: boolean;
    componentConflict?: 'kick_new' | 'kick_old';
  } = {},
): Promise<ProsodyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-prosody-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  const [c2sPort, componentPort] = [await freePort(), await freePort()];
  const httpPort = options.fileShare ? await freePort() : undefined;
  const domain = 'localhost';
  const componentDomain = 'web.localhost';
  const componentSecret = 'component-secret-for-tests';
  const upload = httpPort
    ? {
        domain: 'upload.localhost',
        origin: `http://127.0.0.1:${httpPort}`,
        sizeLimit: options.fileShare?.sizeLimit ?? 1024 * 1024,
        beside: { url: `http://127.0.0.1:${httpPort}/files/internal.txt`, content: 'not for the bridge to fetch\n' },
      }
    : undefined;
  if (upload) {
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'internal.txt'), upload.beside.content);
  }
  const configPath = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    configPath,
    `run_as_root = true
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}/certs"
plugin_paths = {}
log = { { levels = { min = "${process.env.PROSODY_LOG ?? 'error'}" }, to = "console" }; { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
c2s_direct_tls_ports = {}
component_ports = { ${componentPort} }
component_interface = "127.0.0.1"
component_conflict_resolve = "${options.componentConflict ?? 'kick_new'}"
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "posix"; "carbons"${options.offline ? '; "offline"' : ''}${options.streamManagement ? '; "smacks"' : ''} }
modules_disabled = { "s2s"; "s2s_auth_certs"${options.offline ? '' : '; "offline"'} }
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = true
limits = {}
${httpPort ? `http_ports = { ${httpPort} }\nhttp_interfaces = { "127.0.0.1" }\nhttps_ports = {}\nhttps_interfaces = {}\n` : ''}VirtualHost "${domain}"
Component "${componentDomain}"
  component_secret = "${componentSecret}"
${(options.extraComponents ?? []).map((extra) => `Component "${extra}"\n  component_secret = "${componentSecret}"\n`).join('')}${upload ? fileShareComponent(upload, join(dir, 'www')) : ''}`,
  );

  // -F: stay in the foreground, so the PID is prosody's own.
  const ports = [c2sPort, componentPort, ...(httpPort ? [httpPort] : [])];
  const daemon = serverProcess('prosody', ['-F', '--config', configPath], ports, ['ignore', 'inherit', 'inherit']);
  const server: ProsodyServer = {
    domain,
    componentDomain,
    componentSecret,
    c2sPort,
    componentPort,
    ...(upload ? { upload } : {}),
    dir,
    log() {
      return existsSync(join(dir, 'prosody.log')) ? readFileSync(join(dir, 'prosody.log'), 'utf8') : '';
    },
    register(user, password) {
      execFileSync('prosodyctl', ['--config', configPath, 'register', user, domain, password], { stdio: 'ignore' });
    },
    start: daemon.start,
    stop: daemon.stop,
    signal: daemon.signal,
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const [user, password] of options.users ?? []) server.register(user, password);
  await server.start();
  return server;
}

/**
 * mod_http_file_share on its own component (HTTP on loopback only, no HTTPS port: the globals
 * above): its slot URLs are `http://127.0.0.1:<port>/file_share/...`, the Host it answers `127.0.0.1`.
 * Beside it mod_http_files serves `www` at `/files/`: another endpoint of the same origin.
 */
function fileShareComponent(upload: { domain: string; sizeLimit: number }, www: string): string {
  return `Component "${upload.domain}" "http_file_share"
  http_host = "127.0.0.1"
  http_file_share_size_limit = ${upload.sizeLimit}
  http_file_share_daily_quota = ${upload.sizeLimit * 100}
  modules_enabled = { "http_files" }
  http_files_dir = "${www}"
`;
}
