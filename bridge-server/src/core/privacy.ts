/**
 * A site's ownership of its customers' data (docs/protocol.md, "Data administration"): an export
 * of everything held of one customer, the erasure of it, and the retention sweep that deletes
 * conversations idle for longer than the site keeps them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Address, isAddress } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { SiteConfig } from '../config.js';
import type { ErasureResult, Store } from '../store/store.js';
import { BridgeError } from './errors.js';
import { toClientForm, withSite } from '../networks/web/site-scope.js';
import { toPartyInfo, toWireConversation } from './wire.js';

/** How often the retention sweep runs (it also runs at start-up). */
export const RETENTION_SWEEP_INTERVAL_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

/** The store's key of a party named in an admin request of a site: its web identities carry the site (networks/web/site-scope.ts). */
export function partyKey(siteKey: string, address: string): Address {
  return withSite(address as Address, siteKey);
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export class DataAdmin {
  private readonly adminKeys: { digest: Buffer; siteKey: string }[];
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      store: Store;
      sites: readonly SiteConfig[];
      logger: Logger;
      /** Called after data was deleted (waiting webhook deliveries may have gone with it). */
      deleted?: () => Promise<void>;
      /** An address as its network writes it (`xmpp:Bob@Example.ORG` is `xmpp:bob@example.org`); as given by default. */
      canonical?: (address: Address) => Address;
      /** Deletes the blobs of deleted files that no file refers to any more (after the store committed). */
      releaseBlobs?: (blobs: readonly string[]) => Promise<void>;
      now?: () => number;
    },
  ) {
    this.adminKeys = deps.sites.flatMap((site) => site.adminKeys.map((key) => ({ digest: digest(key), siteKey: site.key })));
  }

  /** The site an admin key administers; throws `unauthorized` for anything else. */
  siteOf(authorization: string | undefined): string {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new BridgeError('unauthorized', 'Authorization: send "Bearer <adminKey>"');
    // Compared as digests in constant time: the comparison tells nothing about a key's prefix.
    const given = digest(match[1]!);
    const entry = this.adminKeys.find((candidate) => timingSafeEqual(candidate.digest, given));
    if (!entry) throw new BridgeError('unauthorized', 'Authorization: unknown admin key (see sites[].adminKeys)');
    return entry.siteKey;
  }

  /** The address as the store holds it: an export or an erasure of `xmpp:Bob@Example.ORG` is one of `xmpp:bob@example.org`. */
  private address(value: string): string {
    if (!isAddress(value)) throw new BridgeError('bad_request', `address: "${value}" is not an address such as web:v_123 or xmpp:alice@example.org`);
    return this.deps.canonical?.(value) ?? value;
  }

  /**
   * The addresses one customer is on the site: every address of their contact (docs/customers.md,
   * "Contacts"), or the address alone when it has none.
   */
  private async customer(siteKey: string, address: string) {
    const key = partyKey(siteKey, this.address(address));
    const contact = await this.deps.store.contactOf(siteKey, key);
    const keys = contact ? [key, ...contact.addresses.map((a) => a.address).filter((a) => a !== key)] : [key];
    const data = await Promise.all(keys.map((each) => this.deps.store.partyData(siteKey, each)));
    if (!contact && !data[0]!.party && data[0]!.conversations.length === 0)
      throw new BridgeError('not_found', `address: this site holds nothing of "${address}"`);
    return { keys, contact, data };
  }

  /** Everything the site holds of one customer (with every address of their contact), as JSON for the customer. */
  async export(siteKey: string, address: string) {
    const { contact, data } = await this.customer(siteKey, address);
    const seen = new Set<string>();
    const conversations = data
      .flatMap((each) => each.conversations)
      .filter(({ conversation }) => !seen.has(conversation.id) && seen.add(conversation.id))
      .map(({ conversation, messages, notes }) => ({
        ...toWireConversation(conversation),
        openedBy: conversation.openedBy,
        updatedAt: conversation.updatedAt,
        ...(conversation.ratingComment !== undefined ? { ratingComment: conversation.ratingComment } : {}),
        messages,
        // The desk's private notes on the conversation: data the site holds about the customer too.
        notes,
      }));
    // Written as the site writes its parties; the address as its network writes it (`xmpp:Bob@...` asked is `xmpp:bob@...`).
    const held = toClientForm({
      party: data[0]!.party ? toPartyInfo(data[0]!.party) : null,
      ...(contact
        ? {
            contact: {
              id: contact.id,
              createdAt: contact.createdAt,
              addresses: contact.addresses,
              parties: data.flatMap((each) => (each.party ? [toPartyInfo(each.party)] : [])),
              merges: contact.merges.map(({ id, addresses, by, at }) => ({ id, addresses, by, at })),
            },
          }
        : {}),
      conversations,
    });
    return { address: this.address(address), site: siteKey, exportedAt: new Date(this.now()).toISOString(), ...held };
  }

  /** Erases one customer of the site: every address of their contact and the contact (usage counts, being aggregates, stay). */
  async erase(siteKey: string, address: string): Promise<Omit<ErasureResult, 'blobs'>> {
    const { keys, contact } = await this.customer(siteKey, address);
    const result: ErasureResult = { conversations: 0, messages: 0, parties: 0, blobs: [] };
    for (const key of keys) {
      const erased = await this.deps.store.eraseParty(siteKey, key);
      result.conversations += erased.conversations;
      result.messages += erased.messages;
      result.parties += erased.parties;
      result.blobs.push(...erased.blobs);
    }
    if (contact) await this.deps.store.eraseContact(siteKey, contact.id);
    const { blobs, ...counts } = result;
    await this.deps.releaseBlobs?.(blobs);
    await this.deps.deleted?.();
    // The address itself is personal data: the log says which site and how much, not whom.
    this.deps.logger.info({ site: siteKey, ...counts, addresses: keys.length }, "a customer's data was erased");
    return counts;
  }

  /** Deletes what each site keeps no longer (sites with `retentionDays`). */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        for (const site of this.deps.sites) {
          if (site.retentionDays === undefined) continue;
          const before = new Date(this.now() - site.retentionDays * DAY_MS).toISOString();
          const { blobs, ...result } = await this.deps.store.sweepSite(site.key, before);
          await this.deps.releaseBlobs?.(blobs);
          // Contacts left with no conversation on the site go with the last of them.
          await this.deps.store.sweepContacts(site.key);
          if (result.conversations > 0) await this.deps.deleted?.();
          if (result.conversations > 0 || result.parties > 0)
            this.deps.logger.info({ site: site.key, before, ...result }, 'retention sweep deleted old conversations');
        }
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  /** Sweeps now, then periodically. */
  async start(): Promise<void> {
    if (!this.deps.sites.some((site) => site.retentionDays !== undefined)) return;
    await this.sweep();
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.deps.logger.error({ err: error }, 'retention sweep failed'));
    }, RETENTION_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the periodic sweep; resolves once a sweep under way is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}
