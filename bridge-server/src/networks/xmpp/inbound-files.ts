/**
 * Files an XMPP party sends (docs/networks/xmpp.md, "Files"): the URLs of a message's out-of-band
 * elements (XEP-0066 section 4, what clients send after an HTTP File Upload, XEP-0363), or a body
 * that is nothing but a link, fetched from the origins the bridge trusts. A fetched file leaves the
 * text when its link was a line of its own; a link that was not fetched (another host, too large,
 * an error) stays in the text as the sender wrote it, and an out-of-band URL the body did not show
 * is added to it, so that nothing is dropped.
 */
import { LIMITS, type Message } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import type { InboundFile, NetworkFiles } from '../network.js';
import { amendmentOf } from './corrections.js';
import { FetchBudget, type FetchBounds, type FetchTicket } from './fetch-budget.js';
import { type LinkFetchOutcome, fetchLink } from './link-fetch.js';
import { NS, bodyOf, xmlSafe } from './stanzas.js';
import type { TrustedLinks } from './upload-services.js';
import { refusedFilesNotice } from '../refused-files.js';

/** A fetch of one file, body included. */
const FETCH_TIMEOUT_MS = 30_000;
/** Fetches under way at once, all senders together; they hold at most this many largest files. */
const CONCURRENT_FETCHES = 4;
/** Links one sender's messages have fetched in a minute (the core takes 30 uploads a minute from a party). */
const FETCHES_PER_SENDER_PER_MINUTE = 30;

export interface InboundFilesParts {
  trusted: TrustedLinks;
  /** The bridge's files (absent: nothing is fetched, links stay text). */
  files?: NetworkFiles | undefined;
  logger: Logger;
  /** Other bounds than the defaults (fetch-budget.ts). */
  bounds?: Partial<FetchBounds>;
}

export interface TextAndFiles {
  text: string;
  files: InboundFile[];
}

/** The out-of-band URLs of a message, each once. */
export function oobUrlsOf(stanza: Element): string[] {
  const urls = stanza
    .getChildren('x', NS.oob)
    .map((x) => x.getChildText('url')?.trim() ?? '')
    .filter((url) => url.length > 0);
  return [...new Set(urls)];
}

/**
 * Whether a message carries something for the core: words, an out-of-band link, or a retraction
 * (XEP-0424's fallback body is only a SHOULD: Dino sends none).
 */
export function hasContent(stanza: Element): boolean {
  return Boolean(bodyOf(stanza)) || oobUrlsOf(stanza).length > 0 || amendmentOf(stanza)?.retracts === true;
}

export class InboundFiles {
  private readonly budget: FetchBudget;

  constructor(private readonly parts: InboundFilesParts) {
    const fileBytes = parts.files?.maxFileBytes ?? 0;
    this.budget = new FetchBudget({
      concurrent: CONCURRENT_FETCHES,
      bytes: CONCURRENT_FETCHES * fileBytes,
      perSenderPerMinute: FETCHES_PER_SENDER_PER_MINUTE,
      ...parts.bounds,
    });
  }

  /** The message's text and the files its links brought; `body` in place of the stanza's own (a reply's without its quote). */
  async read(stanza: Element, body = bodyOf(stanza) ?? ''): Promise<TextAndFiles> {
    const oob = oobUrlsOf(stanza);
    // A body that is only a link (a client without XEP-0066 sends the upload's URL this way).
    const links = oob.length > 0 ? oob : /^https?:\/\/\S+$/i.test(body.trim()) ? [body.trim()] : [];
    const { files, logger } = this.parts;
    if (links.length === 0) return { text: body, files: [] };
    if (!files) return { text: withLinks(body, links), files: [] };
    const trusts = await this.parts.trusted.trusts();
    const sender = (stanza.attrs.from ?? '').split('/')[0]!.toLowerCase();
    const fetched = new Map<string, InboundFile>();
    const tickets: FetchTicket[] = [];
    try {
      // One after another: a message takes one of the bridge's concurrent fetches at a time. Links
      // past the message's bound are not fetched: they stay text.
      for (const link of links.slice(0, LIMITS.maxMessageAttachments)) {
        const outcome = await this.fetch(link, sender, trusts, files.maxFileBytes, tickets);
        if (outcome.ok) fetched.set(link, outcome.file);
        else logger.info({ link, reason: outcome.reason }, 'xmpp file link not fetched');
      }
    } finally {
      // The files are the caller's from here; the bytes count until all of the message's fetches end.
      for (const ticket of tickets) ticket.release();
    }
    if (fetched.size === 0) return { text: withLinks(body, links), files: [] };
    const kept = body
      .split('\n')
      .filter((line) => !fetched.has(line.trim()))
      .join('\n')
      .trim();
    return {
      text: withLinks(
        kept,
        links.filter((link) => !fetched.has(link)),
      ),
      files: links.flatMap((link) => fetched.get(link) ?? []),
    };
  }

  /** One link, fetched if the trust and the budget allow; its ticket is added to `tickets`. */
  private async fetch(link: string, sender: string, trusts: (url: URL) => boolean, maxBytes: number, tickets: FetchTicket[]): Promise<LinkFetchOutcome> {
    // Only a link the bridge would fetch takes a share of the budget.
    if (!URL.canParse(link) || !trusts(new URL(link))) return fetchLink(link, { trusts, maxBytes, timeoutMs: FETCH_TIMEOUT_MS });
    const ticket = this.budget.start(sender);
    if ('refused' in ticket) return { ok: false, reason: ticket.refused };
    tickets.push(ticket);
    try {
      return await fetchLink(link, { trusts, maxBytes, timeoutMs: FETCH_TIMEOUT_MS, hold: (bytes) => ticket.hold(bytes) });
    } finally {
      ticket.end();
    }
  }
}

/**
 * The error (RFC 6120 section 8.3.3.9, `not-acceptable`: the site's criteria) its sender gets in
 * place of a receipt for a message stored without some of the `sent` files it brought
 * (refused-files.ts); undefined when it took them all.
 */
export function refusedFilesError(stored: Pick<Message, 'text' | 'attachments'>, sent: number): Element | undefined {
  const text = refusedFilesNotice(stored, sent);
  if (text === undefined) return undefined;
  return xml('error', { type: 'modify' }, xml('not-acceptable', { xmlns: NS.stanzas }), xml('text', { xmlns: NS.stanzas }, xmlSafe(text)));
}

/** The text with each link it does not show added as a line of its own. */
function withLinks(text: string, links: readonly string[]): string {
  const missing = links.filter((link) => !text.includes(link));
  return [text, ...missing].filter((line) => line.length > 0).join('\n');
}
