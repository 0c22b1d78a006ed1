/**
 * Agents' presence, followed by subscription (RFC 6121 section 3) from the bridge's own JID:
 * each agent's resources aggregate into one presence (the most available wins) for the sink.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { InboundSink } from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { presenceOf } from './stanzas.js';

const RANK: Record<PresenceStatus, number> = { available: 3, busy: 2, away: 1, offline: 0 };

export class AgentPresence {
  private readonly watched = new Set<Address>();
  /** Agents who accepted the subscription (their presence comes to the bridge's JID). */
  private readonly subscribedTo = new Set<Address>();
  private readonly resources = new Map<Address, Map<string, { status: PresenceStatus; text?: string }>>();

  /** `from`: the JID that subscribes (the component's domain); a client subscribes as itself. */
  constructor(
    private readonly sink: InboundSink,
    private readonly send: (stanza: Element) => void,
    private readonly from?: string,
  ) {}

  /** Starts following these agents (once each). */
  watch(addresses: Address[], online: boolean): void {
    for (const address of addresses) {
      if (!address.startsWith('xmpp:') || this.watched.has(address)) continue;
      this.watched.add(address);
      if (online) this.ask(address);
    }
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
    for (const agent of this.watched) this.ask(agent);
  }

  /** The connection dropped: nobody's presence is known any more. */
  onOffline(): void {
    for (const agent of this.watched) this.update(agent, null);
  }

  /** Handles an agent's presence or subscription answer; false when the stanza is not about one. */
  handle(stanza: Element): boolean {
    const from = stanza.attrs.from;
    if (!from) return false;
    const agent = addressOfJid(from);
    const type = stanza.attrs.type;
    if (type === 'subscribed') this.subscribedTo.add(agent);
    else if (type === 'unsubscribed') this.subscribedTo.delete(agent);
    else if ((type === undefined || type === 'unavailable') && this.watched.has(agent)) {
      const resource = from.includes('/') ? from.slice(from.indexOf('/') + 1) : '';
      const text = stanza.getChildText('status') ?? undefined;
      this.update(agent, { resource, status: presenceOf(stanza), ...(text ? { text } : {}) });
    } else return false;
    return true;
  }

  private update(agent: Address, change: { resource: string; status: PresenceStatus; text?: string } | null): void {
    let map = this.resources.get(agent);
    if (!map) this.resources.set(agent, (map = new Map()));
    if (change === null) map.clear();
    else if (change.status === 'offline') map.delete(change.resource);
    else map.set(change.resource, change.text === undefined ? { status: change.status } : { status: change.status, text: change.text });
    const best = [...map.values()].sort((a, b) => RANK[b.status] - RANK[a.status])[0];
    this.sink.presence(best ? { address: agent, ...best } : { address: agent, status: 'offline' });
  }
}
