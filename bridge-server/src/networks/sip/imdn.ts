/**
 * RFC 5438 disposition notifications the bridge sends (in CPIM) for SIP senders' messages, when they asked in
 * CPIM (`imdn.Disposition-Notification`). For a party the bridge hosts (or a team), it stored the message and says
 * `delivered` on the party's behalf at once; `displayed` waits until the party read it. For a user
 * of another network (gateway), only that network's own confirmation counts, nothing is faked.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { newId } from '../../util/ids.js';
import { lruCache } from '../../util/lru.js';
import type { HostedParties } from '../network.js';
import type { VisitorDomain } from './addresses.js';
import { CONTENT_TYPES, cpimOfImdn, imdnBody } from './bodies.js';
import type { SipMessenger } from './outgoing.js';

/** Messages whose sender asked for notifications, kept to answer later (the most recent ones). */
const REQUESTS_KEPT = 10_000;

/** What a CPIM message asked for: its `imdn.Message-ID`, and which notifications. */
export interface ImdnAsk {
  id: string;
  delivery: boolean;
  display: boolean;
  /** The IM's CPIM DateTime, when it had a valid one. */
  sentAt?: Date;
}

interface Pending {
  imdnId: string;
  /** When the IM was sent, as its DateTime said (else when the bridge took it). */
  sentAt: Date;
  /** Where the notification goes (the sender's URI) and whom it is about (the party's URI). */
  agentUri: string;
  visitorUri: string;
  party: Address;
  delivery: boolean;
  display: boolean;
}

export class ImdnNotifications {
  private readonly pending = lruCache<string, Pending>(REQUESTS_KEPT);

  constructor(
    private readonly messenger: SipMessenger,
    private readonly domain: VisitorDomain,
    private readonly hosted: HostedParties,
    private readonly logger: Logger,
  ) {}

  /** A message from `agentUri` to `party` that asked for notifications was stored as `messageId`. */
  stored(messageId: string, ask: ImdnAsk, agentUri: string, party: Address): void {
    const visitorUri = this.domain.uriOf(party);
    const sentAt = ask.sentAt ?? new Date();
    const deliveredNow = ask.delivery && (this.hosted.isHosted(party) || this.domain.teams.of(party) !== undefined);
    if (ask.display || (ask.delivery && !deliveredNow)) {
      this.pending.set(messageId, { imdnId: ask.id, sentAt, agentUri, visitorUri, party, delivery: ask.delivery && !deliveredNow, display: ask.display });
    }
    if (deliveredNow)
      this.notify({ imdnId: ask.id, sentAt, agentUri, visitorUri, party }, 'delivered').catch((error: unknown) =>
        this.logger.debug({ err: error }, 'imdn not sent'),
      );
  }

  /** Sends the notification a SIP sender asked for about one of its messages, once. */
  async answer(messageId: string, status: 'delivered' | 'displayed'): Promise<void> {
    const request = this.pending.get(messageId);
    if (!request || !(status === 'delivered' ? request.delivery : request.display)) return;
    if (status === 'delivered') request.delivery = false;
    else this.pending.delete(messageId);
    await this.notify(request, status);
  }

  /**
   * The notification, in CPIM as the request was (RFC 5438 section 7.2.1.1): its `datetime` is when
   * the IM was sent, the CPIM wrapper's DateTime when the notification is.
   */
  private notify(request: Pick<Pending, 'imdnId' | 'sentAt' | 'agentUri' | 'visitorUri' | 'party'>, status: 'delivered' | 'displayed'): Promise<void> {
    const imdn = imdnBody({ messageId: request.imdnId, recipient: request.visitorUri, status, date: request.sentAt });
    const body = cpimOfImdn({ from: request.visitorUri, to: request.agentUri, notificationId: newId('n'), imdn, date: new Date() });
    return this.messenger.send({ from: request.party, to: request.agentUri, body, contentType: CONTENT_TYPES.cpim });
  }
}
