/**
 * Outgoing webhooks: conversation events POSTed to configured HTTP endpoints so a CRM can follow
 * along. Each request is signed (HMAC-SHA256 over timestamp and body) so the receiver can verify
 * it, and retried with backoff when the receiver fails. Deliveries of one hook go out one at a
 * time and in order, so a receiver sees `opened` before `message` before `closed`. Queues live in
 * memory: what waits when the process exits is lost.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from '../util/backoff.js';
import { toClientForm } from './site-scope.js';

export const WEBHOOK_EVENTS = ['conversation.opened', 'conversation.assigned', 'conversation.message', 'conversation.closed', 'conversation.rated'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const webhookConfigSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    // fetch refuses URLs with user:password@; the signature is what authenticates the request.
    .refine(hasNoCredentials, 'must not contain a user name or password'),
  /** Signs every request; the receiver holds the same secret. */
  secret: z.string().min(16, 'webhook secrets must be at least 16 characters'),
  /** Events to send; all when omitted. */
  events: z.array(z.enum(WEBHOOK_EVENTS)).default([...WEBHOOK_EVENTS]),
  /** Site keys whose events to send; all sites when omitted. */
  sites: z.array(z.string()).optional(),
  /** Attempts per delivery (the first included) before it is dropped. */
  maxAttempts: z.number().int().min(1).max(50).default(10),
  /** How long one attempt may take, response included. */
  timeoutSeconds: z.number().positive().default(10),
});

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export interface WebhookDelivery {
  id: string;
  event: WebhookEvent;
  siteKey: string;
  createdAt: string;
  data: unknown;
}

const SIGNATURE_PREFIX = 'sha256=';
const USER_AGENT = 'Switchboard-Webhooks/1';
/** Waiting deliveries per hook; beyond this the oldest is dropped, so a dead receiver cannot exhaust memory. */
const MAX_WAITING = 10_000;
/** A receiver's Retry-After is honoured up to this, so one header cannot stall a hook for days. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;
const DEFAULT_TOLERANCE_SECONDS = 300;

function sign(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

/** Verifies a signature header for a raw body (for receivers, and the tests): constant-time. */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  timestamp: string,
  rawBody: string,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  now: () => number = Date.now,
): boolean {
  if (!/^\d{1,15}$/.test(timestamp)) return false;
  // An old (or far-future) timestamp means a replayed or forged request.
  if (Math.abs(now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  if (!header.startsWith(SIGNATURE_PREFIX)) return false;
  const given = header.slice(SIGNATURE_PREFIX.length);
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), Buffer.from(sign(secret, timestamp, rawBody), 'hex'));
}

interface QueuedDelivery {
  id: string;
  event: WebhookEvent;
  /** Serialised once at emit: every retry sends the same bytes, and later changes to `data` do not leak in. */
  body: string;
}

interface HookState {
  config: WebhookConfig;
  /** The URL without its query (it may hold a token), for logs. */
  logUrl: string;
  waiting: QueuedDelivery[];
  /** The delivery being sent or waiting for its retry. */
  current: QueuedDelivery | undefined;
  running: boolean;
}

type AttemptOutcome = { kind: 'delivered' } | { kind: 'retry'; reason: string; retryAfterMs?: number | undefined } | { kind: 'rejected'; reason: string };

interface Sleep {
  timer: NodeJS.Timeout;
  wake: () => void;
}

export class WebhookDispatcher {
  private readonly hooks: HookState[];
  private readonly logger: Logger;
  private readonly backoff: BackoffOptions;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  /** Aborts requests in flight on `stop()`. */
  private readonly stopping = new AbortController();
  private readonly sleeps = new Set<Sleep>();
  private readonly idleWaiters = new Set<() => void>();
  private stopped = false;

  constructor(options: { hooks: WebhookConfig[]; logger: Logger; backoff?: BackoffOptions; fetch?: typeof fetch; now?: () => number }) {
    // Parsing again applies the defaults for callers that built the objects by hand.
    this.hooks = options.hooks.map((hook) => {
      const config = webhookConfigSchema.parse(hook);
      return { config, logUrl: describeUrl(config.url), waiting: [], current: undefined, running: false };
    });
    this.logger = options.logger;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    // Called through a wrapper: the global fetch is not meant to run with the dispatcher as `this`.
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
  }

  /** Queues the event for every hook that wants it (event and site); returns at once. */
  emit(event: WebhookEvent, siteKey: string, data: unknown): void {
    if (this.stopped) return;
    try {
      const createdAt = new Date(this.now()).toISOString();
      for (const hook of this.hooks) {
        if (!hook.config.events.includes(event)) continue;
        if (hook.config.sites && !hook.config.sites.includes(siteKey)) continue;
        // One id per hook delivery, kept across its retries so the receiver can dedupe.
        // The site's backend knows its parties as its clients do (core/site-scope.ts).
        const delivery: WebhookDelivery = { id: randomUUID(), event, siteKey, createdAt, data: toClientForm(data) };
        const body = JSON.stringify(delivery);
        if (hook.waiting.length >= MAX_WAITING) {
          const dropped = hook.waiting.shift()!;
          this.logger.warn(
            { url: hook.logUrl, event: dropped.event, deliveryId: dropped.id, waiting: MAX_WAITING },
            'webhook queue full: dropped the oldest waiting delivery',
          );
        }
        hook.waiting.push({ id: delivery.id, event, body });
        this.kick(hook);
      }
    } catch (error) {
      // Data that cannot be serialised (a cycle, a BigInt) is the caller's bug; it must not break the caller.
      this.logger.error({ err: error, event, siteKey }, 'webhook event could not be queued');
    }
  }

  /** Deliveries waiting or being retried (for /metrics). */
  get pending(): number {
    let count = 0;
    for (const hook of this.hooks) count += hook.waiting.length + (hook.current ? 1 : 0);
    return count;
  }

  /** Resolves when nothing is waiting (for graceful shutdown and tests), or after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<void> {
    if (this.pending === 0 || this.stopped) return Promise.resolve();
    // A retry's timer does not hold the process open; while someone drains, it must.
    for (const sleep of this.sleeps) sleep.timer.ref();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.idleWaiters.delete(done);
        if (this.idleWaiters.size === 0) for (const sleep of this.sleeps) sleep.timer.unref();
        resolve();
      };
      this.idleWaiters.add(done);
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    });
  }

  /** Drops everything waiting, aborts requests in flight and sends nothing more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const dropped = this.pending;
    if (dropped > 0) this.logger.warn({ dropped }, 'webhooks stopped with deliveries still waiting');
    for (const hook of this.hooks) hook.waiting.length = 0;
    this.stopping.abort();
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.wake();
    }
    this.sleeps.clear();
    this.notifyIfIdle(true);
  }

  /** Starts the hook's send loop unless it runs already. */
  private kick(hook: HookState): void {
    if (hook.running || this.stopped) return;
    hook.running = true;
    this.run(hook).catch((error: unknown) => {
      hook.running = false;
      hook.current = undefined;
      this.logger.error({ err: error, url: hook.logUrl }, 'webhook send loop failed');
      this.notifyIfIdle();
    });
  }

  private async run(hook: HookState): Promise<void> {
    for (;;) {
      const next = this.stopped ? undefined : hook.waiting.shift();
      if (!next) {
        // Cleared in the same turn as the empty check, so an emit right after starts a new loop.
        hook.running = false;
        hook.current = undefined;
        this.notifyIfIdle();
        return;
      }
      hook.current = next;
      await this.deliver(hook, next);
      hook.current = undefined;
    }
  }

  private async deliver(hook: HookState, queued: QueuedDelivery): Promise<void> {
    const context = { url: hook.logUrl, event: queued.event, deliveryId: queued.id };
    for (let attempt = 1; !this.stopped; attempt += 1) {
      const outcome = await this.attempt(hook, queued);
      if (this.stopped) return;
      if (outcome.kind === 'delivered') {
        this.logger.debug({ ...context, attempt }, 'webhook delivered');
        return;
      }
      if (outcome.kind === 'rejected') {
        this.logger.warn({ ...context, attempt, reason: outcome.reason }, 'webhook rejected by the receiver; not retried');
        return;
      }
      if (attempt >= hook.config.maxAttempts) {
        this.logger.warn({ ...context, attempts: attempt, reason: outcome.reason }, 'webhook dropped after its last attempt');
        return;
      }
      const delayMs = Math.max(backoffDelay(attempt, this.backoff), outcome.retryAfterMs ?? 0);
      this.logger.debug({ ...context, attempt, reason: outcome.reason, delayMs }, 'webhook failed; retrying');
      await this.sleep(delayMs);
    }
  }

  private async attempt(hook: HookState, { id, event, body }: QueuedDelivery): Promise<AttemptOutcome> {
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
          'X-Switchboard-Signature': `${SIGNATURE_PREFIX}${sign(hook.config.secret, timestamp, body)}`,
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

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleep: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(sleep);
          resolve();
        }, ms),
        wake: resolve,
      };
      // Held open only while someone drains (see drain()); otherwise a retry does not keep the process alive.
      if (this.idleWaiters.size === 0) sleep.timer.unref();
      this.sleeps.add(sleep);
    });
  }

  private notifyIfIdle(force = false): void {
    if (!force && this.pending > 0) return;
    for (const done of [...this.idleWaiters]) done();
  }
}

/** Numeric Retry-After seconds only (HTTP dates are ignored; backoff applies then). */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
}

/** zod runs this even when the URL check failed, so an unparsable URL must not throw here. */
function hasNoCredentials(url: string): boolean {
  try {
    const { username, password } = new URL(url);
    return !username && !password;
  } catch {
    return true;
  }
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
