/**
 * Fetching a file an XMPP party linked (an XEP-0066 out-of-band URL, most often an XEP-0363 upload
 * slot's GET URL) from a place the bridge trusts (an origin and a path prefix), and from no other: never a redirect elsewhere,
 * never more than the bridge takes in, never longer than a timeout. Anything else is a reason the
 * link stays text.
 */
import type { InboundFile } from '../network.js';

export interface LinkFetchLimits {
  /** Whether the bridge fetches this URL (redirects included): under a trusted prefix. */
  trusts(url: URL): boolean;
  /** Stop reading beyond this many bytes: the file is refused, not cut. */
  maxBytes: number;
  /** The whole fetch, body included. */
  timeoutMs: number;
  /** Counts bytes read as held in memory; false when the bridge holds too much already (fetch-budget.ts). */
  hold?: (bytes: number) => boolean;
}

export type LinkFetchOutcome = { ok: true; file: InboundFile } | { ok: false; reason: string };

/** Redirects followed, each to a trusted origin. */
const MAX_REDIRECTS = 3;

export async function fetchLink(link: string, limits: LinkFetchLimits, fetchImpl: typeof fetch = fetch): Promise<LinkFetchOutcome> {
  let url = URL.canParse(link) ? new URL(link) : null;
  if (!url || !['http:', 'https:'].includes(url.protocol)) return { ok: false, reason: 'not an http(s) link' };
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      if (!limits.trusts(url)) return { ok: false, reason: `${url.origin} is not a host the bridge fetches from` };
      // No cookies, no credentials: a plain GET of a capability URL.
      const response: Response = await fetchImpl(url, { redirect: 'manual', signal, credentials: 'omit' });
      const location: string | null = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) return { ok: false, reason: 'too many redirects' };
        url = new URL(location, url);
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        return { ok: false, reason: `HTTP ${response.status}` };
      }
      const content = await readAtMost(response, limits);
      if (typeof content === 'string') return { ok: false, reason: content };
      const declaredType = response.headers.get('content-type')?.split(';')[0]?.trim();
      return { ok: true, file: { name: nameOf(url), content, ...(declaredType ? { declaredType } : {}) } };
    }
  } catch (error) {
    return { ok: false, reason: (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message };
  }
}

/**
 * The body, or why not as soon as it is known: larger than `maxBytes` (the declared length, or what
 * came), or more than the bridge may hold in memory now.
 */
async function readAtMost(response: Response, { maxBytes, hold = () => true }: LinkFetchLimits): Promise<Buffer | string> {
  const tooLarge = `larger than ${maxBytes} bytes`;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes || !response.body) {
    await response.body?.cancel();
    return declared > maxBytes ? tooLarge : Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes || !hold(value.byteLength)) {
      await reader.cancel();
      return total > maxBytes ? tooLarge : 'the bridge holds too many fetched bytes at once';
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks, total);
}

/** The file's name: the link's last path segment (upload services keep the uploader's name there). */
export function nameOf(url: URL): string {
  const segment = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment) || 'file';
  } catch {
    return segment || 'file';
  }
}
