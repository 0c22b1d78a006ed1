/**
 * Relay mode, where one bot account carries many conversations (XMPP client mode, IRC relay mode
 * and overflow): each line to an agent starts `[name #ref] ` with the conversation's ref from the
 * bridge's one RefBook, and the agent answers `#ref text`, or plainly to the conversation it last
 * heard from. The agent's words are routed to their conversation and stored from the agent to the
 * bot; what cannot be is refused with a line the network sends back to the agent.
 */
import type { Address, Conversation, Message } from '@switchboard/protocol';
import { type HostedParties, type InboundFile, type InboundSink, NAMELESS_VISITOR } from '../network.js';
import { ConversationRefs, type RefBook } from '../refs.js';

/**
 * The writer's name in a relayed line: `named` (the name they gave, as the network shows names, or
 * an id for want of one), but `Visitor` for a website visitor who gave none, as the line that
 * introduced their conversation calls them.
 */
export function relayedName(from: Address, fromName: string | undefined, hosted: Pick<HostedParties, 'isVisitor'>, named: string): string {
  return fromName === undefined && hosted.isVisitor(from) ? NAMELESS_VISITOR : named;
}

export const NOT_YOURS = 'This conversation is not yours; your message was not delivered.';

export interface RelayOptions {
  /** The network's name for the sink (`xmpp`, `irc`). */
  network: string;
  sink: Pick<InboundSink, 'message'>;
  refs: RefBook;
  /** The bot's own address: relayed messages are from an agent to it. */
  bot: Address;
}

/** What became of an agent's words: stored in the conversation, or refused with a line to say so. */
export type RelayOutcome = { stored: Message; conversationId: string } | { refusal: string };

export class Relay {
  /** The refs and each agent's latest conversation (a support channel's claims share them). */
  readonly refs: ConversationRefs;

  constructor(private readonly options: RelayOptions) {
    this.refs = new ConversationRefs(options.refs);
  }

  /**
   * What starts a line relayed from a conversation: `[name #ref] `. The name cannot close the
   * brackets or name a ref itself (a visitor called `Dana #2b970] ok [Boss` would pass their line
   * off as another conversation's): its brackets become parentheses and its `#` go.
   */
  prefix(conversationId: string, name: string): string {
    return `[${this.shownName(name)} #${this.refs.refOf(conversationId)}] `;
  }

  /** A name as relayed lines show it, in their prefix and in an action (`* name waves`): no brackets, no `#`. */
  shownName(name: string): string {
    return name.replaceAll('[', '(').replaceAll(']', ')').replaceAll('#', '').replace(/\s+/g, ' ').trim() || '?';
  }

  /** A line about a conversation (a context line): tagged with its ref once. */
  tagged(conversationId: string, text: string): string {
    return this.refs.tagged(conversationId, text);
  }

  /** The agent heard from this conversation last: a plain reply goes to it. */
  heardFrom(agent: Address, conversationId: string): void {
    this.refs.setLatest(agent, conversationId);
  }

  /** A conversation was closed or opened again: a plain reply to a closed one is refused (refs.ts). */
  conversationChanged(conversation: Pick<Conversation, 'id' | 'state'>): void {
    this.refs.setClosed(conversation.id, conversation.state === 'closed');
  }

  /** The conversation an agent heard from (or wrote to) last, for what carries no ref (typing). */
  latestOf(agent: Address): string | undefined {
    return this.refs.latestOf(agent);
  }

  /** An agent's words to the bot: routed by `#ref` or to its latest conversation, and stored. */
  async receive(input: {
    from: Address;
    text: string;
    files?: readonly InboundFile[];
    remoteId?: string | undefined;
    /** The sender's earlier message this one corrects (`InboundMessage.corrects`). */
    corrects?: string | undefined;
    /** The conversation it belongs to when known already (a correction's), whatever the text says. */
    conversationId?: string | undefined;
    /** The conversation of the message it replies to (XEP-0461), in place of the latest unless the text names one by its ref. */
    answering?: string | undefined;
  }): Promise<RelayOutcome> {
    const routed =
      input.conversationId !== undefined
        ? { conversationId: input.conversationId, text: this.refs.withoutRef(input.conversationId, input.text) }
        : this.refs.route(input.from, input.text, input.answering);
    if ('error' in routed) return { refusal: routed.error };
    const { conversationId, text } = routed;
    const stored = await this.options.sink.message({
      network: this.options.network,
      from: input.from,
      to: this.options.bot,
      conversationId,
      text,
      ...(input.files && input.files.length > 0 ? { files: input.files } : {}),
      ...(input.remoteId ? { remoteId: input.remoteId } : {}),
      ...(input.corrects ? { corrects: input.corrects } : {}),
    });
    if (!stored) return { refusal: NOT_YOURS };
    // A correction of a message in another conversation leaves the one the sender writes to as it was.
    if (input.conversationId === undefined) this.refs.setLatest(input.from, conversationId);
    return { stored, conversationId };
  }
}
