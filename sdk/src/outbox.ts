/**
 * Sends that the bridge has not acknowledged yet, kept across reloads where storage exists and
 * sent one at a time, in order, while online. Each keeps its clientId, so a resend after a lost
 * ack can never be stored twice. A refused send stays as `failed` until retried or discarded.
 * Several tabs of one party share the storage: each keeps the others' sends there when it writes
 * its own, and takes in, as it connects, those a closed tab left.
 */
import type { Message } from '@switchboard/protocol';
import { backoffDelay, delay } from './backoff.js';
import { SwitchboardError } from './errors.js';
import { newClientId } from './ids.js';
import type { OutboxEntry } from './outbox-entry.js';
import type { PersistedState } from './storage.js';

export type { OutboxEntry };

export interface OutboxDeps {
  persisted: PersistedState;
  /** Sends one entry through the connection's request path; rejects with a SwitchboardError. */
  send(entry: OutboxEntry): Promise<Message>;
  isOnline(): boolean;
  /** The bridge stored a message. */
  stored(message: Message): void;
  /** The entries changed. */
  changed(entries: readonly OutboxEntry[]): void;
}

/** Entries in the order they were written (a stable sort: those written in the same millisecond keep theirs). */
const byCreation = (entries: OutboxEntry[]): OutboxEntry[] => [...entries].sort((a, b) => a.createdAt.localeCompare(b.createdAt));

/** Discarded clientIds kept in storage for the other tabs, at most. */
const DISCARDS_KEPT = 50;

/** Refusals that say a conversation is not the sender's: an adopted entry refused so is dropped. */
const NOT_THIS_PARTYS: ReadonlySet<string> = new Set(['forbidden', 'not_found']);

interface Waiter {
  resolve: (message: Message) => void;
  reject: (error: SwitchboardError) => void;
}

export class Outbox {
  private entries: OutboxEntry[];
  /** Every clientId this outbox has had: what storage holds beyond them is another tab's. */
  private readonly known = new Set<string>();
  /** Who waits for each message's outcome: its send(), and each retry() asked meanwhile. */
  private readonly waiters = new Map<string, Waiter[]>();
  private flushing = false;

  constructor(private readonly deps: OutboxDeps) {
    // In the order they were written, whichever tab of this party wrote them.
    this.entries = byCreation(deps.persisted.outbox);
    for (const entry of this.entries) this.known.add(entry.clientId);
  }

  list(conversationId?: string): OutboxEntry[] {
    return this.entries.filter((entry) => conversationId === undefined || entry.conversationId === conversationId);
  }

  /** Queues a message (with the ids of files uploaded for it, if any); resolves once the bridge stored it. */
  add(conversationId: string, text: string, attachments: string[] = []): Promise<Message> {
    const entry: OutboxEntry = {
      clientId: newClientId(),
      conversationId,
      text,
      ...(attachments.length > 0 ? { attachments } : {}),
      createdAt: new Date().toISOString(),
      state: 'pending',
    };
    const promise = this.wait(entry.clientId);
    this.entries.push(entry);
    this.known.add(entry.clientId);
    this.save();
    this.flush().catch(() => undefined);
    return promise;
  }

  retry(clientId: string): Promise<Message> {
    const entry = this.entries.find((e) => e.clientId === clientId);
    if (!entry) return Promise.reject(new SwitchboardError({ code: 'not_found', message: `no queued message with clientId ${clientId}` }));
    entry.state = 'pending';
    delete entry.error;
    const promise = this.wait(clientId);
    this.save();
    this.flush().catch(() => undefined);
    return promise;
  }

  /**
   * Takes in entries kept for this party under another name (the anonymous visitor it was), after
   * its own; sent with the next flush. One the bridge refuses as not this party's (`forbidden`,
   * `not_found`: it did not take the anonymous token as this party's) is dropped, not kept as
   * `failed`: no retry could send it.
   */
  adopt(entries: readonly OutboxEntry[]): void {
    const known = new Set(this.entries.map((entry) => entry.clientId));
    const taken = entries.filter((entry) => !known.has(entry.clientId)).map((entry): OutboxEntry => ({ ...entry, adopted: true }));
    if (taken.length === 0) return;
    for (const entry of taken) this.known.add(entry.clientId);
    this.entries = [...this.entries, ...taken];
    this.save();
  }

  /**
   * Takes in the sends another tab of this party left in storage (closed while the bridge was out
   * of reach), after its own, and sends what waits: on each (re)connection. A tab still open that
   * sends them too sends the same clientIds, which the bridge stores once.
   */
  resume(): Promise<void> {
    const left = this.others();
    if (left.length > 0) {
      for (const entry of left) this.known.add(entry.clientId);
      // In the order they were written, whichever tab wrote them.
      this.entries = byCreation([...this.entries, ...left]);
      this.save();
    }
    return this.flush();
  }

  discard(clientId: string): void {
    this.entries = this.entries.filter((e) => e.clientId !== clientId);
    this.settle(clientId, new SwitchboardError({ code: 'bad_request', message: 'discarded by the app' }));
    // Said in storage, so that another tab holding it drops it rather than write it back.
    this.deps.persisted.discarded = [...this.deps.persisted.discarded.filter((id) => id !== clientId), clientId].slice(-DISCARDS_KEPT);
    this.save();
  }

  /** Drops every entry; sends still waiting are rejected with `why`, not left hanging. */
  reset(why: string): void {
    this.entries = [];
    for (const waiter of [...this.waiters.values()].flat()) waiter.reject(new SwitchboardError({ code: 'unauthorized', message: why }));
    this.waiters.clear();
    this.deps.changed([]);
  }

  /** Sends pending entries one at a time, in order, while online. Never rejects. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    let attempt = 0;
    try {
      while (this.deps.isOnline()) {
        const entry = this.entries.find((e) => e.state === 'pending');
        if (!entry) break;
        try {
          const message = await this.deps.send(entry);
          attempt = 0;
          this.entries = this.entries.filter((e) => e.clientId !== entry.clientId);
          this.save();
          this.deps.stored(message);
          this.settle(entry.clientId, message);
        } catch (error) {
          // Anything but the bridge's answer (a malformed ack) will not get better by sending again.
          const refusal =
            error instanceof SwitchboardError ? error : new SwitchboardError({ code: 'bad_request', message: `unexpected answer: ${String(error)}` });
          if (refusal.retryable) {
            // No answer, or the bridge is busy: the same clientId goes again later.
            if (!this.deps.isOnline()) break;
            await delay(backoffDelay(attempt++));
            continue;
          }
          if (entry.adopted && NOT_THIS_PARTYS.has(refusal.code)) this.entries = this.entries.filter((e) => e.clientId !== entry.clientId);
          else {
            entry.state = 'failed';
            entry.error = refusal.toJSON();
          }
          this.save();
          this.settle(entry.clientId, refusal);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private wait(clientId: string): Promise<Message> {
    return new Promise<Message>((resolve, reject) => this.waiters.set(clientId, [...(this.waiters.get(clientId) ?? []), { resolve, reject }]));
  }

  private settle(clientId: string, outcome: Message | SwitchboardError): void {
    const waiting = this.waiters.get(clientId) ?? [];
    this.waiters.delete(clientId);
    for (const waiter of waiting) {
      if (outcome instanceof SwitchboardError) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
  }

  /** The sends in storage that another tab of this party wrote there. */
  private others(discarded = new Set(this.deps.persisted.discarded)): OutboxEntry[] {
    return this.deps.persisted.outbox.filter((entry) => !this.known.has(entry.clientId) && !discarded.has(entry.clientId));
  }

  /**
   * Writes this outbox's entries, keeping the other tabs' beside them (storage is read again
   * first), without those a tab discarded. What it remembers having had is cut to what is left.
   */
  private save(): void {
    const discarded = new Set(this.deps.persisted.discarded);
    this.entries = this.entries.filter((entry) => !discarded.has(entry.clientId) || entry.state === 'pending');
    const stored = [...this.entries, ...this.others(discarded)];
    this.deps.persisted.outbox = stored;
    const inStorage = new Set(stored.map((entry) => entry.clientId));
    for (const clientId of this.known) if (!inStorage.has(clientId)) this.known.delete(clientId);
    this.deps.changed([...this.entries]);
  }
}
