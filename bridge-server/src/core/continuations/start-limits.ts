/**
 * How often codes may be asked for: at most 5 per conversation an hour and 10 per address a day
 * (docs/protocol.md, "Continuing on another network"), so that no one uses the bridge to flood an
 * address with codes. Sliding windows over the times of the codes sent, remembered for the most
 * recent keys only.
 */
import { LRUCache } from 'lru-cache';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Window {
  limit: number;
  spanMs: number;
  /** In words, for the refusal. */
  what: string;
}

const PER_CONVERSATION: Window = { limit: 5, spanMs: HOUR, what: 'at most 5 codes per conversation an hour' };
const PER_ADDRESS: Window = { limit: 10, spanMs: DAY, what: 'at most 10 codes per address a day' };

export class StartLimits {
  private readonly times = new LRUCache<string, number[]>({ max: 20_000 });

  constructor(private readonly now: () => number) {}

  /** Null when a code may go to `address` for this conversation now (and counts it), else why not. */
  take(conversationId: string, address: string): string | null {
    const now = this.now();
    const keys: [string, Window][] = [
      [`c ${conversationId}`, PER_CONVERSATION],
      [`a ${address}`, PER_ADDRESS],
    ];
    for (const [key, window] of keys) {
      const recent = this.recent(key, window, now);
      if (recent.length >= window.limit) {
        const waitMinutes = Math.ceil((recent[0]! + window.spanMs - now) / 60_000);
        return `too many codes asked for (${window.what}); try again in ${waitMinutes} minute${waitMinutes === 1 ? '' : 's'}`;
      }
    }
    for (const [key, window] of keys) this.times.set(key, [...this.recent(key, window, now), now]);
    return null;
  }

  private recent(key: string, window: Window, now: number): number[] {
    return (this.times.get(key) ?? []).filter((at) => at > now - window.spanMs);
  }
}
