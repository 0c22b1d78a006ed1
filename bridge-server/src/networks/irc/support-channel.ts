/**
 * The optional support channel: the bot joins it, announces each team conversation waiting for an
 * agent (with its `#ref`, the visitor's name and page), and says who took it. An agent claims one
 * with `!claim ref` in the channel, or `claim ref` in a private message to the bot.
 */
import type { Address, Conversation } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { ConversationDetails, InboundSink } from '../network.js';
import type { ConversationRefs } from '../refs.js';
import type { IrcConnection } from './connection.js';
import { toIrcLines } from './lines.js';
import { nameLine, oneLine } from '../../util/text.js';
import { lruCache } from '../../util/lru.js';

const CLAIM = /^[!/]?claim\s+#?([0-9a-z]{4,12})\s*$/i;
/** `!claim` in the channel, however its ref is written (or left out). */
const CLAIM_WORD = /^!claim(?:\s|$)/i;
/** Conversations announced and not yet closed, remembered to say who took them. */
const ANNOUNCED_KEPT = 5_000;
/**
 * How long a conversation must wait before it is announced as waiting: one moved to a team with
 * an agent free (a transfer), or routed in a moment, is taken before then and never waited.
 */
export const ANNOUNCE_AFTER_MS = 1_000;

export interface SupportChannelOptions {
  bot: IrcConnection;
  channel: string;
  /** The channel's key (`channelKey`): joined with, and set where the bot may. */
  key?: string | undefined;
  sink: InboundSink;
  refs: ConversationRefs;
  logger: Logger;
}

export class SupportChannel {
  /** Conversation id -> its assignee when last announced (null: waiting). */
  private readonly announced = lruCache<string, { assignee: Address | null }>(ANNOUNCED_KEPT);
  /** Waiting conversations about to be announced, if nobody takes them first. */
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: SupportChannelOptions) {}

  is(target: string): boolean {
    return target.toLowerCase() === this.options.channel.toLowerCase();
  }

  onOnline(): void {
    const { channel, key } = this.options;
    if (!key) return this.line(`JOIN ${channel}`);
    this.line(`JOIN ${channel} ${key}`);
    // Set by the bot where it opened the channel (its operator); elsewhere the server refuses it
    // (482) and the channel keeps the key its operators gave it.
    this.line(`MODE ${channel} +k ${key}`);
  }

  /** The core's news about a team conversation; announced when the team has members here. */
  conversationChanged(conversation: Conversation, details: ConversationDetails, carries: (member: Address) => boolean): void {
    if (!details.teamMembers.some(carries)) return;
    const ref = this.options.refs.refOf(conversation.id);
    const before = this.announced.get(conversation.id)?.assignee;
    const assignee = conversation.assignee ?? null;
    if (conversation.state === 'closed' || assignee !== null) this.cancelPending(conversation.id);
    if (conversation.state === 'closed') {
      if (before !== undefined) this.say(`Conversation #${ref} was closed.`);
      this.announced.delete(conversation.id);
      return;
    }
    if (before === undefined && assignee === null) {
      if (this.pending.has(conversation.id)) return;
      const timer = setTimeout(() => {
        this.pending.delete(conversation.id);
        // One line whatever the visitor typed (a line break would start a line of the bot's own).
        const who = nameLine(details.visitorName ?? 'a visitor');
        const where = details.pageUrl ? ` on ${oneLine(details.pageUrl)}` : '';
        this.say(`New conversation #${ref} from ${who}${where} is waiting for an agent. Say "!claim ${ref}" to take it.`);
        this.announced.set(conversation.id, { assignee: null });
      }, ANNOUNCE_AFTER_MS);
      timer.unref();
      this.pending.set(conversation.id, timer);
      return;
    }
    if (before !== undefined && before !== assignee && assignee !== null) {
      this.say(`Conversation #${ref} is now with ${details.assigneeLabel ?? assignee}.`);
    } else if (before === undefined) {
      return; // taken before it was announced: nothing to claim
    }
    this.announced.set(conversation.id, { assignee });
  }

  /** Stops announcing what waits (the bot is going away). */
  stop(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private cancelPending(conversationId: string): void {
    clearTimeout(this.pending.get(conversationId));
    this.pending.delete(conversationId);
  }

  /**
   * Whether a line said in the channel is the bridge's command (`!claim`, with or without its ref);
   * the others are left alone, `!` commands of other bots included.
   */
  isCommand(text: string): boolean {
    return CLAIM_WORD.test(text.trim());
  }

  async onChannelMessage(nick: string, from: Address, text: string): Promise<void> {
    if (!this.isCommand(text)) return;
    const answer = await this.command(from, text);
    if (answer) this.say(`${nick}: ${answer}`);
  }

  /** `claim ref` in a private message from `nick`, the agent `from`; false when the text is not a claim. */
  async onPrivateCommand(nick: string, from: Address, text: string): Promise<boolean> {
    if (!CLAIM.test(text.trim())) return false;
    const answer = await this.command(from, text);
    if (answer) this.notice(nick, answer);
    return true;
  }

  private async command(agent: Address, text: string): Promise<string | undefined> {
    const claim = CLAIM.exec(text.trim());
    if (!claim) return `Say "!claim ref" to take a waiting conversation.`;
    const conversationId = this.options.refs.resolve(claim[1]!);
    if (!conversationId) return `No conversation has the ref #${claim[1]}.`;
    const outcome = await this.options.sink.claim({ conversationId, agent });
    if (!outcome.ok) return outcome.reason;
    this.options.refs.setLatest(agent, conversationId);
    // A new assignment is announced through conversationChanged; a claim of one's own is answered here.
    return outcome.already ? `#${this.options.refs.refOf(conversationId)} is yours already.` : undefined;
  }

  private say(text: string): void {
    this.send('PRIVMSG', this.options.channel, text);
  }

  private notice(nick: string, text: string): void {
    this.send('NOTICE', nick, text);
  }

  private send(command: 'PRIVMSG' | 'NOTICE', target: string, text: string): void {
    const prefixBytes = 1 + this.options.bot.nickLen + 1 + 11 + 1 + 63 + 1;
    const { lines } = toIrcLines(text, { target, prefixBytes, maxLines: 4, command });
    for (const line of lines) this.line(`${command} ${target} :${line}`);
  }

  private line(text: string): void {
    this.options.bot.writer.send(text).catch((error: unknown) => this.options.logger.debug({ err: error }, 'irc support channel line not sent'));
  }
}
