/**
 * When to say a person is typing, from their keys (docs/protocol.md, `typing`): `composing` at the
 * first key and again at most every `everyMs` while keys come (a reader lets its indicator go after a
 * few seconds without one), then `paused` once no key came for `pausedAfterMs`, or the text was sent.
 */
import type { TypingState } from '@switchboard/protocol';

export interface TypingTickerOptions {
  /** `composing` again at most this often while keys come (default 3000 ms). */
  everyMs?: number;
  /** `paused` after this long without a key (default 3000 ms). */
  pausedAfterMs?: number;
}

export class TypingTicker {
  /** When `composing` was last said (none: not typing). */
  private lastComposing: number | undefined;
  private pauseTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly everyMs: number;
  private readonly pausedAfterMs: number;

  /** `say` tells the state; false when there was no one to tell it (no conversation yet): the next key tries again. */
  constructor(
    private readonly say: (state: TypingState) => boolean | void,
    options: TypingTickerOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 3000;
    this.pausedAfterMs = options.pausedAfterMs ?? 3000;
  }

  /** A key was typed. */
  key(): void {
    const now = Date.now();
    if ((this.lastComposing === undefined || now - this.lastComposing >= this.everyMs) && this.say('composing') !== false) this.lastComposing = now;
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.stop(), this.pausedAfterMs);
  }

  /** The typing stopped (the text sent, the field left): `paused`, once, when `composing` was said. */
  stop(): void {
    clearTimeout(this.pauseTimer);
    if (this.lastComposing === undefined) return;
    this.lastComposing = undefined;
    this.say('paused');
  }

  /** Forgets the typing without saying anything (the field went away). */
  dispose(): void {
    clearTimeout(this.pauseTimer);
    this.lastComposing = undefined;
  }
}
