/**
 * How long a SIP peer's "composing" lasts (RFC 3994 section 3.3): an `active` isComposing holds for
 * its `refresh` seconds (120 without one), and the peer is idle when no refresh comes in time. A
 * content message from the peer also ends it (section 3.3: a message sent is the end of composing).
 * Each composer is told idle then, so API clients do not show someone typing forever.
 */
import type { Address } from '@switchboard/protocol';

/** RFC 3994 section 3.3: the active state's timeout when the composer gives no refresh interval. */
export const DEFAULT_ACTIVE_SECONDS = 120;
/** Refresh intervals are read within these bounds (section 3.2 advises no fewer than 60 s). */
const MIN_ACTIVE_SECONDS = 1;
const MAX_ACTIVE_SECONDS = 600;
/** Composers followed at once, at most: a flood of isComposing keeps no more timers than this. */
const MAX_FOLLOWED = 10_000;

export class ComposingExpiry {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /**
   * `from` is composing to `to` for `refreshSeconds` (the interval it announced), unless it says
   * more; `whenIdle` runs if it says nothing in time.
   */
  active(from: Address, to: Address, refreshSeconds: number | undefined, whenIdle: () => void): void {
    const key = `${from} ${to}`;
    this.clear(key);
    if (this.timers.size >= MAX_FOLLOWED) return;
    const seconds = Math.min(MAX_ACTIVE_SECONDS, Math.max(MIN_ACTIVE_SECONDS, refreshSeconds ?? DEFAULT_ACTIVE_SECONDS));
    const timer = setTimeout(() => {
      this.timers.delete(key);
      whenIdle();
    }, seconds * 1000);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** `from` stopped composing to `to` (idle, or a message sent): whether it was composing. */
  ended(from: Address, to: Address): boolean {
    return this.clear(`${from} ${to}`);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private clear(key: string): boolean {
    const timer = this.timers.get(key);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(key);
    return true;
  }
}
