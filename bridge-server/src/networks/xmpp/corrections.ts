/**
 * Last Message Correction (XEP-0308) and Message Retraction (XEP-0424), inbound: a message
 * carrying `<replace id>` corrects the sender's earlier message whose stanza had that id, one
 * carrying `<retract id>` (or, before XEP-0424 0.4, `<apply-to id>` of XEP-0422 holding a
 * `<retract/>`) takes it back: stored as a correction with no text and no files, its fallback body
 * never relayed. The bridge remembers the stanza ids (its `id` and XEP-0359 origin-id) of the last
 * messages it stored, per sender, so a correction is stored with `corrects`, the bridge's id of the
 * original (the store checks it is the sender's, in the same conversation). Section 4 asks that a
 * correction of a correction name the original; a client naming the correction instead is
 * followed back to the original all the same. One not remembered (older, or from before a restart)
 * is looked for in the store by the remote id it was stored under when it carried that id as its
 * XEP-0359 origin-id (retransmission.ts), as Conversations, Dino and Gajim send every message. A
 * correction of a message found neither way is stored as an ordinary message, a retraction of one
 * not at all.
 */
import type { Address } from '@switchboard/protocol';
import type { Element } from '@xmpp/component';
import { lruCache } from '../../util/lru.js';
import { remoteIdOf } from '../kit/inbound.js';
import type { RemoteIds } from './retransmission.js';
import { NS } from './stanzas.js';

/** What a stanza says of an earlier message: a correction, or a retraction, of the stanza `id`. */
export interface Amendment {
  id: string;
  retracts: boolean;
}

export function amendmentOf(stanza: Element): Amendment | undefined {
  const replaced = stanza.getChild('replace', NS.correct)?.attrs.id;
  if (typeof replaced === 'string' && replaced !== '') return { id: replaced, retracts: false };
  const retracted = stanza.getChild('retract', NS.retract)?.attrs.id;
  if (typeof retracted === 'string' && retracted !== '') return { id: retracted, retracts: true };
  const fastened = stanza.getChild('apply-to', NS.fasten);
  const applied = fastened?.attrs.id;
  if (fastened?.getChild('retract', NS.retractV0) && typeof applied === 'string' && applied !== '') return { id: applied, retracts: true };
  return undefined;
}

/** Stanza ids remembered, for all senders together: a correction is of the last message, or nearly. */
export const REMEMBERED_STANZAS = 1000;
/**
 * The longest stanza id remembered: clients make short ones (a UUID is 36 characters), and a
 * server lets through ids of many kilobytes, which a thousand of would hold in memory.
 */
export const MAX_REMEMBERED_ID_LENGTH = 256;

/** Whether a stanza id is one to remember: a correction's, a read marker's (client-mode.ts). */
export const rememberable = (id: unknown): id is string => typeof id === 'string' && id !== '' && id.length <= MAX_REMEMBERED_ID_LENGTH;

type StoredMessage = { id: string; conversationId: string; corrects?: string };

/** The message a correction or retraction is of, as the bridge stored it. */
export interface Original {
  id: string;
  conversationId: string;
}

export class InboundCorrections {
  /** `<sender> <stanza id>`: the original message it corrects or is. */
  private readonly originals = lruCache<string, Original>(REMEMBERED_STANZAS);
  /**
   * Each sender's message being stored, while it is: the next one may start before the last is
   * committed (component-inbound.ts), and a correction sent right after its original waits for it.
   */
  private readonly storing = new Map<Address, Promise<unknown>>();

  /** `records`: the network's stored messages by remote id, for originals no longer remembered. */
  constructor(private readonly records?: RemoteIds) {}

  /**
   * Whether `stanza` from `sender` corrects or retracts an earlier message, and that message when
   * it is one remembered or stored under its origin-id (`original`); undefined for any other message.
   */
  async amended(stanza: Element, sender: Address): Promise<(Amendment & { original: Original | undefined }) | undefined> {
    const amendment = amendmentOf(stanza);
    if (!amendment) return undefined;
    await this.storing.get(sender);
    return { ...amendment, original: this.originals.get(`${sender} ${amendment.id}`) ?? (await this.stored(sender, amendment.id)) };
  }

  /** The original a message stored with origin-id `id` from `sender` is (itself, or the one it corrects). */
  private async stored(sender: Address, id: string): Promise<Original | undefined> {
    if (!this.records || !rememberable(id)) return undefined;
    const message = await this.records.messageByRemoteId(remoteIdOf(sender, id)!);
    return message ? { id: message.corrects ?? message.id, conversationId: message.conversationId } : undefined;
  }

  /**
   * `stored`, the storing of `stanza` from `sender`: once stored (`messageOf` its outcome, the
   * message, or null when it was refused), its stanza ids are remembered.
   */
  store<T>(
    stanza: Element,
    sender: Address,
    stored: Promise<T>,
    messageOf: (outcome: T) => StoredMessage | null = (outcome) => outcome as StoredMessage | null,
  ): Promise<T> {
    const remembered = stored.then((outcome) => {
      const message = messageOf(outcome);
      if (message) this.remember(stanza, sender, { id: message.corrects ?? message.id, conversationId: message.conversationId });
      return outcome;
    });
    const settled = remembered.catch(() => undefined);
    this.storing.set(sender, settled);
    void settled.then(() => {
      if (this.storing.get(sender) === settled) this.storing.delete(sender);
    });
    return remembered;
  }

  private remember(stanza: Element, sender: Address, original: Original): void {
    for (const id of new Set([stanza.attrs.id, stanza.getChild('origin-id', NS.sid)?.attrs.id])) {
      if (rememberable(id)) this.originals.set(`${sender} ${id}`, original);
    }
  }
}
