/**
 * Flood control for one IRC connection. Servers disconnect a client whose unprocessed input grows
 * too large ("Excess Flood": ratbox/solanum, InspIRCd and UnrealIRCd measure the receive queue) and
 * many process a client's commands slowly on purpose (ngircd's penalty, ratbox's one line a second
 * after a burst). So two limits apply:
 * - a token bucket, the ceiling of lines a second;
 * - a window of lines the server has not yet confirmed: after `window` lines the writer sends a
 *   PING and waits for its PONG (servers handle a client's commands in order, so the PONG proves
 *   every line before it was processed). The receive queue never holds more than `window` lines,
 *   and the pace follows whatever the server really processes.
 * Nothing is dropped; each line's promise settles once it was written to the socket.
 */
import { PacedQueue } from '../../util/paced-queue.js';
import { NetworkError } from '../network.js';

export interface FloodOptions {
  /** Lines sent at once before the rate applies. */
  burst: number;
  /** Ceiling of lines a second. */
  linesPerSecond: number;
  /** Lines written but not yet confirmed by the server, at most. */
  window: number;
  /** How long to wait for a PONG before the connection is taken as stuck. */
  confirmTimeoutMs: number;
}

export interface FloodTransport {
  /** Writes one line (without CR LF); resolves when it left for the socket. */
  write(line: string): Promise<void>;
}

export class FloodWriter {
  private readonly queue: PacedQueue;
  private unconfirmed = 0;
  private pending: { token: string; resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | undefined;
  private tokens = 0;

  constructor(
    private readonly transport: FloodTransport,
    private readonly options: FloodOptions,
  ) {
    this.queue = new PacedQueue(options.linesPerSecond, options.burst);
  }

  /** Lines waiting to be written (for /metrics). */
  get depth(): number {
    return this.queue.depth;
  }

  /** Queues a line; resolves once it was written, in the order lines were queued. */
  send(line: string): Promise<void> {
    return this.queue.push(async () => {
      if (this.unconfirmed >= this.options.window) await this.confirm();
      await this.transport.write(line);
      this.unconfirmed += 1;
    });
  }

  /**
   * Resolves once the server processed every line queued before this call (a PING through the
   * queue, and its PONG): the answers those lines caused have all arrived by then.
   */
  sync(): Promise<void> {
    return this.queue.push(() => this.confirm().then(() => undefined));
  }

  /** The server answered a PING: every line written before it has been processed. */
  pong(token: string): void {
    if (!this.pending || this.pending.token !== token) return;
    clearTimeout(this.pending.timer);
    this.unconfirmed = 0;
    this.pending.resolve();
    this.pending = undefined;
  }

  /** The connection is gone: waiting lines fail (retryable), and the count starts over. */
  reset(reason: string): void {
    const error = new NetworkError(reason, true);
    this.queue.clear(error);
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending.reject(error);
      this.pending = undefined;
    }
    this.unconfirmed = 0;
  }

  private confirm(): Promise<void> {
    const token = `sb${++this.tokens}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new NetworkError(`the IRC server did not answer within ${this.options.confirmTimeoutMs} ms`, true));
      }, this.options.confirmTimeoutMs);
      this.pending = { token, resolve, reject, timer };
      this.transport.write(`PING ${token}`).catch((error: unknown) => {
        clearTimeout(timer);
        this.pending = undefined;
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }
}
