/**
 * Customers' own presence, as they share it with a team's address, for the desk (docs/customers.md).
 * A customer who subscribes to a team is asked to share theirs in return (a mutual subscription,
 * RFC 6121 section 3.1); whatever presence they send the team's address afterwards, subscribed or
 * directed (section 4.6), is theirs, resources aggregated. In component mode, after each
 * (re)connection the customers subscribed to a team are probed from its JID (section 4.3): one who
 * shares answers with their presence, one who does not with `unsubscribed`, which changes nothing
 * but what the desk knows. In client mode the bot's server does that itself at each login.
 */
import type { Address } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { ResourcePresence } from './resource-presence.js';
import { NS, xmlSafe } from './stanzas.js';

export interface CustomerPresenceParts {
  sink: Pick<InboundSink, 'presence'>;
  send: (stanza: Element) => void;
  /** The JIDs of the teams a customer (bare JID) is subscribed to, that probe them (none in client mode: the server probes). */
  teamJidsOf: (customer: string) => string[];
}

export class CustomerPresence {
  private readonly list: WatchList;
  private readonly resources = new ResourcePresence();

  constructor(private readonly parts: CustomerPresenceParts) {
    this.list = new WatchList({ sink: parts.sink, follow: (customers) => customers.forEach((customer) => this.probe(customer)) });
  }

  /**
   * A customer subscribed to a team: they are asked to share their presence with its JID (the bot's
   * own in client mode), under the team's name (XEP-0172 section 4.2: their client shows who asks).
   */
  subscribed(customer: string, teamJid?: string, teamName?: string): void {
    const nick = teamName ? [xml('nick', { xmlns: NS.nick }, xmlSafe(teamName))] : [];
    this.parts.send(xml('presence', { type: 'subscribe', ...(teamJid ? { from: teamJid } : {}), to: customer }, ...nick));
    // Their approval brings their presence by itself (section 3.1.5): no probe now.
    this.list.watch([addressOfJid(customer)], false);
  }

  /** A customer known to be subscribed (read from the store): probed on each connection. */
  known(customer: string): void {
    this.list.watch([addressOfJid(customer)], false);
  }

  /** A presence stanza a customer sent a team's JID that says something of their own presence. */
  handle(stanza: Element): void {
    const customer = addressOfJid(stanza.attrs.from!);
    const { type } = stanza.attrs;
    if (type === undefined || type === 'unavailable') {
      this.list.watch([customer], false);
      this.list.report(customer, this.resources.update(customer, stanza));
    } else if (type === 'unsubscribed' && this.list.has(customer)) {
      // They declined to share, or stopped sharing: their presence is no longer known.
      this.resources.forget(customer);
      this.list.reportChange(customer, { status: 'offline' });
    }
  }

  /** The connection is up: every customer subscribed to a team is asked for their presence again. */
  online(): void {
    this.list.reconnected();
  }

  /** The connection dropped: no customer's presence is known any more. */
  offline(): void {
    this.resources.clear();
    this.list.dropped();
  }

  private probe(customer: Address): void {
    const to = jidOfAddress(customer);
    for (const from of this.parts.teamJidsOf(to)) this.parts.send(xml('presence', { type: 'probe', from, to }));
  }
}
