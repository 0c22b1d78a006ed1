/**
 * The presence the component last showed each XMPP user from another network's user (gateway mode,
 * through `sharePresence`): a presence probe to that JID (RFC 6121 section 4.3) is answered with it,
 * and it is shown again after the component's connection comes back.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { showOf, xmlSafe } from './stanzas.js';
import { LRUCache } from 'lru-cache';

export interface SharedPresence {
  /** The other network's user. */
  from: Address;
  /** The XMPP user who sees it. */
  to: Address;
  status: PresenceStatus;
  text?: string;
}

/** Pairs remembered (the least recently changed is forgotten first). */
const PAIRS_KEPT = 10_000;

export class PresenceMemory {
  private readonly pairs = new LRUCache<string, SharedPresence>({ max: PAIRS_KEPT });

  /** Remembers what was shown; `offline` is what a probe gets anyway, so it is forgotten. */
  remember(shared: SharedPresence): void {
    const key = `${shared.from} ${shared.to}`;
    this.pairs.delete(key);
    if (shared.status === 'offline') return;
    this.pairs.set(key, shared);
  }

  get(from: Address, to: Address): SharedPresence | undefined {
    return this.pairs.get(`${from} ${to}`);
  }

  all(): IterableIterator<SharedPresence> {
    return this.pairs.values();
  }
}

/** RFC 6121 section 4.7: a presence stanza from `from` to `to` for a uniform status and its text. */
export function presenceStanza(from: string, to: string, status: PresenceStatus, text?: string): Element {
  const show = showOf(status);
  const attrs = { from, to, ...(status === 'offline' ? { type: 'unavailable' } : {}) };
  return xml('presence', attrs, show ? xml('show', {}, show) : null, text ? xml('status', {}, xmlSafe(text)) : null);
}
