/**
 * The teams' JIDs' presence, shown to the customers who subscribed to them (RFC 6121 sections 3
 * and 4): available while an agent of the team is, `away` while agents are online but none is
 * available, unavailable otherwise. The availability is the team's on the site its customers'
 * conversations are filed under (docs/customers.md). The subscribers are kept in the bridge's
 * store, so that after a restart they see the team's availability without asking again. What
 * customers show of their own presence to a team's JID is the desk's (customer-presence.ts).
 */
import type { TeamAvailability } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import type { InboundSink, TeamSubscriptions } from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { CustomerPresence } from './customer-presence.js';
import type { TeamJid } from './component-teams.js';

export interface TeamPresenceParts {
  /** The site of customers' conversations with a team that serves several. */
  customerSite: string | undefined;
  send: (stanza: Element) => void;
  /** Where customers' own presence goes. */
  sink: Pick<InboundSink, 'presence'>;
  teamById: (id: string) => TeamJid | undefined;
  /** Where subscribers are kept across restarts (in memory only without it). */
  stored?: TeamSubscriptions | undefined;
  logger: Logger;
}

export class TeamPresence {
  /** Team id -> its availability on its customers' site (every team starts unavailable). */
  private readonly availability = new Map<string, TeamAvailability>();
  /** Team id -> the bare JIDs of the customers who subscribed to its JID (or probed it: they did). */
  private readonly subscribers = new Map<string, Set<string>>();
  /** Subscriptions (`team customer`) and their removals whose store write is under way. */
  private readonly writing = new Map<string, boolean>();
  /** The customers' own presence, as they share it with the teams' JIDs. */
  private readonly customers: CustomerPresence;

  constructor(private readonly parts: TeamPresenceParts) {
    this.customers = new CustomerPresence({
      sink: parts.sink,
      send: parts.send,
      teamJidsOf: (customer) =>
        [...this.subscribers].filter(([, subscribers]) => subscribers.has(customer)).flatMap(([id]) => this.parts.teamById(id)?.jid ?? []),
    });
  }

  /** A presence stanza from a customer to a team's JID. */
  handle(stanza: Element, team: TeamJid): void {
    const { from, type } = stanza.attrs;
    if (!from) return;
    const customer = from.split('/')[0]!.toLowerCase();
    const subscribers = this.subscribersOf(team.id);
    if (type === 'subscribe' || type === 'probe') {
      if (!subscribers.has(customer)) this.keep(team, customer, true);
      subscribers.add(customer);
      if (type === 'subscribe') this.parts.send(xml('presence', { type: 'subscribed', from: team.jid, to: customer }));
      this.parts.send(this.presenceOf(team, customer));
      if (type === 'subscribe') this.customers.subscribed(customer, team.jid, team.name);
    } else if (type === 'unsubscribe') {
      // The customer removed the team (RFC 6121 section 3.3).
      subscribers.delete(customer);
      this.keep(team, customer, false);
      this.parts.send(xml('presence', { type: 'unsubscribed', from: team.jid, to: customer }));
    } else this.customers.handle(stanza);
  }

  /**
   * The component is connected: the stored subscribers are shown each team's presence. Read at
   * every connection, not once: in a cluster another node may have run the component meanwhile,
   * and the customers who subscribed or left there are in the store only.
   */
  async online(): Promise<void> {
    await this.load().catch((error: unknown) => {
      this.parts.logger.warn({ err: error }, "customers subscribed to teams' JIDs not read; shown once they send presence");
    });
    for (const [teamId, subscribers] of this.subscribers) {
      const team = this.parts.teamById(teamId);
      if (team) for (const customer of subscribers) this.parts.send(this.presenceOf(team, customer));
    }
    this.customers.online();
  }

  /** The component's connection dropped: no customer's own presence is known any more. */
  offline(): void {
    this.customers.offline();
  }

  /** A team's availability changed on a site: its subscribers see it when it is their site. */
  changed(availability: TeamAvailability & { siteKey: string }): void {
    const team = this.parts.teamById(availability.team);
    if (!team || availability.siteKey !== this.siteOf(team)) return;
    this.availability.set(team.id, { team: team.id, available: availability.available, online: availability.online });
    for (const customer of this.subscribers.get(team.id) ?? []) this.parts.send(this.presenceOf(team, customer));
  }

  /** The stored subscribers, in place of those known so far (a failed read leaves them). */
  private async load(): Promise<void> {
    const stored = await this.parts.stored?.of('xmpp');
    if (stored === undefined) return; // kept in memory only
    this.subscribers.clear();
    for (const { team, subscriber } of stored) {
      // A team no longer configured keeps its subscribers stored, for when it is back.
      if (!this.parts.teamById(team)) continue;
      this.subscribersOf(team).add(jidOfAddress(subscriber));
      this.customers.known(jidOfAddress(subscriber));
    }
    // What this node heard and is still writing may be missing from what it read.
    for (const [key, on] of this.writing) {
      const [team, customer] = key.split(' ') as [string, string];
      if (on) this.subscribersOf(team).add(customer);
      else this.subscribers.get(team)?.delete(customer);
    }
  }

  private keep(team: TeamJid, customer: string, on: boolean): void {
    if (!this.parts.stored) return;
    const key = `${team.id} ${customer}`;
    this.writing.set(key, on);
    this.parts.stored
      .set({ team: team.id, subscriber: addressOfJid(customer) }, on)
      .catch((error: unknown) => this.parts.logger.warn({ err: error, team: team.id, customer }, 'team subscription not stored'))
      .finally(() => {
        if (this.writing.get(key) === on) this.writing.delete(key);
      });
  }

  private subscribersOf(teamId: string): Set<string> {
    let subscribers = this.subscribers.get(teamId);
    if (!subscribers) this.subscribers.set(teamId, (subscribers = new Set<string>()));
    return subscribers;
  }

  private presenceOf(team: TeamJid, to: string): Element {
    const now = this.availability.get(team.id);
    if (now?.available) return xml('presence', { from: team.jid, to });
    if (now && now.online > 0) return xml('presence', { from: team.jid, to }, xml('show', {}, 'away'));
    return xml('presence', { type: 'unavailable', from: team.jid, to });
  }

  /** A team serving one site: that one; else the configured site of customers' conversations. */
  private siteOf(team: TeamJid): string | undefined {
    return team.sites.length === 1 ? team.sites[0] : this.parts.customerSite;
  }
}
