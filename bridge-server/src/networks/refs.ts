/**
 * Short conversation references: the `#ref` an agent reads in a context line, in the desk's
 * commands and answers, and, where visitors share one bot identity (XMPP client mode, IRC relay
 * mode), on every relayed line, and types back (`#ref text`, or plainly to its latest visitor).
 */
import type { Address } from '@switchboard/protocol';
import { lruCache } from '../util/lru.js';

/** Shortest ref shown; longer tails of a conversation's id name it too. */
export const REF_LENGTH = 5;
/** Refs remembered for the conversations agents heard of last (older ones are made again on use). */
const REFS_KEPT = 50_000;

const ADDRESSED = /^#([0-9a-z]{4,12})[:,]?\s+([\s\S]+)$/i;
/** A ref with nothing after it (`#3fa9c`, `#3fa9c:`): addressed, but no text to send. */
const ONLY_REF = /^#([0-9a-z]{4,12})[:,]?$/i;

/** Whether a line names its conversation by ref before its text (`#3fa9c Hello`). */
export const addressedByRef = (text: string): boolean => ADDRESSED.test(text.trim());

export const ADDRESSING_HELP =
  'To answer a visitor, reply to its latest message, or write "#ref your text" with the ref shown in its messages (e.g. "#3fa9c Hello").';

/**
 * The one book of refs of the bridge, shared by the core (context lines, commands) and every
 * network, so that a conversation reads with the same ref wherever an agent meets it.
 */
export class RefBook {
  private readonly conversations = lruCache<string, string>(REFS_KEPT);
  private readonly refs = lruCache<string, string>(REFS_KEPT);

  /**
   * The conversation's ref: the tail of its random id, lengthened until no other conversation
   * given a ref has it (so a reply never reaches the wrong visitor).
   */
  refOf(conversationId: string): string {
    const known = this.refs.get(conversationId);
    if (known !== undefined && this.conversations.get(known) === conversationId) return known;
    const id = conversationId.toLowerCase();
    for (let length = REF_LENGTH; ; length++) {
      const ref = id.slice(-length);
      const holder = this.conversations.get(ref);
      if (holder === undefined || holder === conversationId || length >= id.length) {
        this.conversations.set(ref, conversationId);
        this.refs.set(conversationId, ref);
        return ref;
      }
    }
  }

  /** The conversation a ref names, if one was given that ref. */
  resolve(ref: string): string | undefined {
    return this.conversations.get(ref.replace(/^#/, '').toLowerCase());
  }
}

/** Where visitors share one identity: which conversation an agent's text is for, by ref or recency. */
export class ConversationRefs {
  private readonly latest = lruCache<Address, string>(REFS_KEPT);
  /** Conversations closed since they opened (or opened again): a plain reply does not reopen one by mistake. */
  private readonly closed = lruCache<string, true>(REFS_KEPT);

  constructor(private readonly book: RefBook = new RefBook()) {}

  refOf(conversationId: string): string {
    return this.book.refOf(conversationId);
  }

  /**
   * A line about a conversation from the shared identity, tagged `[#ref]` unless it already starts
   * with the conversation's `#ref` (a context line does): the ref is written once.
   */
  tagged(conversationId: string, text: string): string {
    const ref = this.refOf(conversationId);
    return new RegExp(`^#${ref}\\b`, 'i').test(text) ? text : `[#${ref}] ${text}`;
  }

  /** The conversation a ref names, if one was given that ref. */
  resolve(ref: string): string | undefined {
    return this.book.resolve(ref);
  }

  /** The conversation a party last heard from (or wrote to). */
  latestOf(party: Address): string | undefined {
    return this.latest.get(party);
  }

  setLatest(party: Address, conversationId: string): void {
    this.latest.set(party, conversationId);
  }

  /** A conversation was closed, or opened again. */
  setClosed(conversationId: string, closed: boolean): void {
    if (closed) this.closed.set(conversationId, true);
    else this.closed.delete(conversationId);
  }

  /**
   * A text for a conversation known already (a correction's, XEP-0308: clients send the whole
   * edited text again) without the `#ref` it starts with when that ref names the conversation.
   */
  withoutRef(conversationId: string, text: string): string {
    const addressed = ADDRESSED.exec(text.trim());
    return addressed && this.resolve(addressed[1]!) === conversationId ? addressed[2]! : text;
  }

  /** Which conversation a party's text is for, and the text without its `#ref`. */
  route(party: Address, text: string, answering?: string): { conversationId: string; text: string } | { error: string } {
    const addressed = ADDRESSED.exec(text.trim());
    if (addressed) {
      const conversationId = this.resolve(addressed[1]!);
      return conversationId ? { conversationId, text: addressed[2]! } : { error: `No conversation has the ref #${addressed[1]}. ${ADDRESSING_HELP}` };
    }
    const bare = ONLY_REF.exec(text.trim());
    // Never the latest visitor's text: the ref names a conversation, maybe another one.
    if (bare)
      return {
        error: this.resolve(bare[1]!)
          ? `Nothing to send to #${bare[1]}: write the text after the ref (e.g. "#${bare[1]} Hello").`
          : `No conversation has the ref #${bare[1]}. ${ADDRESSING_HELP}`,
      };
    // A reply to a message names its conversation as a ref would; the text's own ref comes first.
    const conversationId = answering ?? this.latest.get(party);
    // The latest was closed since (the agent's /close, the visitor's): a plain line was most
    // likely meant for someone else, and would open it again. Its ref opens it on purpose.
    if (answering === undefined && conversationId !== undefined && this.closed.has(conversationId)) {
      const ref = this.refOf(conversationId);
      return {
        error: `#${ref} is closed: your message was not delivered. To open it again, write "#${ref} your text"; to answer another visitor, use its ref.`,
      };
    }
    // Someone with nothing to answer yet may be a user who wants the gateway's /to: point at /help.
    return conversationId ? { conversationId, text } : { error: `No visitor has written to you yet. ${ADDRESSING_HELP} Send /help for the commands.` };
  }
}
