/**
 * Agents' presence, followed by subscription (RFC 6121 section 3) from the bridge's own JID, on
 * the network kit's watch list: each agent's resources aggregate into one presence (the most
 * available wins) for the sink. A gateway user is asked from the JID of each contact of another
 * network they talk with, with its nick (XEP-0172 section 4.1), as XEP-0100 transports ask for
 * legacy contacts: approving the request adds that contact, not the bridge's domain.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { NS } from './stanzas.js';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { ResourcePresence } from './resource-presence.js';

/** A user's subscription to a JID that asked (`subscribedTo`); none: a client's own, which asks as itself. */
const subscription = (user: Address, jid: string | undefined): string => `${user} ${jid?.toLowerCase() ?? ''}`;

/** A JID a user is asked from: a gateway contact's, with its nick. */
export interface Asker {
  jid: string;
  nick: string;
}

export class AgentPresence {
  private readonly list: WatchList;
  /** `user JID-asked-from` pairs the user accepted (their presence comes to that JID). */
  private readonly subscribedTo = new Set<string>();
  private readonly resources = new ResourcePresence();
  /** Users followed for the desk (asked from the bridge's own JID). */
  private readonly desk = new Set<Address>();
  /** Users followed for their gateway contacts: the contacts' JIDs they are asked from. */
  private readonly contacts = new Map<Address, Map<string, Asker>>();

  /** `from`: the JID that subscribes (the component's domain); a client subscribes as itself. */
  constructor(
    sink: InboundSink,
    private readonly send: (stanza: Element) => void,
    private readonly from?: string,
  ) {
    this.list = new WatchList({
      sink,
      follow: (agents) => agents.forEach((agent) => this.ask(agent)),
      accepts: (address) => networkOf(address) === 'xmpp',
    });
  }

  /** Starts following these agents (once each); `asker`: for that gateway contact, asked from its JID. */
  watch(addresses: Address[], online: boolean, asker?: Asker): void {
    const newAskers: Address[] = [];
    for (const address of addresses) {
      if (!asker) {
        this.desk.add(address);
        continue;
      }
      let askers = this.contacts.get(address);
      if (!askers) this.contacts.set(address, (askers = new Map<string, Asker>()));
      if (!askers.has(asker.jid) && this.list.has(address)) newAskers.push(address);
      askers.set(asker.jid, asker);
    }
    this.list.watch(addresses, online);
    // Already followed, for another contact or the desk: asked from this contact too.
    if (online && asker) for (const address of newAskers) this.askFrom(address, asker);
  }

  /** Every user asked from a JID of this domain is asked again (its connection is back). */
  reaskFrom(domain: string): void {
    for (const [user, askers] of this.contacts)
      for (const asker of askers.values()) if (asker.jid.slice(asker.jid.indexOf('@') + 1) === domain) this.askFrom(user, asker);
  }

  private ask(agent: Address): void {
    const askers = this.contacts.get(agent);
    if (this.desk.has(agent) || !askers) this.askFrom(agent);
    for (const asker of askers?.values() ?? []) this.askFrom(agent, asker);
  }

  /**
   * Asks once; a server answers a request for an existing subscription by itself. Probes (section
   * 4.3) only agents known to have accepted: a probe from an entity not yet subscribed is answered
   * `unsubscribed` on the agent's behalf, which cancels the pending request.
   */
  private askFrom(agent: Address, asker?: Asker): void {
    const from = asker?.jid ?? this.from;
    const type = this.subscribedTo.has(subscription(agent, from)) ? 'probe' : 'subscribe';
    // XEP-0172 section 4.1: the nick goes with the request, so the client shows whom to add.
    const nick = asker && type === 'subscribe' ? xml('nick', { xmlns: NS.nick }, asker.nick) : null;
    this.send(xml('presence', { type, to: jidOfAddress(agent), ...(from ? { from } : {}) }, nick));
  }

  onOnline(): void {
    this.list.reconnected();
  }

  /** The connection dropped: nobody's presence is known any more. */
  onOffline(): void {
    this.resources.clear();
    this.list.dropped();
  }

  /**
   * `from` subscribed to the bridge's JID (added it to their roster, maybe again): an agent whose
   * presence the bridge does not see (they denied or revoked it) is asked again. A client that
   * approved the bridge after denying it holds a pre-approval (RFC 6121 section 3.4), which the
   * agent's server answers at once; else the agent's client asks them.
   */
  subscribedBy(from: string): void {
    const agent = addressOfJid(from);
    if (this.list.has(agent) && !this.subscribedTo.has(subscription(agent, this.from))) this.askFrom(agent);
  }

  /**
   * Handles an agent's presence or subscription answer, to the bridge's JID or a gateway contact's;
   * false when the stanza is not about one.
   */
  handle(stanza: Element): boolean {
    const from = stanza.attrs.from;
    if (!from) return false;
    const agent = addressOfJid(from);
    const type = stanza.attrs.type;
    // Which of the JIDs that asked (the bridge's, for a client none: its own bare JID) the answer is for.
    const to = this.from === undefined ? undefined : (stanza.attrs.to ?? '').split('/')[0];
    if (type === 'subscribed') this.subscribedTo.add(subscription(agent, to));
    else if (type === 'unsubscribed') this.subscribedTo.delete(subscription(agent, to));
    else if ((type === undefined || type === 'unavailable') && this.list.has(agent)) this.list.report(agent, this.resources.update(agent, stanza));
    else return false;
    return true;
  }
}
