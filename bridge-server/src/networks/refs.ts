/**
 * Short conversation references for networks where visitors share one bot identity (XMPP client
 * mode, IRC relay mode): each relayed line carries `#ref`, and an agent answers a visitor with
 * `#ref text`, or its latest visitor by writing plainly.
 */
import type { Address } from '@switchboard/protocol';

const ADDRESSED = /^#([0-9a-z]{4,12})[:,]?\s+([\s\S]+)$/i;

export const ADDRESSING_HELP =
  'To answer a visitor, reply to its latest message, or write "#ref your text" with the ref shown in its messages (e.g. "#3fa9c Hello").';

export class ConversationRefs {
  private readonly conversations = new Map<string, string>();
  private readonly latest = new Map<Address, string>();

  /**
   * The conversation's ref: the tail of its random id, lengthened until no other conversation
   * relayed here has it (so a reply never reaches the wrong visitor).
   */
  refOf(conversationId: string): string {
    const id = conversationId.toLowerCase();
    for (let length = 5; ; length++) {
      const ref = id.slice(-length);
      const holder = this.conversations.get(ref);
      if (holder === undefined || holder === conversationId || length >= id.length) {
        this.conversations.set(ref, conversationId);
        return ref;
      }
    }
  }

  /**
   * A line about a conversation from the shared identity, tagged `[#ref]` unless it already starts
   * with the conversation's `#ref` (a context line does): the ref is written once.
   */
  tagged(conversationId: string, text: string): string {
    const ref = this.refOf(conversationId);
    return new RegExp(`^#${ref}\\b`, 'i').test(text) ? text : `[#${ref}] ${text}`;
  }

  /** The conversation a ref names, if one was relayed here with it. */
  resolve(ref: string): string | undefined {
    return this.conversations.get(ref.replace(/^#/, '').toLowerCase());
  }

  /** The conversation a party last heard from (or wrote to). */
  latestOf(party: Address): string | undefined {
    return this.latest.get(party);
  }

  setLatest(party: Address, conversationId: string): void {
    this.latest.set(party, conversationId);
  }

  /** Which conversation a party's text is for, and the text without its `#ref`. */
  route(party: Address, text: string): { conversationId: string; text: string } | { error: string } {
    const addressed = ADDRESSED.exec(text.trim());
    if (addressed) {
      const conversationId = this.resolve(addressed[1]!);
      return conversationId ? { conversationId, text: addressed[2]! } : { error: `No conversation has the ref #${addressed[1]}. ${ADDRESSING_HELP}` };
    }
    const conversationId = this.latest.get(party);
    // Someone with nothing to answer yet may be a user who wants the gateway's /to: point at /help.
    return conversationId ? { conversationId, text } : { error: `No visitor has written to you yet. ${ADDRESSING_HELP} Send /help for the commands.` };
  }
}
