/**
 * One entity's presence document on the proxy (RFC 3903 PUBLISH), refreshed by the bridge's own
 * timer. The first PUBLISH carries the document; each later one the entity-tag the proxy answered
 * with (SIP-If-Match): with a new document it modifies the publication (section 4.4), without one it
 * refreshes it before it expires (section 4.3), and `Expires: 0` removes it (section 4.5). Owning
 * the timer means nothing keeps refreshing a publication that was withdrawn or forgotten, whatever
 * answer comes late.
 */
import type { Logger } from 'pino';
import type { Core, URI, UserAgent } from 'sip.js';

/** Seconds asked for; the proxy may grant less. */
const EXPIRES_SECONDS = 3600;
/** A refresh goes out when this much of the granted time has passed. */
const REFRESH_AT = 0.9;
/**
 * A PUBLISH that failed for a while (408, 5xx: SIP.js answers a transport error with its own 503)
 * goes again after 2 s, then twice as long each time, at most 5 minutes apart: a proxy that was
 * just starting, or a connection that broke under it, does not leave the party unpublished until
 * their next change.
 */
const RETRY_FIRST_MS = 2_000;
const RETRY_LONGEST_MS = 300_000;

export class Publication {
  /** The proxy's entity-tag (SIP-ETag) for the publication, while it has one. */
  private etag: string | undefined;
  private document: string | undefined;
  private expires = EXPIRES_SECONDS;
  private refresh: NodeJS.Timeout | undefined;
  private ended = false;
  /** A PUBLISH awaits its answer: the next one needs the entity-tag that answer brings (section 4.4). */
  private inFlight = false;
  /** Failed attempts in a row (408, 5xx) of the request now being retried. */
  private failures = 0;
  /** The latest request asked for meanwhile, sent when the answer came (earlier ones it replaces). */
  private queued: { document: string | undefined; expires: number; answered: (() => void)[] } | undefined;

  constructor(
    private readonly ua: UserAgent,
    private readonly entity: URI,
    private readonly event: string,
    private readonly contentType: string,
    private readonly logger: Logger,
  ) {}

  /** Publishes a document, the first or a new one; the proxy answers later. */
  publish(document: string): void {
    this.document = document;
    this.request(document, this.expires);
  }

  /** Removes the publication: resolves once the proxy answered, at once when nothing is published. */
  withdraw(): Promise<void> {
    this.end();
    if (this.etag === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.request(undefined, 0, resolve));
  }

  /** Forgets the publication without a word to the proxy (the connection is gone). */
  cancel(): void {
    this.end();
    this.etag = undefined;
  }

  private end(): void {
    this.ended = true;
    clearTimeout(this.refresh);
  }

  private request(document: string | undefined, expires: number, answered?: () => void): void {
    if (this.inFlight) {
      const waiting = this.queued?.answered ?? [];
      if (answered) waiting.push(answered);
      this.queued = { document, expires, answered: waiting };
      return;
    }
    this.inFlight = true;
    clearTimeout(this.refresh);
    const headers = [`Event: ${this.event}`, `Expires: ${expires}`, ...(this.etag === undefined ? [] : [`SIP-If-Match: ${this.etag}`])];
    const body = document === undefined ? undefined : { contentDisposition: 'render', contentType: this.contentType, content: document };
    const core = this.ua.userAgentCore;
    const request = core.makeOutgoingRequestMessage('PUBLISH', this.entity, this.entity, this.entity, {}, headers, body);
    const final = (response: Core.IncomingResponse) => {
      this.inFlight = false;
      this.answered(response.message, expires);
      answered?.();
      this.sendQueued();
    };
    core.publish(request, { onAccept: final, onRedirect: final, onReject: final });
  }

  private sendQueued(): void {
    const queued = this.queued;
    if (this.inFlight || !queued) return;
    this.queued = undefined;
    const done = () => queued.answered.forEach((answered) => answered());
    // A document asked for before a withdrawal, or a removal of what the proxy no longer has: nothing to send.
    if ((this.ended && queued.expires !== 0) || (queued.expires === 0 && this.etag === undefined)) return done();
    // A refresh needs the entity-tag; without one (the first PUBLISH was refused) it carries the document again.
    const document = queued.expires === 0 ? undefined : (queued.document ?? (this.etag === undefined ? this.document : undefined));
    this.request(document, queued.expires, done);
  }

  private answered(response: Core.IncomingResponseMessage, asked: number): void {
    const code = response.statusCode ?? 0;
    if (code >= 200 && code < 300) return this.accepted(response, asked);
    const removing = asked === 0;
    if (this.ended || removing || this.document === undefined) return this.forget();
    if (code === 412 && this.etag !== undefined) {
      // The proxy no longer knows the tag (the publication expired): publish the document afresh.
      this.etag = undefined;
      return this.request(this.document, this.expires);
    }
    if ((code === 408 || code >= 500) && !this.queued) {
      // Failed for a while (RFC 3261 section 21.5, 408): the same again later (a newer document asked for meanwhile goes at once instead).
      // A Retry-After the proxy gave (RFC 3261 section 20.33, seconds) is waited out, within the longest wait.
      const after = Number(/^\s*(\d+)/.exec(response.getHeader('Retry-After') ?? '')?.[1] ?? 0) * 1000;
      const wait = Math.min(RETRY_LONGEST_MS, Math.max(after, RETRY_FIRST_MS * 2 ** this.failures++));
      this.logger.debug({ entity: this.entity.toString(), status: code, retryInMs: wait }, 'sip presence publication failed, tried again later');
      this.refresh = setTimeout(() => this.request(this.document, this.expires), wait);
      this.refresh.unref();
      return;
    }
    const minimum = Number(response.getHeader('Min-Expires'));
    if (code === 423 && Number.isInteger(minimum) && minimum > asked) {
      // Interval too brief (RFC 3903 section 6): ask again for the proxy's minimum.
      this.expires = minimum;
      return this.request(this.document, minimum);
    }
    this.logger.info({ entity: this.entity.toString(), status: code }, 'sip presence publication refused');
    this.forget();
  }

  private accepted(response: Core.IncomingResponseMessage, asked: number): void {
    this.failures = 0;
    if (asked === 0) return this.forget();
    this.etag = response.getHeader('SIP-ETag') ?? this.etag;
    const granted = Number(response.getHeader('Expires') ?? asked);
    if (Number.isInteger(granted) && granted >= 0 && granted <= asked) this.expires = granted;
    // Withdrawn while this was on its way: the proxy has it now, so remove it.
    if (this.ended) return void this.withdraw();
    if (this.expires === 0 || this.etag === undefined) return this.forget();
    this.refresh = setTimeout(() => this.request(undefined, this.expires), this.expires * REFRESH_AT * 1000);
    this.refresh.unref();
  }

  /** The publication is gone from the proxy (removed, refused, expired): the next document starts afresh. */
  private forget(): void {
    this.etag = undefined;
    this.expires = EXPIRES_SECONDS;
  }
}
