/**
 * The web agents present on this node, kept in the store as they change, so that a restart of the
 * bridge is the short drop it is for them: the agents present when it stopped (or was killed) are
 * present again at its start for the web network's `presenceGraceMs`, as after a page reload, and
 * their team does not turn unavailable (and show new visitors its offline form) in the seconds
 * their consoles take to reconnect.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { NetworkRecords } from '../network.js';

/** An agent present on this node, with the status it chose (`presence:set`). */
export interface PresentAgent {
  address: Address;
  status: PresenceStatus;
  text?: string;
}

/** More than any team has: a record past it is cut (a damaged or hostile value stays bounded). */
const MAX_KEPT = 10_000;
const STATUSES: ReadonlySet<string> = new Set<PresenceStatus>(['available', 'away', 'busy']);

export class PresentAgentsKeeping {
  /** The latest list not written yet: one write takes every change made while the one before ran. */
  private pending: PresentAgent[] | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly records: Pick<NetworkRecords, 'state' | 'setState'>,
    private readonly key: string,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** The agents kept by the last run; none when nothing (or nothing readable) was kept. */
  async load(): Promise<PresentAgent[]> {
    let value: string | null;
    try {
      value = await this.records.state(this.key);
    } catch (error) {
      this.logger.warn({ err: error }, 'web agents present before the restart not read: they show once they reconnect');
      return [];
    }
    if (value === null) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return [];
    }
    return Array.isArray(parsed) ? parsed.slice(0, MAX_KEPT).filter(isPresentAgent) : [];
  }

  /** Keeps `agents` (best effort: a failed write is logged, the next change writes again). */
  save(agents: PresentAgent[]): void {
    const queued = this.pending !== undefined;
    this.pending = agents;
    if (queued) return;
    this.writing = this.writing.then(async () => {
      const latest = this.pending ?? [];
      this.pending = undefined;
      try {
        await this.records.setState(this.key, latest.length > 0 ? JSON.stringify(latest) : null);
      } catch (error) {
        this.logger.warn({ err: error }, 'web agents present not kept: after a restart they show once they reconnect');
      }
    });
  }

  /** Resolves once every change saved so far is written (or failed). */
  written(): Promise<void> {
    return this.writing;
  }
}

function isPresentAgent(value: unknown): value is PresentAgent {
  if (typeof value !== 'object' || value === null) return false;
  const { address, status, text } = value as Record<string, unknown>;
  return (
    typeof address === 'string' &&
    address.startsWith('web:a_') &&
    typeof status === 'string' &&
    STATUSES.has(status) &&
    (text === undefined || typeof text === 'string')
  );
}
