/**
 * The presence of the parties the bridge shows on SIP (RFC 3856 through RFC 3903 PUBLISH of their
 * PIDF, RFC 3863): one publication per party, published once per change whoever it is shown to,
 * withdrawn when the party goes offline (section 4.5) instead of being refreshed forever.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { UserAgent } from 'sip.js';
import type { VisitorDomain } from './addresses.js';
import { CONTENT_TYPES, pidfBody } from './bodies.js';
import { bounded } from '../../util/bounded.js';
import { Publication } from './publication.js';
import type { SipSession } from './session.js';

/** How long a withdrawal waits for the proxy's answer: a goodbye is polite, not required. */
const WITHDRAW_WAIT_MS = 2_000;

type Shown = { status: PresenceStatus; text: string | undefined };

export class VisitorPresence {
  private readonly published = new Map<Address, { publication: Publication } & Shown>();
  /** What was shown when the connection dropped, and changes since: published again once it is back. */
  private readonly toPublish = new Map<Address, Shown>();

  constructor(
    private readonly session: SipSession,
    private readonly domain: VisitorDomain,
    private readonly logger: Logger,
  ) {}

  async share(party: Address, status: PresenceStatus, text?: string): Promise<void> {
    if (this.session.status.state !== 'online') {
      // Kept for when the connection is back (the proxy then knows nothing of it).
      if (status === 'offline') this.toPublish.delete(party);
      else this.toPublish.set(party, { status, text });
      return;
    }
    const known = this.published.get(party);
    // The same status with the same text: nothing new to publish (a new text alone is).
    if (known?.status === status && known.text === text) return;
    this.session.assertOnline();
    if (status === 'offline') {
      if (!known) return;
      this.published.delete(party);
      await bounded(known.publication.withdraw(), WITHDRAW_WAIT_MS);
      return;
    }
    const entity = this.domain.uriOf(party);
    const entry = known ?? {
      publication: new Publication(this.session.ua, UserAgent.makeURI(entity)!, 'presence', CONTENT_TYPES.pidf, this.logger),
      status,
      text,
    };
    entry.status = status;
    entry.text = text;
    this.published.set(party, entry);
    entry.publication.publish(pidfBody(entity, status, text));
  }

  /**
   * A visitor writes to someone on SIP: shown `available` first, unless its presence is published
   * (or waits to be) already. A visitor's presence is published on each change, and one who never
   * changed it since the page opened would stay `closed` to the agent who talks with them.
   */
  async introduce(party: Address): Promise<void> {
    if (this.published.has(party) || this.toPublish.has(party) || this.session.status.state !== 'online') return;
    await this.share(party, 'available');
  }

  /** The connection dropped: the proxy forgot every publication; each is published again when it is back (`republish`). */
  forget(): void {
    for (const [party, { publication, status, text }] of this.published) {
      publication.cancel();
      this.toPublish.set(party, { status, text });
    }
    this.published.clear();
  }

  /** Back online (a proxy restarted, a connection dropped): what the parties show is published again. */
  republish(): void {
    const shown = [...this.toPublish];
    this.toPublish.clear();
    for (const [party, { status, text }] of shown)
      this.share(party, status, text).catch((error: unknown) => this.logger.debug({ err: error, party }, 'sip: presence not published again'));
  }

  /** Withdraws every publication (at shutdown), waiting a little for the proxy's answers. */
  async withdrawAll(): Promise<void> {
    const all = [...this.published.values()];
    this.published.clear();
    this.toPublish.clear();
    await Promise.all(all.map(({ publication }) => bounded(publication.withdraw(), WITHDRAW_WAIT_MS)));
  }
}
