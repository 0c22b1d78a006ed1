/**
 * Bounds on the work linked files cost the bridge (docs/networks/xmpp.md, "Files"). A link is
 * fetched before the core has taken the message (the files go to it with the message), so before it
 * knows whether the sender is blocked or may open a conversation: the fetches of all senders
 * together, the bytes they hold in memory, and each sender's fetches per minute are bounded. A link
 * beyond a bound stays text.
 */

export interface FetchBounds {
  /** Fetches under way at once, all senders together. */
  concurrent: number;
  /** Bytes fetches hold in memory at once, all senders together. */
  bytes: number;
  /** Fetches one sender starts in a minute. */
  perSenderPerMinute: number;
}

/** One fetch: its place among those under way, and the bytes it holds until they are released. */
export interface FetchTicket {
  /** Counts `bytes` more as held; false (nothing counted) when that would pass the bound. */
  hold(bytes: number): boolean;
  /** The fetch is over: its place is free (its bytes are still held). */
  end(): void;
  /** Its bytes are no longer held by the bridge's fetching (the fetch ends too). */
  release(): void;
}

const MINUTE_MS = 60_000;

export class FetchBudget {
  private running = 0;
  private held = 0;
  /** Each sender's fetch starts in the last minute. */
  private readonly starts = new Map<string, number[]>();

  constructor(
    private readonly bounds: FetchBounds,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fetch for `sender`, or why none may start now. */
  start(sender: string): FetchTicket | { refused: string } {
    const now = this.now();
    const recent = (this.starts.get(sender) ?? []).filter((at) => now - at < MINUTE_MS);
    if (recent.length >= this.bounds.perSenderPerMinute) return { refused: 'too many files from this sender in a minute' };
    if (this.running >= this.bounds.concurrent) return { refused: 'the bridge is fetching too many files at once' };
    this.starts.set(sender, [...recent, now]);
    this.forgetQuietSenders(now);
    this.running++;
    let mine = 0;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.running--;
    };
    return {
      hold: (bytes) => {
        if (ended || this.held + bytes > this.bounds.bytes) return false;
        this.held += bytes;
        mine += bytes;
        return true;
      },
      end,
      release: () => {
        end();
        this.held -= mine;
        mine = 0;
      },
    };
  }

  /** Drops senders with no start in the last minute, so the map holds only active ones. */
  private forgetQuietSenders(now: number): void {
    for (const [sender, starts] of this.starts) if (starts.every((at) => now - at >= MINUTE_MS)) this.starts.delete(sender);
  }
}
