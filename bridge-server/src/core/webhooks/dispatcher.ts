/**
 * Outgoing webhooks: conversation events POSTed to configured HTTP endpoints so a CRM can follow
 * along. Each request is signed (signature.ts) so the receiver can verify it, and retried with
 * backoff when the receiver fails. Deliveries of one hook go out one at a time and in order, so a receiver sees `opened` before `message` before `closed`. Deliveries wait
 * in the store, not in memory: what was not delivered when the process died (even by `kill -9`) is
 * sent after the restart, with the same delivery id, so a receiver that deduplicates sees it once.
 *
 * Several nodes on one store: a node claims a hook's first deliveries in the store before it sends
 * them (store.claimWebhooks), and while its claim runs (renewed as it works) no other node sends
 * that hook's deliveries, so each goes out once and the hook's order holds. A node that dies leaves
 * its claim to run out; the others look again then (and every so often), and take over.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NewWebhookDelivery, Store, WebhookDeliveryRecord } from '../../store/store.js';
import { type BackoffOptions, backoffDelay } from '../../util/backoff.js';
import { toClientForm } from '../../networks/web/site-scope.js';
import { type WebhookConfig, type WebhookDelivery, type WebhookEvent, webhookConfigSchema } from './config.js';
import { signatureOf } from './signature.js';

const USER_AGENT = 'Switchboard-Webhooks/1';
/** Deliveries read from the store at a time, per hook. */
const READ_BATCH = 50;
/** A receiver's Retry-After is honoured up to this, so one header cannot stall a hook for days. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;
/** What `drain()` waits for: every delivery waiting, or only this node's sending. */
export type DrainScope = 'all' | 'own';

/** How long a node's claim of a hook's deliveries lasts unless renewed: after it, another node takes over. */
const CLAIM_MS = 30_000;
/** A claim's end is looked at this long after it, so the other node's last renewal has surely lapsed. */
const CLAIM_SLACK_MS = 100;
/** While draining with several nodes, how often the hooks another node sends are looked at again. */
const DRAIN_LOOK_MS = 250;

interface HookState {
  config: WebhookConfig;
  /** The hook's key in the store: stable across restarts for the same URL. */
  key: string;
  /** The URL without its query (it may hold a token), for logs. */
  logUrl: string;
  running: boolean;
  /** Set when deliveries were queued while the loop ran, so it reads the store once more. */
  again: boolean;
  /** Deliveries of this hook in the store (as far as this node knows), for /metrics and drain(). */
  backlog: number;
  /** This node's deliveries of the hook being written to the store. */
  writing: number;
  /** Another node sends this hook's deliveries: when to look again (its claim may run out). */
  recheck: NodeJS.Timeout | undefined;
  /** The delivery whose next attempt the hook waits for, if it waits: woken when it is taken out. */
  waitingFor: { id: string; sleep: Sleep } | undefined;
}

type AttemptOutcome = { kind: 'delivered' } | { kind: 'retry'; reason: string; retryAfterMs?: number | undefined } | { kind: 'rejected'; reason: string };

interface Sleep {
  timer: NodeJS.Timeout;
  wake: () => void;
}

/** The conversation an event's data is about: `conversation.message` names it, the others carry it (docs/support-desk.md, "Webhooks"). */
function conversationOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const about = data as { conversationId?: unknown; conversation?: { id?: unknown } };
  const id = about.conversationId ?? about.conversation?.id;
  return typeof id === 'string' ? id : undefined;
}

/** A hook's key in the store: from its URL (several hooks with one URL are told apart by their rank). */
function hookKeys(configs: readonly WebhookConfig[]): string[] {
  const seen = new Map<string, number>();
  return configs.map((config) => {
    const digest = createHash('sha256').update(config.url).digest('hex').slice(0, 16);
    const rank = seen.get(digest) ?? 0;
    seen.set(digest, rank + 1);
    return rank === 0 ? digest : `${digest}#${rank}`;
  });
}

export class WebhookDispatcher {
  private readonly hooks: HookState[];
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly backoff: BackoffOptions;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  /** Aborts requests in flight on `stop()`. */
  private readonly stopping = new AbortController();
  private readonly sleeps = new Set<Sleep>();
  /** Who waits in `drain()`, and for what: nothing waiting at all, or nothing this node sends. */
  private readonly idleWaiters = new Map<() => void, DrainScope>();
  /** A node of several drains its own for shutdown: it finishes the deliveries it claimed and claims no more. */
  private finishing = false;
  private stopped = false;
  /** Who claims deliveries in the store: this node. */
  private readonly holder: string;
  private readonly claimMs: number;
  /** With several nodes: renews this node's claims and looks for deliveries a dead node left. */
  private readonly clustered: boolean;
  private watch: NodeJS.Timeout | undefined;

  constructor(options: {
    hooks: WebhookConfig[];
    store: Store;
    logger: Logger;
    backoff?: BackoffOptions;
    fetch?: typeof fetch;
    now?: () => number;
    /** This node, when several share the store: its id holds its claims (`claimMs`: how long one lasts unrenewed). */
    node?: { id: string; claimMs?: number };
  }) {
    // Parsing again applies the defaults for callers that built the objects by hand.
    const configs = options.hooks.map((hook) => webhookConfigSchema.parse(hook));
    const keys = hookKeys(configs);
    this.hooks = configs.map((config, i) => ({
      config,
      key: keys[i]!,
      logUrl: describeUrl(config.url),
      running: false,
      again: false,
      backlog: 0,
      writing: 0,
      recheck: undefined,
      waitingFor: undefined,
    }));
    this.holder = options.node?.id ?? randomUUID();
    this.claimMs = options.node?.claimMs ?? CLAIM_MS;
    this.clustered = options.node !== undefined;
    this.store = options.store;
    this.logger = options.logger;
    this.backoff = options.backoff ?? WEBHOOK_BACKOFF;
    // Called through a wrapper: the global fetch is not meant to run with the dispatcher as `this`.
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
  }

  /** Sends what waited in the store from before the last exit. */
  async start(): Promise<void> {
    let waiting = 0;
    for (const hook of this.hooks) {
      const stored = await this.store.webhookBacklog(hook.key);
      hook.backlog += stored;
      waiting += stored;
    }
    const orphans = (await this.store.webhookBacklog()) - waiting;
    if (orphans > 0)
      this.logger.warn(
        { deliveries: orphans },
        'webhook deliveries wait in the store for endpoints no longer configured (same URL: same endpoint); they are not sent',
      );
    for (const hook of this.hooks) this.kick(hook);
    if (this.clustered && !this.stopped && this.hooks.length > 0) {
      this.watch = setInterval(() => this.watchClaims(), this.claimMs / 3);
      this.watch.unref();
    }
  }

  /**
   * Several nodes: keeps this node's claims alive while it sends, and looks at every hook it is not
   * sending, so deliveries a dead node claimed are taken over within a claim's time.
   */
  private watchClaims(): void {
    if (this.stopped) return;
    if (this.hooks.some((hook) => hook.running)) {
      this.store.renewWebhookClaims(this.holder, this.claimMs).catch((error: unknown) => this.logger.warn({ err: error }, 'webhook claims not renewed'));
    }
    this.watchIdle();
  }

  /** Looks again at the hooks this node is not sending (another node may be, or may have died). */
  private watchIdle(): void {
    for (const hook of this.hooks) if (!hook.running) this.kick(hook);
  }

  /**
   * Deliveries a retraction took out of the store (`TakenBack.webhooks`): no longer waiting, and one
   * of them waiting for its next attempt holds up its hook no more (it finds itself gone).
   */
  takenOut(deliveries: readonly { id: string; hook: string }[]): void {
    for (const { id, hook: key } of deliveries) {
      const hook = this.hookOf(key);
      if (!hook) continue;
      hook.backlog = Math.max(0, hook.backlog - 1);
      if (hook.waitingFor?.id === id) hook.waitingFor.sleep.wake();
    }
    this.notifyIfIdle();
  }

  /** Counts the waiting deliveries again, after something other than sending removed some (an erasure). */
  async recount(): Promise<void> {
    for (const hook of this.hooks) hook.backlog = await this.store.webhookBacklog(hook.key);
    this.notifyIfIdle();
  }

  private hookOf(key: string): HookState | undefined {
    return this.hooks.find((hook) => hook.key === key);
  }

  /** Counts deliveries of their hooks (negative: uncounts them). */
  private count(deliveries: readonly NewWebhookDelivery[], by: 1 | -1, field: 'backlog' | 'writing' = 'backlog'): void {
    for (const delivery of deliveries) {
      const hook = this.hookOf(delivery.hook);
      if (hook) hook[field] += by;
    }
  }

  /** The event's deliveries, one per hook that wants it (event and site). */
  private deliveriesFor(event: WebhookEvent, siteKey: string, data: unknown): NewWebhookDelivery[] {
    // No hook configured (the common case): nothing to build for every message.
    if (this.stopped || this.hooks.length === 0) return [];
    const createdAt = new Date(this.now()).toISOString();
    return this.hooks.flatMap((hook) => {
      if (!hook.config.events.includes(event)) return [];
      if (hook.config.sites && !hook.config.sites.includes(siteKey)) return [];
      // One id per hook delivery, kept across its retries (and restarts) so the receiver can dedupe.
      // The site's backend knows its parties as its clients do (networks/web/site-scope.ts).
      const delivery: WebhookDelivery = { id: randomUUID(), event, siteKey, createdAt, data: toClientForm(data) };
      const conversationId = conversationOf(data);
      return [{ id: delivery.id, hook: hook.key, event, siteKey, ...(conversationId ? { conversationId } : {}), body: JSON.stringify(delivery) }];
    });
  }

  /** Deliveries now in the store: their hooks woken. */
  private queued(deliveries: readonly NewWebhookDelivery[]): void {
    const keys = new Set(deliveries.map((delivery) => delivery.hook));
    for (const hook of this.hooks) if (keys.has(hook.key)) this.kick(hook);
  }

  /**
   * Queues the event for every hook that wants it (event and site); returns at once. The store
   * write is queued before this returns, so deliveries keep the order of the calls.
   */
  emit(event: WebhookEvent, siteKey: string, data: unknown): void {
    let deliveries: NewWebhookDelivery[];
    try {
      deliveries = this.deliveriesFor(event, siteKey, data);
    } catch (error) {
      // Data that cannot be serialised (a cycle, a BigInt) is the caller's bug; it must not break the caller.
      this.logger.error({ err: error, event, siteKey }, 'webhook event could not be queued');
      return;
    }
    if (deliveries.length === 0) return;
    // Counted at once, so a drain() right after waits for them.
    this.count(deliveries, 1);
    this.count(deliveries, 1, 'writing');
    this.store.enqueueWebhooks(deliveries).then(
      () => {
        this.count(deliveries, -1, 'writing');
        this.queued(deliveries);
      },
      (error: unknown) => {
        this.count(deliveries, -1, 'writing');
        this.count(deliveries, -1);
        this.logger.error({ err: error, event, siteKey }, 'webhook event could not be stored');
        this.notifyIfIdle();
      },
    );
  }

  /**
   * For a store write that queues an event's deliveries in its own transaction, so the event is
   * stored with what caused it (a message and its `conversation.message`): `build` runs inside the
   * write; `committed` once it is done.
   */
  withWrite(event: WebhookEvent, siteKey: string): { build: (data: unknown) => NewWebhookDelivery[]; committed: () => void } {
    const built: NewWebhookDelivery[] = [];
    return {
      // The store may run a transaction again (a deadlock on Postgres): each run builds afresh.
      build: (data) => {
        built.length = 0;
        try {
          built.push(...this.deliveriesFor(event, siteKey, data));
        } catch (error) {
          this.logger.error({ err: error, event, siteKey }, 'webhook event could not be queued');
        }
        return built;
      },
      committed: () => {
        const deliveries = built.splice(0);
        this.count(deliveries, 1);
        this.queued(deliveries);
      },
    };
  }

  /** Deliveries waiting or being retried (for /metrics). */
  get pending(): number {
    return this.hooks.reduce((sum, hook) => sum + hook.backlog, 0);
  }

  /**
   * Resolves when nothing is waiting (for graceful shutdown and tests), or after `timeoutMs`. With
   * `own` (a node of several shutting down): when this node sends nothing, none of its deliveries
   * is being written, and none of its sends waits for a retry; what waits for the other nodes'
   * sending is theirs, and what waits unclaimed is taken by them once this node is gone.
   */
  drain(timeoutMs?: number, scope: DrainScope = 'all'): Promise<void> {
    if (this.idle(scope) || this.stopped) return Promise.resolve();
    // A retry's timer does not hold the process open; while someone drains, it must.
    for (const sleep of this.sleeps) sleep.timer.ref();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      // Several nodes: what another node sends is seen gone only by looking at the store again.
      // Draining its own (a node that stops) it takes nothing new: it finishes what it claimed.
      if (scope === 'own' && this.clustered) this.finishing = true;
      const look = this.clustered && scope === 'all' ? setInterval(() => this.watchIdle(), DRAIN_LOOK_MS) : undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        clearInterval(look);
        this.idleWaiters.delete(done);
        if (this.idleWaiters.size === 0) for (const sleep of this.sleeps) sleep.timer.unref();
        resolve();
      };
      this.idleWaiters.set(done, scope);
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    });
  }

  /**
   * Aborts requests in flight and sends nothing more; what waits stays in the store for the next
   * start (or another node). Resolves once this node's claims are let go.
   */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    if (this.pending > 0) this.logger.info({ waiting: this.pending }, 'webhooks stopped; deliveries still waiting are sent after the next start');
    this.stopping.abort();
    clearInterval(this.watch);
    for (const hook of this.hooks) {
      clearTimeout(hook.recheck);
      hook.recheck = undefined;
    }
    // What this node claimed but did not send goes to another node at once, not after its claim.
    const released = this.clustered
      ? this.store.releaseWebhookClaims(this.holder).catch((error: unknown) => this.logger.debug({ err: error }, 'webhook claims not released'))
      : Promise.resolve();
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.wake();
    }
    this.sleeps.clear();
    this.notifyIfIdle(true);
    return released;
  }

  /** Starts the hook's send loop unless it runs already (then it reads the store once more). */
  private kick(hook: HookState): void {
    if (this.stopped || this.finishing) return;
    if (hook.running) {
      hook.again = true;
      return;
    }
    hook.running = true;
    this.run(hook).catch((error: unknown) => {
      hook.running = false;
      this.logger.error({ err: error, url: hook.logUrl }, 'webhook send loop failed');
      this.notifyIfIdle();
    });
  }

  private async run(hook: HookState): Promise<void> {
    for (;;) {
      if (this.finishing) {
        // A stopping node of several: what it claimed is sent; the rest is for the other nodes.
        hook.running = false;
        this.notifyIfIdle();
        return;
      }
      hook.again = false;
      const asked = this.now();
      const claimed: { deliveries: WebhookDeliveryRecord[]; busyForMs?: number } = this.stopped ? { deliveries: [] } : await this.read(hook);
      const batch = claimed.deliveries;
      if (batch.length === 0 && hook.again && !this.stopped) continue;
      if (batch.length === 0) {
        if (claimed.busyForMs !== undefined && !this.stopped) {
          // Another node sends this hook's deliveries (ours too): what waits is as the store says,
          // and this node looks again when that node's claim would run out, in case it died.
          hook.backlog = (await this.store.webhookBacklog(hook.key)) + hook.writing;
          if (hook.again) continue;
          clearTimeout(hook.recheck);
          hook.recheck = setTimeout(
            () => {
              hook.recheck = undefined;
              this.kick(hook);
            },
            Math.max(0, claimed.busyForMs - (this.now() - asked)) + CLAIM_SLACK_MS,
          );
          hook.recheck.unref();
        } else if (this.clustered && !this.stopped) {
          // Nothing waits in the store: another node may have sent what this one counted.
          hook.backlog = hook.writing;
        }
        // Cleared in the same turn as the empty check, so a kick right after starts a new loop.
        hook.running = false;
        this.notifyIfIdle();
        return;
      }
      for (const record of batch) {
        if (this.stopped) break;
        await this.deliver(hook, record);
      }
    }
  }

  /**
   * The hook's next deliveries: claimed for this node when several share the store; a single node
   * reads them as they wait (nobody else sends them, and no claim of a process that died holds
   * them back after a restart).
   */
  private async read(hook: HookState): Promise<{ deliveries: WebhookDeliveryRecord[]; busyForMs?: number }> {
    if (!this.clustered) return { deliveries: await this.store.pendingWebhooks(hook.key, READ_BATCH) };
    return this.store.claimWebhooks(hook.key, { holder: this.holder, forMs: this.claimMs }, READ_BATCH);
  }

  private async deliver(hook: HookState, record: WebhookDeliveryRecord): Promise<void> {
    const context = { url: hook.logUrl, event: record.event, deliveryId: record.id };
    const finish = async () => {
      // One taken out meanwhile (takenOut) was uncounted then.
      if (await this.store.completeWebhook(record.id)) hook.backlog = Math.max(0, hook.backlog - 1);
    };
    // A retry planned before a restart keeps its time.
    const wait = record.nextAttemptAt - this.now();
    if (wait > 0) await this.sleep(wait, hook, record.id);
    for (let attempt = record.attempts + 1; !this.stopped; attempt += 1) {
      // Erased while it waited (its customer's data, or by retention): it must not go out. Nor,
      // with several nodes, once this node's claim ran out (it was frozen past it): another node
      // may be sending it; the hook's next read says whose it is now.
      if (!(await this.store.hasWebhook(record.id, this.clustered ? this.holder : undefined))) return;
      const outcome = await this.attempt(hook, record);
      // Stopped meanwhile: the store may be closing; at worst the delivery is sent again after a restart.
      if (this.stopped) return;
      if (outcome.kind === 'delivered') {
        this.logger.debug({ ...context, attempt }, 'webhook delivered');
        return finish();
      }
      if (outcome.kind === 'rejected') {
        this.logger.warn({ ...context, attempt, reason: outcome.reason }, 'webhook rejected by the receiver; not retried');
        return finish();
      }
      const delayMs = Math.max(backoffDelay(attempt, this.backoff), outcome.retryAfterMs ?? 0);
      const { maxAttempts, retryHours } = hook.config;
      if ((maxAttempts !== undefined && attempt >= maxAttempts) || this.now() + delayMs > eventTime(record, this.now()) + retryHours * HOUR_MS) {
        this.logger.warn({ ...context, attempts: attempt, reason: outcome.reason }, 'webhook dropped after its last attempt');
        return finish();
      }
      this.logger.debug({ ...context, attempt, reason: outcome.reason, delayMs }, 'webhook failed; retrying');
      // Taken out while it was being sent (a retraction): nothing to wait for.
      if (!(await this.store.retryWebhook(record.id, this.now() + delayMs, outcome.reason))) return;
      await this.sleep(delayMs, hook, record.id);
    }
  }

  private async attempt(hook: HookState, { id, event, body }: WebhookDeliveryRecord): Promise<AttemptOutcome> {
    // The timestamp is of this attempt (so retries stay within the receiver's tolerance); the body is not.
    const timestamp = String(Math.floor(this.now() / 1000));
    let response: Response;
    try {
      response = await this.fetch(hook.config.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          'X-Switchboard-Event': event,
          'X-Switchboard-Delivery': id,
          'X-Switchboard-Timestamp': timestamp,
          'X-Switchboard-Signature': signatureOf(hook.config.secret, timestamp, body),
        },
        body,
        // A signed request is not re-sent wherever a 3xx points; a redirect counts as a refusal.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(hook.config.timeoutSeconds * 1000), this.stopping.signal]),
      });
    } catch (error) {
      const timedOut = (error as { name?: unknown } | null)?.name === 'TimeoutError';
      return { kind: 'retry', reason: timedOut ? `no answer within ${hook.config.timeoutSeconds} s` : describeError(error) };
    }
    // Only the status matters; releasing the body frees the connection.
    await response.body?.cancel().catch(() => undefined);
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: 'delivered' };
    if (status === 408 || status === 429 || status >= 500) {
      return { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
    }
    return { kind: 'rejected', reason: `HTTP ${status}` };
  }

  /** Waits `ms` before the hook's next attempt at delivery `id` (sooner if it is taken out, or on stop). */
  private sleep(ms: number, hook: HookState, id: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleep: Sleep = {
        timer: setTimeout(() => sleep.wake(), ms),
        wake: () => {
          clearTimeout(sleep.timer);
          this.sleeps.delete(sleep);
          if (hook.waitingFor?.sleep === sleep) hook.waitingFor = undefined;
          resolve();
        },
      };
      // Held open only while someone drains (see drain()); otherwise a retry does not keep the process alive.
      if (this.idleWaiters.size === 0) sleep.timer.unref();
      this.sleeps.add(sleep);
      hook.waitingFor = { id, sleep };
    });
  }

  private notifyIfIdle(force = false): void {
    for (const [done, scope] of [...this.idleWaiters]) if (force || this.idle(scope)) done();
  }

  private idle(scope: DrainScope): boolean {
    if (scope === 'own' && this.clustered) return this.hooks.every((hook) => !hook.running && hook.writing === 0);
    return this.pending === 0;
  }
}

const HOUR_MS = 3_600_000;
/**
 * Waits between attempts: 0.5 s doubling to 5 minutes (each shortened by up to half at random), so
 * a receiver back from an outage gets its deliveries within minutes, without being polled harder.
 */
const WEBHOOK_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 300_000, jitter: 0.5 };

/** When a delivery's event happened (its body's `createdAt`, written by `emit`); now for a body without one. */
function eventTime(record: WebhookDeliveryRecord, now: number): number {
  try {
    const at = Date.parse((JSON.parse(record.body) as { createdAt?: string }).createdAt ?? '');
    return Number.isNaN(at) ? now : at;
  } catch {
    return now;
  }
}

/** Numeric Retry-After seconds only (HTTP dates are ignored; backoff applies then). */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
}

function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and puts the reason (ECONNREFUSED, ...) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
