/**
 * Last Message Correction (XEP-0308), inbound: a message carrying `<replace id>` corrects the
 * sender's earlier message whose stanza had that id. The bridge remembers the stanza ids (its `id`
 * and XEP-0359 origin-id) of the last messages it stored, per sender, so a correction is stored
 * with `corrects`, the bridge's id of the original (the store checks it is the sender's, in the
 * same conversation). Section 4 asks that a correction of a correction name the original; a client
 * naming the correction instead is followed back to the original all the same. A correction of a
 * message not remembered (older, or from before a restart) is stored as an ordinary message.
 */
import type { Address } from '@switchboard/protocol';
import type { Element } from '@xmpp/component';
import { LRUCache } from 'lru-cache';
import { NS } from './stanzas.js';

/** Stanza ids remembered, for all senders together: a correction is of the last message, or nearly. */
export const REMEMBERED_STANZAS = 1000;

type StoredMessage = { id: string; corrects?: string };

export class InboundCorrections {
  /** `<sender> <stanza id>`: the bridge's id of the original message it corrects or is. */
  private readonly originals = new LRUCache<string, string>({ max: REMEMBERED_STANZAS });
  /**
   * Each sender's message being stored, while it is: the next one may start before the last is
   * committed (component-inbound.ts), and a correction sent right after its original waits for it.
   */
  private readonly storing = new Map<Address, Promise<unknown>>();

  /** The bridge's id of the message `stanza` from `sender` corrects, when it is a correction of one remembered. */
  async corrected(stanza: Element, sender: Address): Promise<string | undefined> {
    const id = stanza.getChild('replace', NS.correct)?.attrs.id;
    if (typeof id !== 'string' || id === '') return undefined;
    await this.storing.get(sender);
    return this.originals.get(`${sender} ${id}`);
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
      if (message) this.remember(stanza, sender, message.corrects ?? message.id);
      return outcome;
    });
    const settled = remembered.catch(() => undefined);
    this.storing.set(sender, settled);
    void settled.then(() => {
      if (this.storing.get(sender) === settled) this.storing.delete(sender);
    });
    return remembered;
  }

  private remember(stanza: Element, sender: Address, original: string): void {
    for (const id of new Set([stanza.attrs.id, stanza.getChild('origin-id', NS.sid)?.attrs.id])) {
      if (typeof id === 'string' && id !== '') this.originals.set(`${sender} ${id}`, original);
    }
  }
}
