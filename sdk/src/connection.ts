/**
 * The connection to a bridge's `/v1` namespace: the socket.io socket, the connection state, the
 * session, and the one request path (an event and its ack, with a timeout). It reconnects by
 * itself, also where socket.io would not (the bridge closed the connection, or refused it with a
 * retryable error).
 */
import type { Ack, ClientToServerEvents, ErrorBody, ServerToClientEvents, Session } from '@switchboard/protocol';
import { NAMESPACE, isErrorCode } from '@switchboard/protocol';
import { type Socket, io } from 'socket.io-client';
import { backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';
import { SwitchboardError } from './errors.js';

export type ConnectionState = 'connecting' | 'online' | 'offline';

export type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type AckOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (response: infer R) => void ? R : never;
export type Success<E extends keyof ClientToServerEvents> = Extract<AckOf<E>, { ok: true }>;

export interface ConnectionEvents {
  state: (state: ConnectionState, reason?: string) => void;
  session: (session: Session) => void;
  /** The bridge refused the connection for good (socket.io will not retry). */
  error: (error: SwitchboardError) => void;
}

/** Who the connection says it is, decided by the client that owns the credentials. */
export interface Credentials {
  /** The handshake's `auth`, evaluated on every (re)connect so a token issued meanwhile is used. */
  auth(): Record<string, unknown>;
  /** A session began. */
  accepted(session: Session): void;
  /** The bridge refused the handshake; true when the credentials changed so that connecting again may succeed. */
  refused(error: ErrorBody): boolean;
}

export interface ConnectionOptions {
  url: string;
  ackTimeoutMs: number;
  transports: ('websocket' | 'polling')[];
}

/**
 * The transports to try: without WebSocket in a page (removed by the page or an extension, an old or stripped-down
 * browser), only long-polling. engine.io-client would try WebSocket all the same, and its
 * constructor's error is lost there: the client would stay connecting for ever, falling back to
 * nothing. Outside a page (Node), engine.io-client brings its own WebSocket.
 */
export function usableTransports(wanted: readonly ('websocket' | 'polling')[]): ('websocket' | 'polling')[] {
  const page = globalThis as { window?: unknown; WebSocket?: unknown };
  const noWebSocket = page.window !== undefined && typeof page.WebSocket !== 'function';
  const usable = noWebSocket ? wanted.filter((transport) => transport !== 'websocket') : [...wanted];
  return usable.length > 0 ? usable : [...wanted];
}

/** Reconnects after a refusal: from 0.5 s up to 30 s, with jitter. */
const REFUSAL_BACKOFF = { baseMs: 500, maxMs: 30_000, jitter: 0.5 };

export class Connection extends Emitter<ConnectionEvents> {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private currentState: ConnectionState = 'offline';
  private currentReason: string | undefined = 'not connected';
  private currentSession: Session | null = null;
  private readyWaiters: { resolve: (s: Session) => void; reject: (e: SwitchboardError) => void }[] = [];
  private fatal: SwitchboardError | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refusals = 0;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly credentials: Credentials,
  ) {
    super();
    this.socket = io(options.url.replace(/\/+$/, '') + NAMESPACE, {
      autoConnect: false,
      transports: usableTransports(options.transports),
      // Without it, socket.io-client never tries the next transport when the first fails (a proxy
      // that blocks WebSocket): the fallback to long-polling the options promise.
      tryAllTransports: true,
      auth: (callback) => callback(this.credentials.auth()),
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
    });
    this.wire();
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get reason(): string | undefined {
    return this.currentReason;
  }

  get session(): Session | null {
    return this.currentSession;
  }

  get online(): boolean {
    return this.currentState === 'online';
  }

  /** Resolves with the session once online; rejects if the bridge refused the connection. */
  ready(): Promise<Session> {
    return this.sessionWithin();
  }

  /**
   * The session: at once when online, else when it comes; rejects with the refusal, or with
   * `unavailable` after `timeoutMs`, its waiter then leaving the list (requests made while offline
   * do not pile up).
   */
  private sessionWithin(timeoutMs?: number): Promise<Session> {
    if (this.currentState === 'online' && this.currentSession) return Promise.resolve(this.currentSession);
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<Session>((resolve, reject) => {
      const waiter = {
        resolve: (session: Session) => {
          clearTimeout(timer);
          resolve(session);
        },
        reject: (error: SwitchboardError) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.readyWaiters.splice(this.readyWaiters.indexOf(waiter), 1);
              reject(new SwitchboardError({ code: 'unavailable', message: `Not connected to the bridge within ${timeoutMs} ms` }));
            }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  connect(): void {
    this.fatal = null;
    if (this.socket.connected || this.socket.active) return;
    this.setState('connecting');
    this.socket.connect();
  }

  disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.socket.disconnect();
    this.setState('offline', 'closed by the app');
  }

  /** Sends one event and resolves with its successful ack, or rejects with the bridge's error (`unavailable` when no answer came). */
  async request<E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>): Promise<Success<E>> {
    if (this.currentState !== 'online') await this.whenOnline();
    let response: Ack;
    try {
      response = await (this.socket.timeout(this.options.ackTimeoutMs).emitWithAck as (e: string, p: unknown) => Promise<Ack>)(event, payload);
    } catch {
      throw new SwitchboardError({ code: 'unavailable', message: `No answer from the bridge to ${event} within ${this.options.ackTimeoutMs} ms` });
    }
    if (!response.ok) throw new SwitchboardError(response.error);
    return response as Success<E>;
  }

  /**
   * The session once online: at once when online, else within the ack timeout while connecting;
   * rejects with `unavailable` (or the refusal) when it is not coming.
   */
  async whenOnline(): Promise<Session> {
    if (this.currentState === 'online' && this.currentSession) return this.currentSession;
    if (!this.socket.active && this.retryTimer === undefined)
      throw new SwitchboardError(this.fatal?.toJSON() ?? { code: 'unavailable', message: 'Not connected; call connect() first' });
    return this.sessionWithin(this.options.ackTimeoutMs);
  }

  /** Sends an event whose answer nobody waits for (best effort; dropped while offline). */
  notify<E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>): void {
    if (this.currentState !== 'online') return;
    (this.socket.emit as (e: string, p: unknown, ack: () => void) => void)(event, payload, () => undefined);
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (this.currentState === state && this.currentReason === reason) return;
    this.currentState = state;
    this.currentReason = reason;
    this.emit('state', state, reason);
  }

  private wire(): void {
    const socket = this.socket;
    socket.on('connect_error', (error) => {
      const data = (error as Error & { data?: ErrorBody }).data;
      if (data && isErrorCode(data.code)) {
        if (this.credentials.refused(data)) {
          socket.connect();
          return;
        }
        const refused = new SwitchboardError(data);
        if (!socket.active && refused.retryable) {
          // The bridge is draining or overloaded: try again later, as for a network error.
          this.setState('connecting', refused.message);
          this.retryLater();
          return;
        }
        if (!socket.active) {
          // Refused by the bridge (not a network problem): socket.io will not retry.
          this.fatal = refused;
          for (const waiter of this.readyWaiters.splice(0)) waiter.reject(refused);
          this.setState('offline', refused.message);
          this.emit('error', refused);
          return;
        }
      }
      this.setState('connecting', error.message);
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') {
        // The bridge closed this connection (socket.io does not retry then): come back later.
        this.setState('connecting', reason);
        this.retryLater();
        return;
      }
      // disconnect() says why itself: one state change, not two.
      if (reason === 'io client disconnect') return;
      this.setState(socket.active ? 'connecting' : 'offline', reason);
    });
    socket.on('session', (session) => {
      this.refusals = 0;
      this.currentSession = session;
      this.credentials.accepted(session);
      this.setState('online');
      this.emit('session', session);
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(session);
    });
  }

  /** Reconnects after a backoff, when socket.io itself would not. */
  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.socket.connect();
      },
      backoffDelay(this.refusals++, REFUSAL_BACKOFF),
    );
  }
}
