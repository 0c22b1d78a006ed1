/**
 * What each network last reported of each party's presence. A network can report again what it
 * said before (a SIP NOTIFY refreshing a subscription, RFC 6665 section 4.1.2.2): that is no
 * change, so what an agent set with `/away` or `/back` holds until their network reports a
 * different presence (docs/support-desk.md, "Commands"). Once the party is offline meanwhile (the
 * network went down, another node took it over), a repeat is news again.
 */
import type { Address, Presence } from '@switchboard/protocol';
import { lruCache } from '../util/lru.js';

/** Parties whose last report is remembered: those whose presence the networks follow. */
const REPORTS_KEPT = 50_000;

export class NetworkPresenceReports {
  private readonly last = lruCache<Address, string>(REPORTS_KEPT);

  /** Records a network's report; whether it is news to apply, `current` being the party's presence now. */
  isNews(report: Presence, current: Presence): boolean {
    const said = `${report.status}\n${report.text ?? ''}`;
    const before = this.last.get(report.address);
    this.last.set(report.address, said);
    return before !== said || current.status === 'offline';
  }
}
