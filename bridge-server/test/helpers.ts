/** Test harness: a real bridge on a free loopback port with a real SQLite file in a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ack, ClientToServerEvents, ServerToClientEvents, Session } from '@switchboard/protocol';
import pino from 'pino';
import { type Socket, io } from 'socket.io-client';
import { parseConfig } from '../src/config.js';
import { identityHash } from '../src/gateway/tokens.js';
import type { NetworkDefinition } from '../src/networks/registry.js';
import { type Bridge, createBridge } from '../src/server.js';
import type { Clock } from '../src/util/clock.js';

export const SITE = 'test-site';
export const OTHER_SITE = 'other-site';
export const SECRET = 'test-identity-secret-0123456789';
export const API_KEY = 'test-api-key-0123456789abcdef';
export const ORIGIN = 'http://shop.test';

export type V1Socket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestBridge {
  bridge: Bridge;
  url: string;
  dir: string;
  /** The SQLite file (empty for another engine). */
  dbPath: string;
  sockets: V1Socket[];
  stop(): Promise<void>;
}

export function baseConfig(dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, drainSeconds: 2 },
    store: { type: 'sqlite', path: join(dir, 'switchboard.db') },
    sites: [
      { key: SITE, origins: [ORIGIN], identitySecret: SECRET, apiKeys: [{ id: 'crm', key: API_KEY }] },
      { key: OTHER_SITE, origins: ['http://other.test'], identitySecret: 'other-identity-secret-0123456789' },
    ],
    teams: [{ id: 'support', members: ['web:a_alice', 'web:a_bob'], sites: [SITE], capacity: 1000 }],
    networks: [{ type: 'web', presenceGraceMs: 50 }],
    limits: { ratePerSecond: 1000, burst: 1000 },
    log: { level: 'silent' },
    ...overrides,
  };
}

export async function startBridge(
  overrides: Record<string, unknown> = {},
  options: { networkDefinitions?: Record<string, NetworkDefinition>; dir?: string; clock?: Clock } = {},
): Promise<TestBridge> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'switchboard-it-'));
  const config = parseConfig(baseConfig(dir, overrides), 'test', dir);
  const bridge = await createBridge(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.networkDefinitions ? { networkDefinitions: options.networkDefinitions } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const url = await bridge.start();
  const sockets: V1Socket[] = [];
  return {
    bridge,
    url,
    dir,
    dbPath: config.store.type === 'sqlite' ? config.store.path : '',
    sockets,
    async stop() {
      for (const socket of sockets) socket.disconnect();
      await bridge.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function agentAuth(userId: string, siteKey = SITE, secret = SECRET) {
  return { siteKey, identity: { userId, name: userId, role: 'agent' as const, hash: identityHash(secret, 'agent', userId) } };
}

export function userAuth(userId: string, extra: { name?: string; email?: string } = {}) {
  return { siteKey: SITE, identity: { userId, ...extra, hash: identityHash(SECRET, 'visitor', userId) } };
}

interface ConnectOptions {
  transports?: ('websocket' | 'polling')[];
  origin?: string | null;
}

/** A raw socket.io client, not yet connected. */
export function rawSocket(t: TestBridge, auth: object, options: ConnectOptions = {}): V1Socket {
  const origin = options.origin === undefined ? ORIGIN : options.origin;
  const socket: V1Socket = io(`${t.url}/v1`, {
    auth,
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  t.sockets.push(socket);
  return socket;
}

/** Connects and resolves with the `session` event, or rejects with the connect_error. */
export function connect(t: TestBridge, auth: object, options: ConnectOptions = {}): Promise<{ socket: V1Socket; session: Session }> {
  const socket = rawSocket(t, auth, options);
  return new Promise((resolve, reject) => {
    socket.once('session', (session) => resolve({ socket, session }));
    socket.once('connect_error', (error) => reject(error));
    socket.connect();
  });
}

/** Resolves with the connect_error's `data` (the contract's `{ code, message }`). */
export function connectError(t: TestBridge, auth: unknown, options: ConnectOptions = {}): Promise<{ code: string; message: string }> {
  const socket = rawSocket(t, auth as object, options);
  return new Promise((resolve, reject) => {
    socket.once('session', () => reject(new Error('connected, but a refusal was expected')));
    socket.once('connect_error', (error) => resolve((error as Error & { data: { code: string; message: string } }).data));
    socket.connect();
  });
}

/** Emits with an ack and resolves with the response (any event name, any payload). */
export function call(socket: V1Socket, event: string, ...args: unknown[]): Promise<Ack<Record<string, unknown>> & Record<string, any>> {
  return (socket.timeout(5000).emitWithAck as (event: string, ...a: unknown[]) => Promise<Ack<Record<string, unknown>>>)(event, ...args);
}

/** Waits for the next event on a socket that satisfies `predicate`. */
export function next<T = any>(socket: V1Socket, event: string, predicate: (payload: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      (socket as unknown as { off(e: string, l: unknown): void }).off(event, listener);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const listener = (payload: T, ack?: unknown) => {
      if (typeof ack === 'function') (ack as () => void)();
      if (!predicate(payload)) return;
      clearTimeout(timer);
      (socket as unknown as { off(e: string, l: unknown): void }).off(event, listener);
      resolve(payload);
    };
    (socket as unknown as { on(e: string, l: unknown): void }).on(event, listener);
  });
}

/** Collects every payload of an event on a socket, acknowledging messages as the SDK does. */
export function collect<T = any>(socket: V1Socket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as { on(e: string, l: unknown): void }).on(event, (payload: T, ack?: unknown) => {
    if (typeof ack === 'function') (ack as () => void)();
    seen.push(payload);
  });
  return seen;
}

/** Polls a condition until it holds (for state with no event of its own, e.g. a metric). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Of a stream of distinct texts: how many never arrived, and how many arrived more than once. */
export function streamFigures(sent: readonly string[], got: readonly string[]): { arrived: number; lost: number; doubled: number } {
  const distinct = new Set(got);
  return { arrived: distinct.size, lost: sent.filter((text) => !distinct.has(text)).length, doubled: got.length - distinct.size };
}
