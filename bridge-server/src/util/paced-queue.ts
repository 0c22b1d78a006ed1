/**
 * Flood control: a send queue that runs its tasks one at a time, in order, at the pace a token
 * bucket allows (IRC servers disconnect a client that floods: "Excess Flood"). Nothing is dropped;
 * each task's promise settles when it actually ran, so a caller reports `sent` only then.
 */
import { TokenBucket } from './token-bucket.js';

interface Queued {
  run: () => unknown;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class PacedQueue {
  private readonly bucket: TokenBucket;
  private readonly queue: Queued[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  /** `ratePerSecond` tasks a second after a burst of `burst`. */
  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.bucket = new TokenBucket(ratePerSecond, burst, now);
  }

  /** Tasks waiting (for the metrics). */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues a task; resolves once it ran (rejects if it threw, or if the queue was cleared). */
  push(run: () => unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      this.pump();
    });
  }

  /** Drops every waiting task, rejecting each with `reason` (the connection is gone). */
  clear(reason: Error): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const task of this.queue.splice(0)) task.reject(reason);
  }

  private pump(): void {
    if (this.running || this.timer) return;
    this.running = true;
    void (async () => {
      try {
        while (this.queue.length > 0) {
          const wait = this.bucket.waitMs();
          if (wait > 0) {
            this.timer = setTimeout(() => {
              this.timer = undefined;
              this.pump();
            }, wait);
            return;
          }
          this.bucket.take();
          const task = this.queue.shift()!;
          try {
            await task.run();
            task.resolve();
          } catch (error) {
            task.reject(error);
          }
        }
      } finally {
        this.running = false;
      }
    })();
  }
}
