/**
 * Message stanzas that come to the component's domains. To a domain's own JID: an agent's command
 * (`/list`, ...), answered from it. To a party's JID: a bounce or a confirmation of the bridge's own
 * messages, a chat state (XEP-0085), or a message for the core, named by its XEP-0359 origin-id so
 * that a retransmission is stored once, with the files its out-of-band links bring (inbound-files.ts). A message the bridge cannot take gets an XMPP error saying
 * why (RFC 6120 section 8.3), never silence. Group chat and headlines are no one's (RFC 6121
 * section 5.2.2): ignored, never answered.
 */
import type { Address } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import { SerialQueues } from '../../util/serial.js';
import { commandOrHelp } from '../kit/inbound.js';
import { type HostedParties, type InboundSink, type InboundTeam, isQuietRefusal } from '../network.js';
import { type JidMap, addressOfJid, isNobodyHosted } from './addresses.js';
import type { ComponentLinks } from './component-links.js';
import type { ComponentReceipts } from './component-receipts.js';
import { encryptedRefusal, encryptionOf } from './encrypted.js';
import { type InboundFiles, hasContent, refusedFilesError } from './inbound-files.js';
import {
  NS,
  bodyOf,
  bounce,
  chatStateOf,
  errorReply,
  hopsOf,
  isBroadcast,
  isMarkable,
  nickOf,
  receiptOf,
  refusal,
  reportConfirmations,
  xmlSafe,
} from './stanzas.js';
import { InboundCorrections, rememberable } from './corrections.js';
import { type RemoteIds, retransmissionId } from './retransmission.js';
import { type Reaction, type ReactedRecords, reactedTo, reactionOf, reactionText } from './reactions.js';

export interface ComponentInboundParts {
  map: JidMap;
  hosted: HostedParties;
  sink: InboundSink;
  logger: Logger;
  links: ComponentLinks;
  receipts: ComponentReceipts;
  /** The site of a customer's conversation with a team that serves several (docs/customers.md). */
  customerSite?: string;
  /** The files messages link to (out-of-band URLs), fetched from trusted origins. */
  files: InboundFiles;
  /**
   * The messages stored, by remote id: a reused stanza id's copies are told from new messages
   * (retransmission.ts); by id, with their conversations: the messages reactions name.
   */
  records?: RemoteIds & ReactedRecords;
}

export class ComponentInbound {
  /** Each sender's messages are handled in the order they came, however long fetching a file takes. */
  private readonly senders = new SerialQueues();
  /** Senders' last messages, for their corrections (XEP-0308). */
  private readonly corrections: InboundCorrections;

  constructor(private readonly parts: ComponentInboundParts) {
    this.corrections = new InboundCorrections(parts.records);
  }

  handle(stanza: Element): void {
    const sender = (stanza.attrs.from ?? '').split('/')[0]!.toLowerCase();
    // One sender's messages are taken in order; the next one may start once this one's place is taken.
    this.senders.run(sender, (release) => this.receive(stanza, release)).catch((error: unknown) => this.refuse(stanza, error));
  }

  private async receive(stanza: Element, queued: () => void): Promise<void> {
    const { map, sink } = this.parts;
    const { from, to } = stanza.attrs;
    if (!from || !to) return;
    const toBare = to.split('/')[0]!;
    if (!toBare.includes('@')) return this.command(stanza, from, toBare);
    // Group chat and headlines are for no party (RFC 6121 section 5.2.2): neither stored nor refused.
    if (isBroadcast(stanza)) return;
    const party = map.partyOf(to);
    if (reportConfirmations(stanza, sink)) return;
    const content = hasContent(stanza);
    if (!party) {
      if (content && map.isVacant(to)) this.reply(stanza, this.refusalFor(null));
      return;
    }
    // A reaction (XEP-0444), whatever fallback body it carries: as words quoting what it is about.
    const reaction = reactionOf(stanza);
    if (reaction) return this.react(stanza, { from, to, party, reaction, queued });
    if (content) {
      const encryption = encryptionOf(stanza);
      if (encryption) return this.reply(stanza, encryptedRefusal(encryption));
      return this.store(stanza, { from, to, party, queued });
    }
    const state = chatStateOf(stanza);
    const team = this.addressedTeam(party);
    if (state) sink.typing({ from: addressOfJid(from), to: party, state, ...(team ? { team } : {}) });
  }

  /**
   * A domain's own JID is the bridge's address: agent commands (`/list`, ...). Bounces, group chat
   * and headlines are never commands (answering them could loop).
   */
  private async command(stanza: Element, from: string, toBare: string): Promise<void> {
    if (stanza.attrs.type === 'error' || isBroadcast(stanza)) return;
    const text = bodyOf(stanza);
    if (!text) return;
    const answer = await this.parts.sink.command({ from: addressOfJid(from), text: commandOrHelp(text) });
    // Taken, as the domain's disco#info promises receipts: else the client shows the command undelivered.
    const receipt = receiptOf(stanza, toBare);
    if (receipt) this.parts.links.trySend(receipt);
    this.parts.links.trySend(xml('message', { type: 'chat', from: toBare, to: from }, xml('body', {}, xmlSafe(answer))));
  }

  /** A message from the XMPP user `from` to `party` (whose JID is `to`): stored, or refused saying why. */
  private async store(stanza: Element, { from, to, party, queued }: { from: string; to: string; party: Address; queued: () => void }): Promise<void> {
    const { hosted, sink, links, receipts } = this.parts;
    const { id } = stanza.attrs;
    const sender = addressOfJid(from);
    // XEP-0359: the sender's origin-id survives retransmission; else the stanza id, per sender.
    const originId = stanza.getChild('origin-id', NS.sid)?.attrs.id ?? id;
    const remoteId = await retransmissionId(stanza, sender, this.parts.records);
    const amendment = await this.corrections.amended(stanza, sender);
    // A retraction of nothing the bridge has (its fallback body is for clients that cannot retract): nothing to store.
    if (amendment?.retracts && !amendment.original) return;
    const corrects = amendment?.original?.id;
    const via = hopsOf(stanza);
    // A team's JID: a customer's first contact (or a later message); never one of the bridge's own JIDs.
    const team = this.addressedTeam(party);
    if (team && this.parts.map.owns(from)) return this.reply(stanza, refusal('not-allowed', 'A team takes messages from customers only'));
    const nick = team ? nickOf(stanza) : undefined;
    const { text, files } = amendment?.retracts ? { text: '', files: [] } : await this.parts.files.read(stanza);
    const stored = await this.corrections.store(
      stanza,
      sender,
      sink.message({
        network: 'xmpp',
        from: sender,
        to: party,
        text,
        ...(files.length > 0 ? { files } : {}),
        ...(remoteId ? { remoteId } : {}),
        ...(corrects ? { corrects } : {}),
        ...(via.length > 0 ? { via } : {}),
        ...(team ? { team } : {}),
        ...(nick !== undefined ? { fromName: nick } : {}),
        onQueued: queued,
      }),
    );
    if (!stored) {
      // A retraction the bridge did not store (of a message taken back already): nothing to say.
      if (!amendment?.retracts) this.reply(stanza, this.refusalFor(party));
      return;
    }
    // A file the site refused was not delivered: its sender is told so, and gets no receipt nor marker.
    const filesRefused = refusedFilesError(stored, files.length);
    if (filesRefused) return this.reply(stanza, filesRefused);
    // Remembered for markers and receipts, 10,000 of them: none of an id a server let grow long.
    if (rememberable(originId) && isMarkable(stanza)) receipts.stored(stored.id, originId);
    const receipt = Boolean(stanza.getChild('request', NS.receipts) && id);
    if (hosted.isHosted(party) || team) {
      // XEP-0184: the bridge stored it for the party it hosts (or the team); acknowledge on its behalf.
      const received = receiptOf(stanza, to);
      if (received) links.trySend(received);
      // XEP-0333: a customer's markable message is displayed to them, from the team's JID, once an
      // agent's client marks it read (reportStatus; a web agent's read comes through markRead).
      if (team && isMarkable(stanza) && rememberable(originId))
        receipts.awaitConfirmation(stored.id, { id: originId, party, to: from, receipt: false, markable: true });
      return;
    }
    const markable = isMarkable(stanza);
    if ((receipt || markable) && rememberable(originId) && rememberable(id ?? originId))
      receipts.awaitConfirmation(stored.id, { id: id ?? originId, party, to: from, receipt, markable });
  }

  /**
   * A reaction of `from` to a message of their open conversation with `party`, stored as their
   * words (reactions.ts); to any other message (unknown, of a closed conversation, not theirs) an
   * error saying it did not reach anyone, rather than silence or a new conversation.
   */
  private async react(
    stanza: Element,
    { from, to, party, reaction, queued }: { from: string; to: string; party: Address; reaction: Reaction; queued: () => void },
  ): Promise<void> {
    const { sink, records } = this.parts;
    const sender = addressOfJid(from);
    const reacted = await reactedTo(records, reaction, sender);
    if ('refusal' in reacted) return this.reply(stanza, reacted.refusal);
    const { original, conversation } = reacted;
    const remoteId = await retransmissionId(stanza, sender, records);
    const team = this.addressedTeam(party);
    const stored = await sink.message({
      network: 'xmpp',
      from: sender,
      to: party,
      text: reactionText(reaction, original),
      conversationId: conversation.id,
      ...(remoteId ? { remoteId } : {}),
      ...(team ? { team } : {}),
      onQueued: queued,
    });
    if (!stored) return this.reply(stanza, this.refusalFor(party));
    // XEP-0184 on behalf of the party the bridge hosts (or the team), as for any message.
    const received = (this.parts.hosted.isHosted(party) || team) && receiptOf(stanza, to);
    if (received) this.parts.links.trySend(received);
  }

  /** The team `party` is, as the core is told it (with the site of customers' conversations), or undefined. */
  private addressedTeam(party: Address): InboundTeam | undefined {
    const team = this.parts.map.teams.of(party);
    return team && { id: team.id, ...(this.parts.customerSite ? { site: this.parts.customerSite } : {}) };
  }

  /**
   * Why no conversation took a message to `party`: a hosted party's JID that is not in one with the
   * sender, another network's user no conversation joins the sender to, or (null, or a hosted address
   * whose id has not the form of one) a JID that stands for no one.
   */
  private refusalFor(party: Address | null): Element {
    const { hosted, map } = this.parts;
    if (party !== null && map.teams.of(party)) return refusal('not-allowed', 'This team takes no messages from this network');
    if (party === null || isNobodyHosted(party, hosted)) return refusal('item-not-found', 'No one has this address');
    return hosted.isHosted(party)
      ? refusal('not-allowed', 'This visitor is not in a conversation with you')
      : refusal('not-allowed', 'No conversation joins you and this user');
  }

  /** An error reply to a message, from the JID it was sent to. */
  private reply(stanza: Element, error: Element): void {
    this.parts.links.trySend(bounce(stanza, error, stanza.attrs.to));
  }

  /** A message the bridge could not take (too long, ...): the sender gets an XMPP error saying why. */
  private refuse(stanza: Element, error: unknown): void {
    this.parts.logger.info({ err: error, from: stanza.attrs.from }, 'xmpp message refused');
    if (isQuietRefusal(error)) return; // told once already (a blocked customer)
    const { from, to, id } = stanza.attrs;
    if (from && to) this.parts.links.trySend(errorReply(stanza, error, { from: to, to: from, ...(id ? { id } : {}) }));
  }
}
