/**
 * The teams' JIDs' presence, shown to the customers who subscribed to them (RFC 6121 sections 3
 * and 4): available while an agent of the team is, `away` while agents are online but none is
 * available, unavailable otherwise. The availability is the team's on the site its customers'
 * conversations are filed under (docs/customers.md).
 */
import type { TeamAvailability } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { TeamJid } from './component-teams.js';

export class TeamPresence {
  /** Team id -> its availability on its customers' site (every team starts unavailable). */
  private readonly availability = new Map<string, TeamAvailability>();
  /** Team JID -> the bare JIDs of the customers who subscribed to it (or probed it: they did). */
  private readonly subscribers = new Map<string, Set<string>>();

  constructor(
    /** The site of customers' conversations with a team that serves several. */
    private readonly customerSite: string | undefined,
    private readonly send: (stanza: Element) => void,
    private readonly teamById: (id: string) => TeamJid | undefined,
  ) {}

  /** A presence stanza from a customer to a team's JID. */
  handle(stanza: Element, team: TeamJid): void {
    const { from, type } = stanza.attrs;
    if (!from) return;
    const customer = from.split('/')[0]!.toLowerCase();
    const subscribers = this.subscribers.get(team.jid) ?? new Set<string>();
    this.subscribers.set(team.jid, subscribers);
    if (type === 'subscribe' || type === 'probe') {
      subscribers.add(customer);
      if (type === 'subscribe') this.send(xml('presence', { type: 'subscribed', from: team.jid, to: customer }));
      this.send(this.presenceOf(team, customer));
    } else if (type === 'unsubscribe') {
      subscribers.delete(customer);
      this.send(xml('presence', { type: 'unsubscribed', from: team.jid, to: customer }));
    }
  }

  /** A team's availability changed on a site: its subscribers see it when it is their site. */
  changed(availability: TeamAvailability & { siteKey: string }): void {
    const team = this.teamById(availability.team);
    if (!team || availability.siteKey !== this.siteOf(team)) return;
    this.availability.set(team.id, { team: team.id, available: availability.available, online: availability.online });
    for (const customer of this.subscribers.get(team.jid) ?? []) this.send(this.presenceOf(team, customer));
  }

  private presenceOf(team: TeamJid, to: string): Element {
    const now = this.availability.get(team.id);
    if (now?.available) return xml('presence', { from: team.jid, to });
    if (now && now.online > 0) return xml('presence', { from: team.jid, to }, xml('show', {}, 'away'));
    return xml('presence', { type: 'unavailable', from: team.jid, to });
  }

  /** A team serving one site: that one; else the configured site of customers' conversations. */
  private siteOf(team: TeamJid): string | undefined {
    return team.sites.length === 1 ? team.sites[0] : this.customerSite;
  }
}
