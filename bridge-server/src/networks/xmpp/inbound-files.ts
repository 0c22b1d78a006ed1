/**
 * Files an XMPP party sends (docs/networks/xmpp.md, "Files"): the URLs of a message's out-of-band
 * elements (XEP-0066 section 4, what clients send after an HTTP File Upload, XEP-0363), or a body
 * that is nothing but a link, fetched from the origins the bridge trusts. A fetched file leaves the
 * text when its link was a line of its own; a link that was not fetched (another host, too large,
 * an error) stays in the text as the sender wrote it, and an out-of-band URL the body did not show
 * is added to it, so that nothing is dropped.
 */
import { LIMITS } from '@switchboard/protocol';
import type { Element } from '@xmpp/component';
import type { Logger } from 'pino';
import type { InboundFile, NetworkFiles } from '../network.js';
import { fetchLink } from './link-fetch.js';
import { NS } from './stanzas.js';
import type { TrustedOrigins } from './upload-services.js';

/** A fetch of one file, body included. */
const FETCH_TIMEOUT_MS = 30_000;

export interface InboundFilesParts {
  trusted: TrustedOrigins;
  /** The bridge's files (absent: nothing is fetched, links stay text). */
  files?: NetworkFiles | undefined;
  logger: Logger;
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

/** Whether a message carries something for the core: words or an out-of-band link. */
export function hasContent(stanza: Element): boolean {
  return Boolean(stanza.getChildText('body')) || oobUrlsOf(stanza).length > 0;
}

export class InboundFiles {
  constructor(private readonly parts: InboundFilesParts) {}

  /** The message's text and the files its links brought. */
  async read(stanza: Element): Promise<TextAndFiles> {
    const body = stanza.getChildText('body') ?? '';
    const oob = oobUrlsOf(stanza);
    // A body that is only a link (a client without XEP-0066 sends the upload's URL this way).
    const links = oob.length > 0 ? oob : /^https?:\/\/\S+$/i.test(body.trim()) ? [body.trim()] : [];
    const { files, logger } = this.parts;
    if (links.length === 0) return { text: body, files: [] };
    if (!files) return { text: withLinks(body, links), files: [] };
    const trusts = await this.parts.trusted.trusts();
    const fetched = new Map<string, InboundFile>();
    await Promise.all(
      links.slice(0, LIMITS.maxMessageAttachments).map(async (link) => {
        const outcome = await fetchLink(link, { trusts, maxBytes: files.maxFileBytes, timeoutMs: FETCH_TIMEOUT_MS });
        if (outcome.ok) fetched.set(link, outcome.file);
        else logger.info({ link, reason: outcome.reason }, 'xmpp file link not fetched');
      }),
    );
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
}

/** The text with each link it does not show added as a line of its own. */
function withLinks(text: string, links: readonly string[]): string {
  const missing = links.filter((link) => !text.includes(link));
  return [text, ...missing].filter((line) => line.length > 0).join('\n');
}
