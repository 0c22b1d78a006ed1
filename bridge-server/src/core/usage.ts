/**
 * Interconnect accounting: every message that crosses from one network to another through the
 * bridge (a visitor on the web to an agent on XMPP, an IRC user to a SIP user, ...) is counted per
 * site, day (UTC) and boundary, in messages and UTF-8 bytes. The live counters are in /metrics;
 * the per-day report (`GET /v1/usage`) comes from the store, which counts are flushed to in
 * batches (and before every report, and at shutdown).
 */
import { type Address, type Message, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Store, UsageRow } from '../store/store.js';

const FLUSH_MS = 5_000;

export class UsageMeter {
  private pending = new Map<string, UsageRow>();
  /** Each boundary's counters in /metrics, bound to their labels once rather than given a labels object at every message. */
  private readonly counters = new Map<string, { messages: { inc(value?: number): void }; bytes: { inc(value?: number): void } }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    /** Whether a scheme is a network of this bridge (a team's own messages cross no boundary). */
    private readonly isNetwork: (scheme: string) => boolean,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Counts a message once per network it reaches other than its sender's own. */
  count(message: Message, siteKey: string, recipients: readonly Address[]): void {
    const from = networkOf(message.from);
    if (!this.isNetwork(from)) return;
    let targets: Set<string> | undefined;
    for (const recipient of recipients) {
      const to = networkOf(recipient);
      if (recipient !== message.from && to !== from && this.isNetwork(to)) (targets ??= new Set()).add(to);
    }
    // Most messages cross no boundary (web to web): nothing to measure, nothing to allocate.
    if (!targets) return;
    const bytes = Buffer.byteLength(message.text, 'utf8');
    const day = this.now().toISOString().slice(0, 10);
    for (const to of targets) {
      const boundary = `${siteKey}\u0000${from}\u0000${to}`;
      let counters = this.counters.get(boundary);
      if (!counters) {
        const labels = { from, to, site: siteKey };
        counters = { messages: this.metrics.interconnectMessages.labels(labels), bytes: this.metrics.interconnectBytes.labels(labels) };
        this.counters.set(boundary, counters);
      }
      counters.messages.inc();
      counters.bytes.inc(bytes);
      const key = `${day}\u0000${boundary}`;
      const row = this.pending.get(key) ?? { day, siteKey, from, to, messages: 0, bytes: 0 };
      row.messages += 1;
      row.bytes += bytes;
      this.pending.set(key, row);
    }
  }

  /** Writes what was counted since the last flush (one flush at a time, in order). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const rows = [...this.pending.values()];
      this.pending = new Map();
      await this.store.addUsage(rows).catch((error: unknown) => {
        this.logger.error({ err: error }, 'usage not recorded; kept for the next flush');
        for (const row of rows) this.restore(row);
      });
    });
    return this.flushing;
  }

  async report(siteKey: string, fromDay: string, toDay: string): Promise<UsageRow[]> {
    await this.flush();
    return this.store.usage(siteKey, fromDay, toDay);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private restore(row: UsageRow): void {
    const key = `${row.day}\u0000${row.siteKey}\u0000${row.from}\u0000${row.to}`;
    const current = this.pending.get(key);
    if (current) {
      current.messages += row.messages;
      current.bytes += row.bytes;
    } else this.pending.set(key, row);
  }
}
