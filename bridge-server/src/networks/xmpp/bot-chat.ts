/**
 * Client mode: one chat between the bot and each agent carries every conversation relayed to them.
 * A chat marker (XEP-0333 section 6) names the latest message the agent's client displayed and
 * covers every one before it in that chat, whatever its conversation; the core reads a marker
 * within the named message's conversation only. So the bot remembers what it last sent each agent,
 * in order, and a marker also reads, in each other conversation, its latest message before the one
 * named. Memory only (bounded): after a restart a marker reads its own conversation, as before.
 */
import type { Address } from '@switchboard/protocol';
import { lruCache } from '../../util/lru.js';
import { messageIdOfPart } from './outbound-files.js';

/** Agents whose chat is remembered, at most. */
const AGENTS_KEPT = 500;
/** Messages remembered per agent: more than a client leaves undisplayed before it sends a marker. */
const SENT_KEPT = 200;

interface Sent {
  messageId: string;
  conversationId: string;
}

export class BotChat {
  private readonly sentTo = lruCache<Address, Sent[]>(AGENTS_KEPT);

  /** The bot sent `messageId` of `conversationId` to `agent`. */
  sent(agent: Address, messageId: string, conversationId: string): void {
    const sent = this.sentTo.get(agent) ?? [];
    sent.push({ messageId, conversationId });
    if (sent.length > SENT_KEPT) sent.splice(0, sent.length - SENT_KEPT);
    this.sentTo.set(agent, sent);
  }

  /** Sending `messageId` to `agent` failed: it is not in their chat (its retry is recorded again). */
  unsent(agent: Address, messageId: string): void {
    const sent = this.sentTo.get(agent);
    if (!sent) return;
    const at = sent.findIndex((entry) => entry.messageId === messageId);
    if (at >= 0) sent.splice(at, 1);
  }

  /** The conversation of a message the bot sent `agent`, by its stanza id (a part's too: `partId`); undefined when not remembered. */
  conversationOf(agent: Address, stanzaId: string): string | undefined {
    const sent = this.sentTo.get(agent) ?? [];
    const messageId = messageIdOfPart(stanzaId);
    return sent.find((entry) => entry.messageId === messageId)?.conversationId;
  }

  /** What a marker naming `messageId` also covers in `agent`'s chat: each other conversation's latest message sent before it. */
  coveredBy(agent: Address, messageId: string): string[] {
    const sent = this.sentTo.get(agent) ?? [];
    const at = sent.findIndex((entry) => entry.messageId === messageId);
    if (at < 0) return [];
    const named = sent[at]!.conversationId;
    const latest = new Map<string, string>();
    for (const entry of sent.slice(0, at)) if (entry.conversationId !== named) latest.set(entry.conversationId, entry.messageId);
    return [...latest.values()];
  }
}
