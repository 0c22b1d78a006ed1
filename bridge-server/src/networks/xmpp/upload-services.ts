/**
 * The URL prefixes whose links the bridge fetches (docs/networks/xmpp.md, "Files"): the configured
 * `files.fetchFrom`, and those of the HTTP File Upload services (XEP-0363) of the bridge's XMPP
 * server, found by service discovery (XEP-0363 section 2: disco#items of the server, disco#info of
 * each item for `urn:xmpp:http:upload:0`). Discovery does not tell where a service's files are
 * served, so the bridge asks each service for a slot (section 4) and trusts the path its GET URL
 * is under (trusted-links.ts), not the whole host; it never puts anything in the slot.
 */
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import { NS } from './stanzas.js';
import { isUnder, uploadPrefixOf } from './trusted-links.js';

/** Sends an iq and resolves with its result (rejects on an error or a timeout). */
export type IqRequest = (iq: Element) => Promise<Element>;

export interface DiscoveryTarget {
  /** The server's domain, whose items are asked. */
  server: string;
  /** The JID the queries are from (a component must name its domain; a client leaves it out). */
  from?: string;
  /** Items that are the bridge's own domains (not asked). */
  own?: readonly string[];
}

/** The probe slot's file: one byte, never uploaded. */
const PROBE = { filename: 'switchboard-probe.txt', size: '1', 'content-type': 'text/plain' };

/** The prefixes of the upload services of `target.server`, as their slots' GET URLs show them. */
export async function discoverUploadPrefixes(request: IqRequest, target: DiscoveryTarget, logger: Logger): Promise<string[]> {
  const from = target.from ? { from: target.from } : {};
  const own = new Set((target.own ?? []).map((domain) => domain.toLowerCase()));
  const query = (to: string, xmlns: string) => request(xml('iq', { type: 'get', to, ...from }, xml('query', { xmlns })));
  const items = await query(target.server, NS.discoItems).then(
    (answer) => (answer.getChild('query')?.getChildren('item') ?? []).map((item) => item.attrs.jid).filter((jid): jid is string => Boolean(jid)),
    () => [],
  );
  const candidates = [target.server, ...items.filter((jid) => !own.has(jid.toLowerCase()))];
  const prefixes = new Set<string>();
  await Promise.all(
    candidates.map(async (jid) => {
      try {
        const info = await query(jid, NS.discoInfo);
        const features = info.getChild('query')?.getChildren('feature') ?? [];
        if (!features.some((feature) => feature.attrs.var === NS.upload)) return;
        const slot = await request(xml('iq', { type: 'get', to: jid, ...from }, xml('request', { xmlns: NS.upload, ...PROBE })));
        const get = slot.getChild('slot', NS.upload)?.getChild('get')?.attrs.url;
        const prefix = get ? uploadPrefixOf(get) : null;
        if (prefix) prefixes.add(prefix);
      } catch (error) {
        logger.debug({ err: error, jid }, 'xmpp upload service not usable');
      }
    }),
  );
  return [...prefixes];
}

/** The configured prefixes and the discovered ones; a check waits for a discovery under way. */
export class TrustedLinks {
  private discovered: readonly string[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly configured: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** Discovers again (at each connection): the server's services may have changed. */
  refresh(discover: () => Promise<string[]>): void {
    this.pending = discover().then(
      (prefixes) => {
        this.discovered = prefixes;
        this.logger.info({ prefixes }, 'xmpp upload services found');
      },
      (error: unknown) => this.logger.warn({ err: error }, 'xmpp upload services not discovered'),
    );
  }

  /** Whether a link is fetched: under one of the prefixes (after any discovery under way). */
  async trusts(): Promise<(url: URL) => boolean> {
    await this.pending;
    const prefixes = [...this.configured, ...this.discovered];
    return (url) => prefixes.some((prefix) => isUnder(url, prefix));
  }
}
