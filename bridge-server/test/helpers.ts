/** Test harness: a real bridge on a free loopback port with a real SQLite file in a temp folder. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type {
  Ack,
  Address,
  ClientToServerEvents,
  Conversation,
  ErrorBody,
  Message,
  Presence,
  PresenceStatus,
  ProfileUpdatePayload,
  ServerToClientEvents,
  Session,
} from '@switchboard/protocol';
import pino from 'pino';
import { type Socket, io } from 'socket.io-client';
import { parseConfig } from '../src/config.js';
import { identityHash } from '../src/gateway/tokens.js';
import type { NetworkStatus } from '../src/networks/network.js';
import type { NetworkDefinition } from '../src/networks/registry.js';
import { type Bridge, createBridge } from '../src/server.js';
import type { Store } from '../src/store/store.js';
import type { Clock } from '../src/util/clock.js';

export const SITE = 'test-site';
export const OTHER_SITE = 'other-site';
export const SECRET = 'test-identity-secret-0123456789';
export const OTHER_SECRET = 'other-identity-secret-0123456789';
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
      { key: OTHER_SITE, origins: ['http://other.test'], identitySecret: OTHER_SECRET },
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
  options: {
    networkDefinitions?: Record<string, NetworkDefinition>;
    dir?: string;
    clock?: Clock;
    consoleDist?: string;
    store?: Store;
    /** The bridge's logger, for a test that reads what it logs (capturedLogs). */
    logger?: pino.Logger;
  } = {},
): Promise<TestBridge> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'switchboard-it-'));
  const config = parseConfig(baseConfig(dir, overrides), 'test', dir);
  const bridge = await createBridge(config, {
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.networkDefinitions ? { networkDefinitions: options.networkDefinitions } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.consoleDist !== undefined ? { consoleDist: options.consoleDist } : {}),
    ...(options.store ? { store: options.store } : {}),
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

/** A logger whose lines a test can read (parsed), at `info` and above. */
export function capturedLogs(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
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
  /** More handshake headers (a proxy's X-Forwarded-*). */
  headers?: Record<string, string>;
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
    extraHeaders: { ...(origin ? { origin } : {}), ...options.headers },
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

/** Connects to a bridge the test runs as a process (the CLI); the socket is closed when the test ends. */
export function connectTo(context: TestContext, url: string, auth: object): Promise<{ socket: V1Socket; session: Session }> {
  const socket: V1Socket = io(`${url}/v1`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  context.after(() => socket.disconnect());
  return new Promise((resolve, reject) => {
    socket.once('session', (session) => resolve({ socket, session }));
    socket.once('connect_error', (error) => reject(error));
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

/** What GET /readyz answers. */
export interface Readiness {
  store: 'up' | 'down';
  networks: Partial<Record<string, NetworkStatus>>;
}

/** A JSON answer of the HTTP API, as a test reads it (as `Answer`): the fields of a success, or `error`. */
export type HttpAnswer<T extends object = object> = T & { ok: boolean; error: ErrorBody };

/** The JSON body of an HTTP answer, typed as the test reads it. */
export async function bodyOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

type ClientEvent = keyof ClientToServerEvents;
type ServerEvent = keyof ServerToClientEvents;
/** What a client sends with `event`, as the contract types it. */
export type Payload<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];
/** What the server sends with `event`, as the contract types it. */
export type EventPayload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];
type AckOf<E extends ClientEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/**
 * An acknowledgement as a test reads it. The contract's `Ack` is a union narrowed on `ok`; a test
 * asserts `ok` or `error` itself, so both sides are readable here without narrowing: the fields of
 * a success (there when `ok` is true) and `error` (there when it is false).
 */
export type Answer<A extends Ack> = HttpAnswer<Omit<Extract<A, { ok: true }>, 'ok'>>;

/** The socket as an untyped emitter, for helpers generic over the event name. */
interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): void;
  off(event: string, listener: (...args: unknown[]) => void): void;
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown>;
}

/** Emits a contract event with an ack and resolves with the answer. */
export function call<E extends ClientEvent>(socket: V1Socket, event: E, payload: Payload<E>): Promise<Answer<AckOf<E>>> {
  return callUnchecked(socket, event, payload) as Promise<Answer<AckOf<E>>>;
}

/** Emits any event name with any arguments (what a hostile or broken client sends) and resolves with the answer. */
export async function callUnchecked(socket: V1Socket, event: string, ...args: unknown[]): Promise<Answer<Ack<Record<string, unknown>>>> {
  const timed = socket.timeout(5000) as unknown as Emitter;
  return (await timed.emitWithAck(event, ...args)) as Answer<Ack<Record<string, unknown>>>;
}

/** Emits any event name with any arguments and no ack (what a hostile or broken client sends). */
export function emitUnchecked(socket: V1Socket, event: string, ...args: unknown[]): void {
  (socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, ...args);
}

/** Waits for the next `event` on a socket that satisfies `predicate`, acknowledging messages as the SDK does. */
export function next<E extends ServerEvent>(
  socket: V1Socket,
  event: E,
  predicate: (payload: EventPayload<E>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<EventPayload<E>> {
  const emitter = socket as unknown as Emitter;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      const payload = args[0] as EventPayload<E>;
      acknowledge(args[1]);
      if (!predicate(payload)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(payload);
    };
    emitter.on(event, listener);
  });
}

/** Collects every payload of `event` on a socket, acknowledging messages as the SDK does. */
export function collect<E extends ServerEvent>(socket: V1Socket, event: E): EventPayload<E>[] {
  const seen: EventPayload<E>[] = [];
  (socket as unknown as Emitter).on(event, (...args: unknown[]) => {
    acknowledge(args[1]);
    seen.push(args[0] as EventPayload<E>);
  });
  return seen;
}

/**
 * Subscribes `socket` to a team's availability and waits until it satisfies `predicate`: the
 * subscription's answer, or a change heard since (listened to before subscribing: a change may
 * come in with the answer, before the code after it runs).
 */
export async function untilTeam(
  socket: V1Socket,
  team: string,
  predicate: (availability: { available?: boolean; online?: number }) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const changes = collect(socket, 'team:availability');
  const first = await call(socket, 'presence:subscribe', { team });
  await until(() => predicate(first) || changes.some((change) => change.team === team && predicate(change)), timeoutMs, `team ${team} as awaited`);
}

/** Calls a message's `received` acknowledgement, when the event has one. */
function acknowledge(ack: unknown): void {
  if (typeof ack === 'function') (ack as () => void)();
}

export interface WebVisitor {
  socket: V1Socket;
  session: Session;
  /** The visitor's address (`web:...`). */
  self: Address;
  conversation: Conversation;
  conversationId: string;
}

/**
 * A web visitor with a conversation open with `team` (default `support`). `profile`: the pre-chat
 * form, filled in first. `assignee`: who the conversation must go to (null: nobody); an agent is
 * waited for (its presence counted) before opening.
 */
export async function openVisitor(
  t: TestBridge,
  options: { profile?: ProfileUpdatePayload; team?: string; assignee?: string | null } = {},
): Promise<WebVisitor> {
  const { socket, session } = await connect(t, { siteKey: SITE });
  const team = options.team ?? 'support';
  if (options.profile) await call(socket, 'profile:update', options.profile);
  if (options.assignee) {
    await untilTeam(socket, team, (a) => a.available === true);
  }
  const opened = await call(socket, 'conversation:open', { team });
  assert.ok(opened.ok, JSON.stringify(opened));
  if (options.assignee !== undefined) assert.equal(opened.conversation.assignee ?? null, options.assignee);
  return { socket, session, self: session.self, conversation: opened.conversation, conversationId: opened.conversation.id };
}

/** Sends `text` in the visitor's conversation; resolves with the message stored (the ack must be ok). */
export async function sendText(v: Pick<WebVisitor, 'socket' | 'conversationId'>, text: string, clientId = `c${Math.random()}`): Promise<Message> {
  const ack = await call(v.socket, 'message:send', { conversationId: v.conversationId, clientId, text });
  assert.ok(ack.ok, JSON.stringify(ack));
  return ack.message;
}

/** Polls a condition until it holds (for state with no event of its own, e.g. a metric). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A web agent's watch of a party's presence (`presence:subscribe`). */
export interface PresenceWatch {
  socket: V1Socket;
  /** What the bridge knew when the watch began (the subscription's ack). */
  now: Presence;
  /** Waits until the party's latest known presence (the ack's, then each change) is `status`. */
  until(status: PresenceStatus, what: string, timeoutMs?: number): Promise<void>;
}

/** Watches a party's presence as a web agent does, on an agent's socket. */
export async function watchPresence(socket: V1Socket, address: Address): Promise<PresenceWatch> {
  const changes = collect(socket, 'presence');
  const { presences } = await call(socket, 'presence:subscribe', { addresses: [address] });
  const latest = () => [...presences, ...changes].filter((presence) => presence.address === address).at(-1)?.status;
  return { socket, now: presences[0]!, until: (status, what, timeoutMs = 10_000) => until(() => latest() === status, timeoutMs, what) };
}

/** Of a stream of distinct texts: how many never arrived, and how many arrived more than once. */
export function streamFigures(sent: readonly string[], got: readonly string[]): { arrived: number; lost: number; doubled: number } {
  const distinct = new Set(got);
  return { arrived: distinct.size, lost: sent.filter((text) => !distinct.has(text)).length, doubled: got.length - distinct.size };
}
