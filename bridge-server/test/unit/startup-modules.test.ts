// A bridge loads the libraries of what its configuration has, not of everything it could run: a
// single node on SQLite never loads the Redis client, the cluster adapter or the Postgres driver
// (each adds megabytes of resident memory), and a bridge without email or SIP never loads theirs.
// Importing the package loads no store driver: the stores have entry points of their own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

/** The package's root, as an embedding application (and `npm start`'s demo) imports it. */
const PACKAGE_ROOT = new URL('../../src/index.ts', import.meta.url).href;

/**
 * Starts a bridge on `config` in a process of its own and answers the packages it loaded: the
 * CommonJS ones (require's cache, which also holds those an ES module imported) and the ES ones
 * (every URL a loader hook resolved).
 */
async function packagesLoaded(config: Record<string, unknown>): Promise<Set<string>> {
  const script = `
    import { createRequire, register } from 'node:module';
    const resolved = [];
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (url) => resolved.push(url));
    port1.unref();
    register('data:text/javascript,' + encodeURIComponent(
      'let port; export function initialize(data) { port = data.port; }' +
      'export async function resolve(specifier, context, next) { const answer = await next(specifier, context); port.postMessage(answer.url); return answer; }'
    ), { data: { port: port2 }, transferList: [port2] });
    const { createBridge, parseConfig } = await import(${JSON.stringify(PACKAGE_ROOT)});
    const { default: pino } = await import('pino');
    const bridge = await createBridge(parseConfig(${JSON.stringify(config)}, 'test', '.'), { logger: pino({ level: 'silent' }) });
    await bridge.start();
    await new Promise((resolve) => setImmediate(resolve));
    const paths = [...Object.keys(createRequire(import.meta.url).cache), ...resolved];
    await bridge.stop();
    process.stdout.write(JSON.stringify(paths));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { maxBuffer: 64 << 20 });
  const names = (JSON.parse(stdout) as string[]).flatMap((path) => {
    const inside = path.split('node_modules/').at(-1)!;
    if (inside === path) return [];
    const [scope, name] = inside.split('/');
    return [scope!.startsWith('@') ? `${scope}/${name}` : scope!];
  });
  return new Set(names);
}

describe('what a bridge loads at start', () => {
  it('a single node on SQLite with the web network loads neither Redis, Postgres, email, SIP nor XMPP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-modules-'));
    try {
      const loaded = await packagesLoaded({
        server: { host: '127.0.0.1', port: 0 },
        store: { type: 'sqlite', path: join(dir, 'switchboard.db') },
        sites: [{ key: 'shop', origins: ['http://shop.test'] }],
        networks: [{ type: 'web' }],
        log: { level: 'silent' },
      });
      // What it runs on is seen: the check sees both kinds of package.
      for (const used of ['express', 'socket.io', 'better-sqlite3', 'zod']) assert.ok(loaded.has(used), `${used} is loaded`);
      for (const unused of [
        'redis',
        '@redis/client',
        '@socket.io/redis-streams-adapter',
        'pg',
        'imapflow',
        'mailparser',
        'nodemailer',
        'sip.js',
        '@xmpp/client',
        'irc-framework',
        'sharp',
      ])
        assert.ok(!loaded.has(unused), `${unused} is not loaded`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the package's entry points", () => {
  it('the stores are imported from entry points of their own, for an application that builds its store', async () => {
    const { SqliteStore } = await import('@switchboard/bridge-server/sqlite-store');
    const { PostgresStore } = await import('@switchboard/bridge-server/postgres-store');
    assert.equal(typeof SqliteStore, 'function');
    assert.equal(typeof PostgresStore, 'function');
    const root: Record<string, unknown> = await import('@switchboard/bridge-server');
    assert.equal(typeof root.createBridge, 'function');
    assert.ok(!('SqliteStore' in root) && !('PostgresStore' in root), 'the root loads no store driver');
  });
});
