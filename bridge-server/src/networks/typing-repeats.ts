/**
 * Which typing notifications a network passes on to its parties. Web clients say `composing` again
 * every few seconds while their user types (a web reader lets the indicator go without it), but IM
 * protocols want a state said once: XEP-0085 section 5.2 forbids the same chat state twice in
 * succession; RFC 3994 section 4.2 wants `active` again only as its refresh interval runs out.
 * Kept per sender and recipient; a message sent between them ends the composing it follows.
 */
import type { Address, TypingState } from '@switchboard/protocol';
import { lruCache } from '../util/lru.js';

/** Pairs remembered: past this, the least recently typing pair is forgotten (its next state goes out). */
const KEPT_PAIRS = 10_000;

interface Said {
  state: TypingState;
  at: number;
}

export class TypingRepeats {
  private readonly said = lruCache<string, Said>(KEPT_PAIRS);

  /** `repeatAfterMs`: how long before a continued `composing` is said again (Infinity: never). */
  constructor(
    private readonly repeatAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `state` from `from` to `to` goes out now; remembered when it does. */
  shouldSend(from: Address, to: Address, state: TypingState): boolean {
    const key = `${from} ${to}`;
    const last = this.said.get(key);
    const now = this.now();
    if (last?.state === state && (state === 'paused' || now - last.at < this.repeatAfterMs)) return false;
    this.said.set(key, { state, at: now });
    return true;
  }

  /** A message from `from` to `to` went out: it ended their composing, so the next `composing` is said. */
  messageSent(from: Address, to: Address): void {
    this.said.delete(`${from} ${to}`);
  }
}
