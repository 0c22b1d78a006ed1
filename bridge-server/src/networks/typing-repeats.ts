/**
 * Which typing notifications a network passes on to its parties. Web clients say `composing` again
 * every few seconds while their user types (a web reader lets the indicator go without it), but IM
 * protocols want a state said once: XEP-0085 section 5.2 forbids the same chat state twice in
 * succession; RFC 3994 section 3.2 wants `active` again only as its refresh interval runs out.
 * Kept per sender as the network shows it (a team's agents share the team's JID) and recipient; a
 * message sent between them ends the composing it follows. A `composing` no longer said again (the
 * web client went away mid-word) is ended with `paused`, so the IM user's indicator does not stay on.
 */
import type { TypingState } from '@switchboard/protocol';
import { lruCache } from '../util/lru.js';

/** Pairs remembered: past this, the least recently typing pair is forgotten (its next state goes out). */
const KEPT_PAIRS = 10_000;
/** A composing not said again within this long is over: web clients repeat it every 3 s. */
export const TYPING_IDLE_MS = 15_000;

/** How a state is said to the recipient (best effort: a failure is the network's to log). */
export type SayTyping = (state: TypingState) => Promise<void>;

interface Said {
  state: TypingState;
  at: number;
  /** While composing: ends it with `paused` unless it is said again first. */
  idle?: NodeJS.Timeout;
}

export class TypingRepeats {
  private readonly said = lruCache<string, Said>(KEPT_PAIRS, { dispose: (said) => clearTimeout(said.idle) });

  /** `repeatAfterMs`: how long before a continued `composing` is said again (Infinity: never). */
  constructor(
    private readonly repeatAfterMs: number,
    private readonly idleAfterMs: number = TYPING_IDLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** `state` from `sender` to `recipient` (as the network shows them): said through `say` when the protocol wants it. */
  async typing(sender: string, recipient: string, state: TypingState, say: SayTyping): Promise<void> {
    const key = `${sender} ${recipient}`;
    const last = this.said.get(key);
    clearTimeout(last?.idle);
    const now = this.now();
    const repeat = last?.state === state && (state === 'paused' || now - last.at < this.repeatAfterMs);
    const next: Said = repeat ? last : { state, at: now };
    if (state === 'composing') next.idle = this.endLater(key, say);
    else delete next.idle;
    this.said.set(key, next);
    if (!repeat) await say(state);
  }

  /** A message from `sender` to `recipient` went out: it ended their composing, so the next `composing` is said. */
  messageSent(sender: string, recipient: string): void {
    this.said.delete(`${sender} ${recipient}`);
  }

  private endLater(key: string, say: SayTyping): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.said.get(key)?.idle !== timer) return;
      this.said.set(key, { state: 'paused', at: this.now() });
      say('paused').catch(() => undefined);
    }, this.idleAfterMs);
    timer.unref();
    return timer;
  }
}
