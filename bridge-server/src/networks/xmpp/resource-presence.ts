/**
 * A user's presence across their resources (RFC 6120 section 7.6, RFC 6121 section 4.4): each
 * connected client sends its own, and the user is as available as their most available resource.
 * A resource of negative priority counts as none: the server gives it no message sent to the bare
 * JID (RFC 6121 section 4.7.2.3), the only way the bridge writes to a user.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import type { Element } from '@xmpp/component';
import type { FollowedPresence } from '../kit/watch-list.js';
import { ownChildText, presenceOf } from './stanzas.js';

const RANK: Record<PresenceStatus, number> = { available: 3, busy: 2, away: 1, offline: 0 };

/** Whether messages to the bare JID reach the resource: its priority is not negative (RFC 6121 section 4.7.2.3; 0 when absent). */
function reachable(stanza: Element): boolean {
  const priority = Number.parseInt(ownChildText(stanza, 'priority') ?? '0', 10);
  return !(priority < 0);
}

export class ResourcePresence {
  private readonly users = new Map<Address, Map<string, FollowedPresence>>();

  /** Takes one resource's available or unavailable presence stanza; answers the user's presence now. */
  update(user: Address, stanza: Element): FollowedPresence {
    const from = stanza.attrs.from ?? '';
    const resource = from.includes('/') ? from.slice(from.indexOf('/') + 1) : '';
    const text = ownChildText(stanza, 'status') ?? undefined;
    const change: FollowedPresence = { status: reachable(stanza) ? presenceOf(stanza) : 'offline', ...(text ? { text } : {}) };
    let resources = this.users.get(user);
    if (!resources) this.users.set(user, (resources = new Map<string, FollowedPresence>()));
    if (change.status === 'offline') resources.delete(resource);
    else resources.set(resource, change);
    const best = [...resources.values()].sort((a, b) => RANK[b.status] - RANK[a.status])[0];
    if (!best) this.users.delete(user);
    return best ?? { status: 'offline' };
  }

  /** Whether any resource of the user is known to be there. */
  has(user: Address): boolean {
    return this.users.has(user);
  }

  /** The user's presence is no longer known (they stopped sharing it). */
  forget(user: Address): void {
    this.users.delete(user);
  }

  /** Nobody's presence is known any more (the connection dropped). */
  clear(): void {
    this.users.clear();
  }
}
