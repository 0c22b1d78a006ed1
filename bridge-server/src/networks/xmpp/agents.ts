/**
 * Agents' presence, followed by subscription (RFC 6121 section 3) from the bridge's own JID, on
 * the network kit's watch list: each agent's resources aggregate into one presence (the most
 * available wins) for the sink.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { ResourcePresence } from './resource-presence.js';

export class AgentPresence {
  private readonly list: WatchList;
  /** Agents who accepted the subscription (their presence comes to the bridge's JID). */
  private readonly subscribedTo = new Set<Address>();
  private readonly resources = new ResourcePresence();

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

  /** Starts following these agents (once each). */
  watch(addresses: Address[], online: boolean): void {
    this.list.watch(addresses, online);
  }

  /**
   * Asks once; a server answers a request for an existing subscription by itself. Probes (section
   * 4.3) only agents known to have accepted: a probe from an entity not yet subscribed is answered
   * `unsubscribed` on the agent's behalf, which cancels the pending request.
   */
  private ask(agent: Address): void {
    const type = this.subscribedTo.has(agent) ? 'probe' : 'subscribe';
    this.send(xml('presence', { type, to: jidOfAddress(agent), ...(this.from ? { from: this.from } : {}) }));
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
    if (this.list.has(agent) && !this.subscribedTo.has(agent)) this.ask(agent);
  }

  /** Handles an agent's presence or subscription answer; false when the stanza is not about one. */
  handle(stanza: Element): boolean {
    const from = stanza.attrs.from;
    if (!from) return false;
    const agent = addressOfJid(from);
    const type = stanza.attrs.type;
    if (type === 'subscribed') this.subscribedTo.add(agent);
    else if (type === 'unsubscribed') this.subscribedTo.delete(agent);
    else if ((type === undefined || type === 'unavailable') && this.list.has(agent)) this.list.report(agent, this.resources.update(agent, stanza));
    else return false;
    return true;
  }
}
