/**
 * The agents' inbox (docs/protocol.md, "Addition: the agent inbox"): views of the site's
 * conversations computed for the agent who reads them, their counts, search, and the item a
 * conversation is in one agent's eyes (inbox-feed.ts pushes it).
 */
import { type Address, type InboxCounts, type InboxItem, type InboxSearchResult, networkOf } from '@switchboard/protocol';
import type { InboxSearchPayload, InboxListPayload } from '@switchboard/protocol/schemas';
import type { InboxReader, InboxRow } from '../../store/inbox-store.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { type Actor, actsForSite } from '../actor.js';
import { forbidden, notFound } from '../errors.js';
import { type TeamDirectory, addressesOnSite } from '../desk/teams.js';
import { toWireConversation } from '../wire.js';
import { textForSite } from '../../networks/web/site-scope.js';

const DEFAULT_LIMIT = 100;
const DEFAULT_SEARCH_LIMIT = 20;
/** `closed` counts conversations closed this long ago at most. */
const CLOSED_COUNTED_MS = 7 * 24 * 60 * 60_000;

export interface InboxViewsDeps {
  store: Store;
  teams: TeamDirectory;
  now(): Date;
  /** The deadline (epoch ms) of the offer running for a conversation's assignee, if any (desk/offers.ts). */
  offerDeadline?(conversationId: string): number | undefined;
}

/** The contract's item of a store row. */
export function toInboxItem(row: InboxRow<ConversationRecord>): InboxItem {
  const { conversation } = row;
  const customer = conversation.openedBy;
  const item: InboxItem = {
    ...toWireConversation(conversation),
    customer: { address: customer, network: networkOf(customer), ...(row.customerName !== undefined ? { name: row.customerName } : {}) },
    unread: row.unread,
    updatedAt: conversation.updatedAt,
  };
  if (row.lastMessage) item.lastMessage = row.lastMessage;
  if (row.waitingSince !== undefined) item.waitingSince = row.waitingSince;
  return item;
}

export class InboxViews {
  constructor(private readonly deps: InboxViewsDeps) {}

  /** Who reads: the connection's address, with every address of the same agent on the site. */
  readerOf(address: Address, siteKey: string): InboxReader {
    for (const team of this.deps.teams.teamsOf(address))
      for (const agent of team.agents) if (agent.addresses.includes(address)) return { address, addresses: addressesOnSite(agent, siteKey) };
    return { address, addresses: [address] };
  }

  private check(actor: Actor, event: string, team: string | undefined): void {
    if (!actsForSite(actor)) throw forbidden(`${event} is for agents and integrations`);
    if (team !== undefined && !this.deps.teams.forSite(team, actor.siteKey)) throw notFound(`team: no team "${team}" serves this site`);
  }

  async list(actor: Actor, payload: InboxListPayload): Promise<InboxItem[]> {
    this.check(actor, 'inbox:list', payload.team);
    const rows = await this.deps.store.inbox({
      siteKey: actor.siteKey,
      reader: this.readerOf(actor.address, actor.siteKey),
      view: payload.view,
      ...(payload.team !== undefined ? { team: payload.team } : {}),
      sort: payload.sort ?? (payload.view === 'closed' ? 'updated' : 'waiting'),
      limit: payload.limit ?? DEFAULT_LIMIT,
    });
    return rows.map((row) => this.withOffer(toInboxItem(row)));
  }

  /** The item with the running offer of its assignee, while its deadline is ahead. */
  private withOffer(item: InboxItem): InboxItem {
    if (item.state !== 'open' || item.assignee === undefined) return item;
    const deadline = this.deps.offerDeadline?.(item.id);
    if (deadline === undefined || deadline <= this.deps.now().getTime()) return item;
    return { ...item, offer: { agent: item.assignee, expiresAt: new Date(deadline).toISOString() } };
  }

  async counts(actor: Actor, team: string | undefined): Promise<InboxCounts> {
    this.check(actor, 'inbox:counts', team);
    return this.deps.store.inboxCounts({
      siteKey: actor.siteKey,
      assignees: this.readerOf(actor.address, actor.siteKey).addresses,
      ...(team !== undefined ? { team } : {}),
      closedSince: new Date(this.deps.now().getTime() - CLOSED_COUNTED_MS).toISOString(),
    });
  }

  async search(actor: Actor, payload: InboxSearchPayload): Promise<InboxSearchResult[]> {
    this.check(actor, 'inbox:search', undefined);
    const results = await this.deps.store.searchInbox(actor.siteKey, payload.query, payload.limit ?? DEFAULT_SEARCH_LIMIT);
    // Whose conversation each hit is in, so a hit says more than a line of text: one query for all.
    const ids = [...new Set(results.map((result) => result.conversationId))];
    const rows = ids.length
      ? await this.deps.store.inbox({
          siteKey: actor.siteKey,
          reader: this.readerOf(actor.address, actor.siteKey),
          view: { ids },
          sort: 'updated',
          limit: ids.length,
        })
      : [];
    const customers = new Map(rows.map((row) => [row.conversation.id, toInboxItem(row).customer]));
    // A customer's snippet may quote their address: written as the site writes it.
    return results.map((result) => {
      const customer = customers.get(result.conversationId);
      return { ...result, snippet: textForSite(result.snippet, actor.siteKey), ...(customer ? { customer } : {}) };
    });
  }

  /**
   * A conversation of the site as each of `readers` (agents' and integrations' addresses) lists it,
   * by reader; empty when it is gone. Two store queries however many read: the item once, then
   * every reader's own `unread`.
   */
  async itemsFor(siteKey: string, conversationId: string, readers: readonly Address[]): Promise<Map<Address, InboxItem>> {
    const items = new Map<Address, InboxItem>();
    const all = readers.map((address) => this.readerOf(address, siteKey));
    if (!all[0]) return items;
    const [row] = await this.deps.store.inbox({ siteKey, reader: all[0], view: { ids: [conversationId] }, sort: 'updated', limit: 1 });
    if (!row) return items;
    const unread = await this.deps.store.unreadCounts(conversationId, all);
    const item = this.withOffer(toInboxItem(row));
    for (const reader of all) items.set(reader.address, { ...item, unread: unread.get(reader.address) ?? 0 });
    return items;
  }
}
