/**
 * What the component remembers to confirm XMPP users' messages the XMPP way: the sender's own id of
 * each message it sent (XEP-0333 names a message by it), and, for a message to another network's
 * user (gateway), what the sender asked for (XEP-0184 receipt, XEP-0333 markable), answered only
 * once that network confirms: nothing is faked.
 */
import type { Address, Message } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { lruCache } from '../../util/lru.js';
import { type JidMap, jidOfAddress } from './addresses.js';
import { NS } from './stanzas.js';

/** Messages remembered (the most recent ones). */
const KEPT = 10_000;

/** A gateway message's sender and what it asked for. */
export interface GatewayRequest {
  /** The sender's stanza id. */
  id: string;
  /** The other network's user it was for. */
  party: Address;
  /** The sender's full JID. */
  to: string;
  receipt: boolean;
  markable: boolean;
}

export class ComponentReceipts {
  /** Bridge message id -> the sender's own stanza id (its origin-id when it gave one). */
  private readonly stanzaIds = lruCache<string, string>(KEPT);
  private readonly requests = lruCache<string, GatewayRequest>(KEPT);

  constructor(private readonly map: JidMap) {}

  /** An XMPP user's message was stored as `messageId`. */
  stored(messageId: string, originId: string): void {
    this.stanzaIds.set(messageId, originId);
  }

  /** Its sender asked for a receipt or markers, which the other network's confirmations answer. */
  awaitConfirmation(messageId: string, request: GatewayRequest): void {
    this.requests.set(messageId, request);
  }

  /**
   * XEP-0333: the reader (shown as `readerJid`) displayed an XMPP user's message; null when its stanza
   * id is not known (any more). Of type `chat`, as every confirmation here: the server then copies it
   * to each of the user's devices (XEP-0280 section 6), the one that wrote the message included.
   */
  displayed(readerJid: string, message: Message): Element | null {
    const stanzaId = this.stanzaIds.get(message.id);
    return stanzaId
      ? xml('message', { type: 'chat', from: readerJid, to: jidOfAddress(message.from) }, xml('displayed', { xmlns: NS.markers, id: stanzaId }))
      : null;
  }

  /** What a gateway message's sender gets now that the other network reached this status: each answer once. */
  confirmations(messageId: string, reached: 'delivered' | 'read'): Element[] {
    const asked = this.requests.get(messageId);
    if (!asked) return [];
    const from = this.map.jidOf(asked.party);
    const out: Element[] = [];
    if (reached === 'delivered' && asked.receipt) {
      asked.receipt = false; // once
      out.push(xml('message', { type: 'chat', from, to: asked.to, id: `r-${asked.id}` }, xml('received', { xmlns: NS.receipts, id: asked.id })));
    }
    if (reached === 'read') {
      this.requests.delete(messageId);
      // XEP-0333 names the message by the sender's own id (its origin-id when it gave one).
      if (asked.markable)
        out.push(xml('message', { type: 'chat', from, to: asked.to }, xml('displayed', { xmlns: NS.markers, id: this.stanzaIds.get(messageId) ?? asked.id })));
    }
    return out;
  }
}
