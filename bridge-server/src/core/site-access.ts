/**
 * What a party of the uniform API may reach: the conversations it may see, the parties of its own
 * site, the addresses a site's visitors may open conversations to.
 */
import type { Address } from '@switchboard/protocol';
import type { SiteConfig } from '../config.js';
import type { HostedParties } from '../networks/network.js';
import { isVouchedIdentity, usableOnSite, withoutSite } from '../networks/web/site-scope.js';
import type { ConversationRecord, PartyRecord, Store } from '../store/store.js';
import { type Actor, actsForSite } from './actor.js';
import { forbidden, notFound } from './errors.js';
import type { ClientHub } from './hub.js';

export class SiteAccess {
  private readonly sites: Map<string, SiteConfig>;

  constructor(
    private readonly store: Store,
    private readonly hub: ClientHub,
    sites: readonly SiteConfig[],
    private readonly hosted: HostedParties,
  ) {
    this.sites = new Map(sites.map((site) => [site.key, site]));
  }

  /** The conversation, when the actor may see it: a participant, or an agent/integration of its site. */
  async conversation(actor: Actor, conversationId: string): Promise<ConversationRecord> {
    const conversation = await this.store.getConversation(conversationId);
    if (!conversation || conversation.siteKey !== actor.siteKey) throw notFound(`conversationId: no conversation "${conversationId}"`);
    if (!actsForSite(actor) && !conversation.participants.includes(actor.address)) {
      throw forbidden(`conversationId: you do not take part in conversation "${conversationId}"`);
    }
    return conversation;
  }

  /** Whether the site lets its visitors open a conversation to `to` (its `visitorTargets`). */
  visitorMayReach(siteKey: string, to: Address): boolean {
    const targets = this.sites.get(siteKey)?.visitorTargets ?? [];
    // Targets are written as the site writes addresses (web identities without their site).
    const written = withoutSite(to);
    return targets.some((pattern) => (pattern.endsWith('*') ? written.startsWith(pattern.slice(0, -1)) : pattern === written));
  }

  /** Whether the site lets its visitors open conversations to some addresses besides its teams. */
  hasVisitorTargets(siteKey: string): boolean {
    return (this.sites.get(siteKey)?.visitorTargets.length ?? 0) > 0;
  }

  /** Stores a party the first time it does something that needs it (anonymous visitors are not stored at connection). */
  async ensureParty(actor: Actor): Promise<void> {
    const party = await this.partyToStore(actor);
    if (party) await this.store.upsertParty(party);
  }

  /** The actor's party record when it is not stored yet, for a caller that stores it beside its own write. */
  async partyToStore(actor: Actor): Promise<PartyRecord | undefined> {
    if (await this.store.getParty(actor.address)) return undefined;
    return { address: actor.address, siteKey: actor.siteKey, role: actor.role, verified: actor.role !== 'visitor' };
  }

  /**
   * Whether an address a party of `siteKey` names is that site's: any other network's user is; a
   * hosted identity carries its site; an anonymous visitor is the site's when stored for it or
   * connected to it now.
   */
  async isSitesParty(siteKey: string, address: Address): Promise<boolean> {
    if (!this.hosted.isHosted(address)) return true;
    if (!usableOnSite(address, siteKey)) return false;
    // A user, agent or integration the site could vouch for (`web:zzz`, an empty or malformed id: nobody).
    if (!this.hosted.isVisitor(address)) return isVouchedIdentity(address);
    const party = await this.store.getParty(address);
    if (party) return party.siteKey === siteKey;
    if (this.hub.siteOf(address) !== siteKey) return false;
    await this.store.upsertParty({ address, siteKey, role: 'visitor', verified: false });
    return true;
  }
}
