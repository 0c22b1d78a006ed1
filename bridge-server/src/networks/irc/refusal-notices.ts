/**
 * Refusals told to IRC users at most once a minute per pair of nicks (ours, theirs): a client that
 * retries an offer, or a user who keeps writing to a nick that is not the one they mean, gets one
 * NOTICE a minute, so the bridge never answers a flood line for line.
 */
export class RefusalNotices {
  private readonly told = new Map<string, number>();

  constructor(
    private readonly everyMs = 60_000,
    private readonly max = 1000,
  ) {}

  /** Whether the user is to be told now (`pair`: which of our nicks and theirs), and then not again within `everyMs`. */
  tell(pair: string, now = Date.now()): boolean {
    const key = pair.toLowerCase();
    const last = this.told.get(key);
    if (last !== undefined && now - last < this.everyMs) return false;
    this.told.delete(key);
    this.told.set(key, now);
    // Oldest first: past `max` pairs the longest told are forgotten (they may be told again).
    while (this.told.size > this.max) this.told.delete(this.told.keys().next().value!);
    return true;
  }
}
