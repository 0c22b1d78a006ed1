// The server side of bench/idle.mjs, in a process of its own so that its RSS is measured alone.
// `node --expose-gc bench/lib/idle-server.mjs bare|bridge`: starts the server on 127.0.0.1, sends
// `{ url, auth }` to the parent over IPC, then answers each `{ type: 'memory' }` with its memory
// after a forced garbage collection. Exits when the parent disconnects.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from 'socket.io';
import { importBridge } from './env.mjs';

const SITE_KEY = 'bench-site';
const IDENTITY_SECRET = 'bench-identity-secret-0123456789';
const side = process.argv[2];

/** A bare socket.io server: each connection joins one room, as a bridge connection joins its party's. */
async function startBare() {
  const http = createServer();
  const server = new Server(http, { perMessageDeflate: false });
  server.on('connection', (socket) => socket.join(`a:${socket.id}`));
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${http.address().port}`, auth: {}, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The bridge as bench/relay.mjs sets it up: SQLite in a temp folder, one site, team `support` with its agent. */
async function startBridge() {
  const { createBridge, parseConfig, identityHash } = await importBridge();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-idle-'));
  const config = parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      store: { type: 'sqlite', path: join(dir, 'bench.db') },
      sites: [{ key: SITE_KEY, origins: ['*'], identitySecret: IDENTITY_SECRET }],
      // Room for every visitor's conversation: each is assigned to the agent, none waits in a queue.
      teams: [{ id: 'support', members: ['web:a_agent'], capacity: 1_000_000 }],
      limits: { ratePerSecond: 1e9, burst: 1e9 },
      log: { level: 'silent' },
    },
    'bench',
    dir,
  );
  const bridge = await createBridge(config);
  const url = `${await bridge.start()}/v1`;
  return {
    url,
    // As the widget connects: the site's key, an anonymous visitor.
    auth: { siteKey: SITE_KEY },
    agentAuth: { siteKey: SITE_KEY, identity: { userId: 'agent', role: 'agent', hash: identityHash(IDENTITY_SECRET, 'agent', 'agent') } },
    close: async () => {
      await bridge.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** VmRSS of this process, in KiB, after forced collections (the heap returned what it could). */
async function memory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = readFileSync('/proc/self/status', 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1]);
  const heap = process.memoryUsage();
  return { rssKiB, heapUsedKiB: Math.round(heap.heapUsed / 1024), externalKiB: Math.round(heap.external / 1024) };
}

const server = side === 'bridge' ? await startBridge() : side === 'bare' ? await startBare() : null;
if (!server) {
  console.error(`idle-server: unknown side "${side}" (bare or bridge)`);
  process.exit(1);
}
process.on('message', (request) => {
  if (request?.type === 'memory') void memory().then((figures) => process.send({ type: 'memory', ...figures }));
});
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
process.send({ type: 'ready', url: server.url, auth: server.auth, agentAuth: server.agentAuth, gc: typeof globalThis.gc === 'function' });
