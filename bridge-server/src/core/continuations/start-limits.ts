/**
 * How often codes may be asked for: at most 5 per conversation an hour and 10 per address a day
 * (docs/protocol.md, "Continuing on another network"), so that no one uses the bridge to flood an
 * address with codes. Sliding windows over the times of the codes sent, counted for the whole
 * bridge (cluster/rate-limits.ts: in Redis with several nodes, else in memory for the most recent
 * keys only).
 */
import type { Window, WindowLimiter } from '../../cluster/rate-limits.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const PER_CONVERSATION = { limit: 5, spanMs: HOUR, what: 'at most 5 codes per conversation an hour' };
const PER_ADDRESS = { limit: 10, spanMs: DAY, what: 'at most 10 codes per address a day' };

export class StartLimits {
  constructor(private readonly windows: WindowLimiter) {}

  /** Null when a code may go to `address` for this conversation now (and counts it), else why not. */
  async take(conversationId: string, address: string): Promise<string | null> {
    const kinds = [PER_CONVERSATION, PER_ADDRESS];
    const windows: Window[] = [
      { key: `c ${conversationId}`, limit: PER_CONVERSATION.limit, spanMs: PER_CONVERSATION.spanMs },
      { key: `a ${address}`, limit: PER_ADDRESS.limit, spanMs: PER_ADDRESS.spanMs },
    ];
    const verdict = await this.windows.take(windows);
    if (verdict.ok) return null;
    const waitMinutes = Math.ceil(verdict.retryAfterMs / 60_000);
    return `too many codes asked for (${kinds[verdict.index]!.what}); try again in ${waitMinutes} minute${waitMinutes === 1 ? '' : 's'}`;
  }
}
