/**
 * Messages out to IRC: from the sender's puppet, or relayed by the bot as `[name #ref] text`,
 * each line through flood control. A retry resumes after the lines already written. An agent off
 * IRC gets its messages later (held.ts); one who left before its presence showed it draws 401s,
 * and the lines they refused wait for it too. A 401 or 404 soon after a message fails it. A
 * followed user the bot saw change nick is written to under the nick they have now (renames.ts),
 * never on their own nick while someone else has it.
 */
import { type Address, type Conversation, actionLine, actionOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { type Relay, relayedName } from '../kit/relay.js';
import {
  type HostedParties,
  type InboundSink,
  NetworkError,
  type NetworkFiles,
  type NetworkRecords,
  type OutboundMessage,
  type SendResult,
} from '../network.js';
import type { IrcAddresses } from './addresses.js';
import type { IrcAgentPresence } from './agents.js';
import type { IrcNetworkConfig } from './config.js';
import type { IrcConnection } from './connection.js';
import type { IrcConnections } from './connections.js';
import { isTeamCustomer } from './customers.js';
import { fileLinesText } from './files.js';
import { HELD_PER_AGENT, type HeldKeeping, HeldMessages } from './held.js';
import { toIrcLines } from './lines.js';
import type { IrcRenames } from './renames.js';

/** How long a 401 (no such nick) after a message is taken as that message's failure. */
const FAILURE_WINDOW_MS = 30_000;
const encoder = new TextEncoder();

export interface IrcDeliveryOptions {
  config: IrcNetworkConfig;
  sink: InboundSink;
  logger: Logger;
  addresses: IrcAddresses;
  connections: IrcConnections;
  agents: IrcAgentPresence;
  relay: Relay;
  hosted: HostedParties;
  /** Links to messages' files, signed for each recipient. */
  files?: NetworkFiles | undefined;
  /** The nick each address's user has now. */
  renames: Pick<IrcRenames, 'nickFor'>;
  /** Where messages for agents off IRC are kept between runs (held.ts). */
  records?: NetworkRecords | undefined;
}

/** The network record holding the messages that wait for agents off IRC. */
const HELD_RECORD = 'irc:held';

/** Lines lately written to one agent (`nick`, their address's) from one connection, and the 401s they drew. */
interface Written {
  nick: string;
  lines: { outbound: OutboundMessage; index: number; at: number }[];
  refused: number;
  fencing: boolean;
}

/** An `irc error` event of irc-framework. */
export interface IrcErrorEvent {
  error: string;
  nick?: string;
  channel?: string;
  reason?: string;
}

export class IrcDelivery {
  readonly held: HeldMessages;
  /** Lines of a message already written (`message recipient` -> count), so a retry resumes after them. */
  private readonly progress = new Map<string, number>();
  /** The last message each connection sent each target, and when: a 401 that follows fails it. */
  private readonly lastSent = new Map<string, LastSent>();
  /**
   * The message being written to a user the bridge does not follow (a customer), by connection and
   * target: a 401 or 404 while its lines go out is its own, not the message before it.
   */
  private readonly writing = new Map<string, { messageId: string; refusal?: NetworkError }>();
  /** Lines lately written to each agent (`connection nick-written-to`): one who left gets them again from the first that failed. */
  private readonly written = new Map<string, Written>();
  /** Visitors whose context line is on its way: their messages wait for it (it comes first). */
  private readonly introductions = new Map<Address, Promise<void>>();
  /**
   * Context lines for agents off IRC when they were written (lowercased nick -> by visitor): a
   * PRIVMSG then would be refused (401) and lost, so each goes when its agent is back, before what
   * was held for them, if the conversation is still theirs and open, within `holdMinutes`, at most
   * HELD_PER_AGENT per agent. The latest for a visitor replaces an earlier one. Kept in memory only.
   */
  private readonly introductionsWaiting = new Map<string, Map<Address, WaitingIntroduction>>();
  /** Agents being welcomed back (lowercased nick): presence sightings meanwhile wait for it. */
  private readonly comingBack = new Map<string, Promise<void>>();

  constructor(private readonly options: IrcDeliveryOptions) {
    this.held = new HeldMessages({
      holdMinutes: options.config.holdMinutes,
      sink: options.sink,
      nickOf: options.addresses.nickOf,
      deliver: (outbound) => this.deliver(outbound, options.addresses.nickOf(outbound.to)!),
      settling: (nick) => [...this.written.values()].some((record) => record.fencing && record.nick === nick),
      logger: options.logger,
      ...(options.records ? { keeping: heldKeeping(options.records), conversationNow: options.records.conversation.bind(options.records) } : {}),
    });
  }

  /** The network's `send`: now, or held while the agent is away (and behind what already waits for it). */
  async send(outbound: OutboundMessage): Promise<SendResult> {
    const { addresses, config, connections, agents } = this.options;
    const own = addresses.nickOf(outbound.to);
    if (!own) throw new NetworkError(`${outbound.to} is not a nick on the IRC network "${config.id}"`, false);
    connections.bot.assertOnline();
    // A gateway party the bridge never saw on IRC, and not there now: a nick nobody uses (a typo)
    // as far as anyone can tell. Its sender hears so now rather than after holdMinutes.
    if (agents.isAbsent(own) && !this.held.has(own) && !this.waitsFor(outbound, own)) throw neverSeen(own);
    const waits = this.held.has(own) || agents.isAbsent(own) || !(await this.deliver(outbound, own));
    if (waits && !this.held.hold(outbound, false)) throw new NetworkError(this.held.queueFull(outbound), false, 'unavailable');
    // Kept in the store before the outbox lets the message go: a bridge killed now still has it.
    if (waits)
      await this.held.saved().catch((error: unknown) => Promise.reject(new NetworkError(`IRC: held message not kept: ${(error as Error).message}`, true)));
    return { status: 'sent' };
  }

  /**
   * The context line: the first line of the agent's private chat with the visitor's puppet
   * (connected now if need be), before any of the visitor's messages, which wait for it. A
   * PRIVMSG, as the visitor's own lines are: clients show NOTICEs elsewhere.
   */
  async introduce(target: string, text: string, about: { conversation: Conversation; visitor: Address; visitorName?: string }): Promise<void> {
    const { connections, addresses, relay, logger, agents } = this.options;
    const { conversation, visitor } = about;
    if (agents.isAbsent(target)) {
      const key = target.toLowerCase();
      const waiting = this.introductionsWaiting.get(key) ?? new Map<Address, WaitingIntroduction>();
      waiting.delete(visitor); // the latest, in the order written
      waiting.set(visitor, {
        since: Date.now(),
        agent: addresses.addressOf(target),
        conversationId: conversation.id,
        write: () => this.introduce(target, text, about),
      });
      if (waiting.size > HELD_PER_AGENT) waiting.delete(waiting.keys().next().value!);
      this.introductionsWaiting.set(key, waiting);
      return;
    }
    const introduction = (async () => {
      const puppet = await connections.puppetFor(visitor, addresses.nameOf(visitor, about.visitorName), conversation.id);
      const connection = puppet ?? connections.bot;
      // Relayed by the bot, it names the conversation once (the line may already start with its #ref).
      const line = puppet ? text : relay.tagged(conversation.id, text);
      const { lines } = toIrcLines(line, { target, prefixBytes: connections.prefixBytes(connection), maxLines: 4 });
      await connection.sendLines(lines.map((part) => `PRIVMSG ${target} :${part}`));
    })();
    const settled = introduction.catch((error: unknown) => logger.debug({ err: error, visitor }, 'irc context line not sent'));
    this.introductions.set(visitor, settled);
    void settled.finally(() => {
      if (this.introductions.get(visitor) === settled) this.introductions.delete(visitor);
    });
    await settled;
  }

  /** The server refused a line of a connection (no such nick, cannot send): the message fails, or waits for its agent. */
  onRefused(connection: IrcConnection, event: IrcErrorEvent): void {
    const target = event.nick ?? event.channel;
    if (!target || !['no_such_nick', 'cannot_send_to_user', 'cannot_send_to_channel'].includes(event.error)) return;
    const key = `${connection.nick.toLowerCase()} ${target.toLowerCase()}`;
    const record = this.written.get(key);
    if (event.error === 'no_such_nick' && record && this.options.agents.isFollowed(record.nick)) {
      // Gone, unless the agent is known under another nick since (a rename in between): then only resent.
      const gone = this.options.renames.nickFor(this.options.addresses.addressOf(record.nick))?.toLowerCase() === target.toLowerCase();
      void this.holdRefused(connection, key, record.nick, gone);
      return;
    }
    const code = event.error === 'no_such_nick' ? 'not_found' : 'forbidden';
    const why = `${target}: ${event.reason ?? event.error}`;
    const inFlight = this.writing.get(key);
    if (inFlight) {
      // Its lines stop here, and its send fails with this (the outbox says which network).
      inFlight.refusal ??= new NetworkError(why, false, code);
      return;
    }
    const sent = this.lastSent.get(key);
    if (!sent || Date.now() - sent.at > FAILURE_WINDOW_MS) return;
    this.lastSent.delete(key);
    // The same words as when the 401 comes while the lines still go out (docs/gateway.md, "Failures").
    const error = code === 'not_found' && sent.unseen ? `irc: ${neverSeen(target).message}` : `IRC: ${why}`;
    this.options.sink.receipt({ messageId: sent.messageId, status: 'failed', code, error });
  }

  /**
   * Writes a message to its IRC target (from the sender's puppet, or relayed by the bot), resuming
   * after the lines already written. False when the target, an agent, left midway: the rest waits.
   * `own` is the nick the address names; the lines go to the nick its user has now.
   */
  private async deliver(outbound: OutboundMessage, own: string): Promise<boolean> {
    const { message, to } = outbound;
    const target = this.options.renames.nickFor(to);
    if (target === null) {
      // Its user changed nick and left, and someone else has their own nick: never them.
      if (this.options.agents.isFollowed(own)) return false; // waits for them, as for an agent off IRC
      throw new NetworkError(`IRC: ${own} changed nick and left; someone else has the nick ${own} now`, false, 'not_found');
    }
    // The context line of the sender's conversation goes first (it may still be connecting the puppet),
    // also before the desk's words in it (said in the visitor's query once its puppet is there).
    await this.introductions.get(message.from);
    if (outbound.conversation.openedBy !== undefined) await this.introductions.get(outbound.conversation.openedBy);
    const composed = await this.composed(outbound);
    const { connection, text } = composed;
    // IRC has no time of its own for a line (a client cannot set IRCv3 server-time): one that goes
    // out well after it was stored (the history a transfer or a claim brings, OutboundMessage.delayedSince)
    // starts with its time, UTC as /history gives it. Not a CTCP ACTION, which cannot carry it.
    const since = outbound.delayedSince;
    const stamp = since !== undefined && !(composed.prefix === '' && actionOf(text) !== undefined) ? `[${since.slice(11, 16)}] ` : '';
    const prefix = `${stamp}${composed.prefix}`;
    const prefixBytes = this.options.connections.prefixBytes(connection) + encoder.encode(prefix).length;
    const written = toIrcLines(text, {
      target,
      prefixBytes,
      maxLines: this.options.config.maxLines,
      truncatedNotice: '[message cut: {lines} more lines not sent]',
    });
    // A line per file after the text, never cut with it (a message has a bounded number of files).
    const files = toIrcLines(fileLinesText(message, this.options.files, to), { target, prefixBytes, maxLines: Number.POSITIVE_INFINITY });
    const lines = [...written.lines, ...files.lines];
    const key = `${message.id} ${to}`;
    const start = this.progress.get(key) ?? 0;
    const sentKey = `${connection.nick.toLowerCase()} ${target.toLowerCase()}`;
    // Lines to a followed user are kept, to wait for them after a 401; a gateway party never seen
    // on IRC is not waited for: the 401 fails the message, as for a user the bridge does not follow.
    const record = this.options.agents.isFollowed(own) && this.waitsFor(outbound, own) ? this.recordOf(sentKey, own) : undefined;
    const inFlight: { messageId: string; refusal?: NetworkError } | undefined = record ? undefined : { messageId: message.id };
    const unseen = outbound.conversation.team === undefined && !this.options.sink.isAgent(to) && !this.options.agents.wasSeen(own);
    if (inFlight) this.writing.set(sentKey, inFlight);
    let complete: boolean;
    try {
      complete = await connection.sendLines(
        lines.slice(start).map((line) => `PRIVMSG ${target} :${prefix}${line}`),
        (index) => {
          this.progress.set(key, start + index + 1);
          if (record) remember(record, outbound, start + index);
          // Its lines are on the wire: a 401 that comes after them is this message's, not the one before.
          else this.lastSent.set(sentKey, { messageId: message.id, at: Date.now(), unseen });
        },
        // No line after the server said the agent (or the customer) is gone (a 401): it would be lost too.
        () => (record ? !this.options.agents.isAbsent(own) : !inFlight?.refusal),
      );
    } finally {
      if (inFlight && this.writing.get(sentKey) === inFlight) this.writing.delete(sentKey);
    }
    if (inFlight?.refusal) {
      this.progress.delete(key);
      throw inFlight.refusal.code === 'not_found' && (unseen || this.options.agents.isFollowed(own)) ? neverSeen(own) : inFlight.refusal;
    }
    if (!complete) return false;
    this.progress.delete(key);
    this.lastSent.set(sentKey, { messageId: message.id, at: Date.now(), unseen });
    return true;
  }

  /** The connection a message goes out on, and its text: as the sender's puppet, or relayed `[name #ref] text` by the bot. */
  private async composed(outbound: OutboundMessage): Promise<{ connection: IrcConnection; prefix: string; text: string }> {
    const { message, to, conversation, fromName } = outbound;
    const { connections, addresses, relay } = this.options;
    const name = addresses.nameOf(message.from, fromName);
    // The customer of a team conversation hears the whole team from the bot, each line naming its writer.
    if (isTeamCustomer(conversation, to, this.options.hosted)) return { connection: connections.bot, ...customerLine(name, message.text) };
    // The team's words and another agent's, to the agent the conversation is with, come in the
    // visitor's query, named, while its puppet is there: the agent reads the conversation (the
    // history a transfer brings included) in one window, and answers it there.
    const visitor = conversation.openedBy;
    const desk = message.from.startsWith('team:') || this.options.sink.isAgent(message.from);
    if (desk && to === conversation.assignee && visitor !== undefined && visitor !== to) {
      const query = connections.puppets.get(visitor);
      if (query?.state === 'online') return { connection: query, ...customerLine(name, message.text) };
    }
    const puppet = await connections.puppetFor(message.from, name, conversation.id);
    if (puppet) return { connection: puppet, prefix: '', text: message.text };
    const relayed = relayedName(message.from, fromName, this.options.hosted, name);
    const prefix = relay.prefix(conversation.id, relayed);
    relay.heardFrom(to, conversation.id);
    // An action names the sender as the prefix does: a name cannot pass it off as another conversation's.
    return { connection: connections.bot, prefix, text: actionLine(relay.shownName(relayed), message.text) ?? message.text };
  }

  /**
   * Whether what is sent to a followed user waits for them while they are off IRC: an agent's
   * always; a gateway party's once the bridge saw the nick in use (online, or the party opened the
   * conversation from IRC).
   */
  private waitsFor(outbound: OutboundMessage, own: string): boolean {
    const { sink, agents } = this.options;
    return sink.isAgent(outbound.to) || agents.wasSeen(own) || outbound.conversation.openedBy === outbound.to;
  }

  private recordOf(key: string, nick: string): Written {
    let record = this.written.get(key);
    if (!record) this.written.set(key, (record = { nick: nick.toLowerCase(), lines: [], refused: 0, fencing: false }));
    return record;
  }

  /**
   * The server answered 401 to a line for an agent: the agent left before the bridge saw it. New
   * messages wait from now on; once a PING's PONG proves every earlier line was answered, the
   * lines that drew a 401 (the last ones written: the agent stays gone) wait for it too, each
   * message from its first refused line, ahead of the others. IRC answers a client in order.
   * `gone`: the 401 is for the nick the agent has (not one they changed from since).
   */
  private async holdRefused(connection: IrcConnection, key: string, target: string, gone: boolean): Promise<void> {
    const { agents, logger } = this.options;
    const record = this.written.get(key)!;
    record.refused += 1;
    if (record.fencing) return;
    record.fencing = true;
    if (gone) agents.markAbsent(target);
    try {
      await connection.writer.sync();
    } catch {
      // The connection dropped: its lines are unknown; what was refused so far still counts.
    }
    const refused = record.lines.splice(Math.max(0, record.lines.length - record.refused));
    record.lines.length = 0;
    record.refused = 0;
    record.fencing = false;
    const again: OutboundMessage[] = [];
    for (const line of refused) {
      if (again.some((outbound) => outbound.message.id === line.outbound.message.id && outbound.to === line.outbound.to)) continue;
      again.push(line.outbound);
      this.progress.set(`${line.outbound.message.id} ${line.outbound.to}`, line.index);
    }
    logger.info(
      { agent: target, lines: refused.length, messages: again.length },
      'irc agent left before its presence showed it; the refused lines wait for it',
    );
    for (const outbound of again.reverse()) {
      // Already reported sent: a message that no longer fits is failed here.
      if (!this.held.hold(outbound, true)) this.held.fail(outbound, this.held.queueFull(outbound));
    }
    if (!agents.isAbsent(target)) void this.agentBack(target);
  }

  /**
   * An agent is seen on IRC (every presence sighting): the context lines written while they were
   * away, then what was held for them. One at a time per agent: a sighting meanwhile waits for it.
   */
  agentBack(nick: string): Promise<void> {
    const key = nick.toLowerCase();
    const running = this.comingBack.get(key);
    if (running) return running;
    const welcome = this.welcomeBack(nick).finally(() => this.comingBack.delete(key));
    this.comingBack.set(key, welcome);
    return welcome;
  }

  private async welcomeBack(nick: string): Promise<void> {
    const key = nick.toLowerCase();
    const waiting = this.introductionsWaiting.get(key);
    this.introductionsWaiting.delete(key);
    const due = [];
    for (const line of waiting?.values() ?? []) if (await this.stillDue(line)) due.push(line);
    // All started at once: each registers its visitor's introduction before any held message goes,
    // so every message waits for its own conversation's line (deliver).
    await Promise.all(due.map((line) => line.write()));
    await this.held.flush(nick);
  }

  /** A waiting context line is written only within holdMinutes, and while its conversation is open and the agent's. */
  private async stillDue(line: WaitingIntroduction): Promise<boolean> {
    if (Date.now() - line.since > this.options.config.holdMinutes * 60_000) return false;
    const records = this.options.records;
    if (!records) return true;
    const now = await records.conversation(line.conversationId).catch(() => null);
    return now !== null && now.state === 'open' && now.assignee === line.agent;
  }
}

/** A context line waiting for its agent to be back on IRC. */
interface WaitingIntroduction {
  since: number;
  /** The agent it was written to, and the conversation it introduces: still theirs when they are back? */
  agent: Address;
  conversationId: string;
  write(): Promise<void>;
}

/** A message whose lines all went out, for a 401 that follows them. */
interface LastSent {
  messageId: string;
  at: number;
  /** To a gateway party the bridge never saw on IRC: a 401 says nobody uses the nick (`neverSeen`). */
  unseen: boolean;
}

/** The failure of a message to a nick the bridge never saw on IRC, that is not there now (no waiting for it). */
function neverSeen(nick: string): NetworkError {
  return new NetworkError(`nobody is on IRC as ${nick}, and the bridge has never seen that nick there`, false, 'not_found');
}

/** What a customer reads from the bot: `[name] text`, an action as `* name does` (CTCP cannot carry a prefix). */
function customerLine(name: string, text: string): { prefix: string; text: string } {
  const action = actionLine(name, text);
  return action ? { prefix: '', text: action } : { prefix: `[${name}] `, text };
}

/** Keeps a written line for a while (the 401 that may follow), within the window and the cap. */
function remember(record: Written, outbound: OutboundMessage, index: number): void {
  const now = Date.now();
  record.lines.push({ outbound, index, at: now });
  while (record.lines.length > 0 && (record.lines.length > HELD_PER_AGENT || now - record.lines[0]!.at > FAILURE_WINDOW_MS)) record.lines.shift();
}

/** The held messages as the bridge's store keeps them (one network record). */
function heldKeeping(records: NetworkRecords): HeldKeeping {
  return {
    load: () => records.state(HELD_RECORD),
    save: (value) => records.setState(HELD_RECORD, value),
    message: (id) => records.message(id),
    conversation: (id) => records.conversation(id),
  };
}
