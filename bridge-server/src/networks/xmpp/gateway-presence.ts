/**
 * Presence between XMPP users and other networks' users, through the gateway (XEP-0100 section 4
 * with RFC 6121 section 3). An XMPP user subscribing to another network's user asks the gateway to
 * follow that user's presence (the core's policy decides); unsubscribing stops it. What the
 * component last showed each XMPP user from another network's user (through `sharePresence`) is
 * remembered: a probe to that JID (RFC 6121 section 4.3) is answered with it, and it is shown again
 * after the component's connection comes back.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import { lruCache } from '../../util/lru.js';
import type { FollowOutcome, InboundSink } from '../network.js';
import { JidMap, addressOfJid, jidOfAddress } from './addresses.js';
import { showOf, xmlSafe } from './stanzas.js';

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
  private readonly pairs = lruCache<string, SharedPresence>(PAIRS_KEPT);

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

  clear(): void {
    this.pairs.clear();
  }
}

/** RFC 6121 section 4.7: a presence stanza from `from` to `to` for a uniform status and its text. */
export function presenceStanza(from: string, to: string, status: PresenceStatus, text?: string): Element {
  const show = showOf(status);
  const attrs = { from, to, ...(status === 'offline' ? { type: 'unavailable' } : {}) };
  return xml('presence', attrs, show ? xml('show', {}, show) : null, text ? xml('status', {}, xmlSafe(text)) : null);
}

const unavailable = (from: string, to: string) => xml('presence', { type: 'unavailable', from, to });
const answer = (type: 'subscribed' | 'unsubscribed', from: string, to: string, why?: string) =>
  xml('presence', { type, from, to }, why ? xml('status', {}, xmlSafe(why)) : null);

export class GatewayPresence {
  private readonly shown = new PresenceMemory();

  constructor(
    private readonly map: JidMap,
    private readonly sink: InboundSink,
    private readonly logger: Logger,
    private readonly trySend: (stanza: Element) => void,
  ) {}

  /** Shows an XMPP user what another network's user shows, and remembers it for probes and reconnections. */
  share(shared: SharedPresence): void {
    this.shown.remember(shared);
    this.trySend(presenceStanza(this.map.jidOf(shared.from), jidOfAddress(shared.to), shared.status, shared.text));
  }

  /** After a (re)connection of a domain, shows again what other networks' users of this domain last showed. */
  reshow(domain: string): void {
    for (const presence of this.shown.all()) {
      const from = this.map.jidOf(presence.from);
      if (JidMap.domainOf(from) === domain) this.trySend(presenceStanza(from, jidOfAddress(presence.to), presence.status, presence.text));
    }
  }

  /** A presence stanza from an XMPP user to `party`, another network's user (`toBare`, its JID). */
  async handle(stanza: Element, party: Address, toBare: string): Promise<void> {
    const from = stanza.attrs.from!;
    const watcher = addressOfJid(from);
    const user = jidOfAddress(watcher);
    switch (stanza.attrs.type) {
      case 'subscribe': {
        const outcome = await this.follow(watcher, party, true);
        if (!outcome.ok) {
          this.logger.info({ watcher, target: party, reason: outcome.reason }, 'xmpp gateway subscription refused');
          this.trySend(answer('unsubscribed', toBare, user, outcome.reason));
          return;
        }
        this.trySend(answer('subscribed', toBare, user));
        // RFC 6121 section 3.1.5: the contact's current presence follows the approval.
        const known = this.shown.get(party, watcher);
        if (known) this.trySend(presenceStanza(toBare, user, known.status, known.text));
        return;
      }
      case 'unsubscribe':
        await this.follow(watcher, party, false);
        this.trySend(answer('unsubscribed', toBare, user));
        return;
      case 'unsubscribed':
        await this.follow(watcher, party, false);
        return;
      case 'probe': {
        const known = this.shown.get(party, watcher);
        this.trySend(known ? presenceStanza(toBare, from, known.status, known.text) : unavailable(toBare, from));
        return;
      }
      case 'subscribed': {
        // The user approved the contact's request (agents.ts): the contact, now in their roster, shows its presence.
        const known = this.shown.get(party, watcher);
        if (known) this.trySend(presenceStanza(toBare, user, known.status, known.text));
        return;
      }
      case undefined:
      default:
      // The XMPP user's own presence (agents.ts follows it): nothing more to do.
    }
  }

  /** A presence stanza to a JID of a gateway domain that stands for nobody (not written the way the bridge writes them). */
  handleVacant(stanza: Element, toBare: string): void {
    const { from, type } = stanza.attrs;
    if (type === 'subscribe') this.trySend(answer('unsubscribed', toBare, from!, 'This is not an address of this gateway.'));
    else if (type === 'probe') this.trySend(unavailable(toBare, from!));
  }

  private follow(watcher: Address, target: Address, follow: boolean): Promise<FollowOutcome> {
    return Promise.resolve()
      .then(() => this.sink.follow({ watcher, target, follow }))
      .catch((error: unknown) => {
        this.logger.warn({ err: error, watcher, target }, 'xmpp gateway follow failed');
        return { ok: false as const, reason: 'The bridge could not follow this contact now; try again later.' };
      });
  }
}
