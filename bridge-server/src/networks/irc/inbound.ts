/**
 * What agents write on IRC: to a visitor's puppet (a message of that visitor's conversation), to
 * the bot (a command, a claim, or words relayed to a conversation by `#ref` or to the latest), or
 * in the support channel (claims). One sender's lines are handled one after another: stored in
 * the order they were written, and commands answered in the order they were sent. A followed user
 * the bot saw change nick writes as their own address still (renames.ts); from someone else on
 * their own nick meanwhile, nothing is taken.
 */
import type { Address } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import type { Logger } from 'pino';
import { isCommand, remoteIdOf } from '../kit/inbound.js';
import type { Relay } from '../kit/relay.js';
import { addressedByRef } from '../refs.js';
import { type InboundSink, isQuietRefusal } from '../network.js';
import type { IrcAddresses } from './addresses.js';
import type { IrcConnection } from './connection.js';
import type { IrcConnections } from './connections.js';
import type { IrcCustomers } from './customers.js';
import { type CtcpRequest, dccOfferedFile, dccRefusal } from './files.js';
import { stripFormatting } from './formatting.js';
import { ircLower } from './nicks.js';
import { SenderTurns } from '../kit/sender-turns.js';
import { RefusalNotices } from './refusal-notices.js';
import type { IrcRenames } from './renames.js';
import type { SupportChannel } from './support-channel.js';

/** The notice for a nick not logged in to its services account, with `requireAccount`. */
const loginNeeded = (own: string) => `Log in to the services account "${own}" to talk to visitors or use commands here.`;

export interface IrcInboundOptions {
  sink: InboundSink;
  logger: Logger;
  /** Accept agents only from a nick logged in to the services account of the same name. */
  requireAccount: boolean;
  addresses: IrcAddresses;
  connections: IrcConnections;
  relay: Relay;
  channel: SupportChannel | undefined;
  /** Customers writing to the bot in private, when the configuration lets them. */
  customers: IrcCustomers | undefined;
  /** The bridge is a gateway: a user who is no agent has commands of their own (`/help` lists them). */
  gateway: boolean;
  /** A customer's message to a team was taken (their presence is followed from then on). */
  onCustomerMessage?(customer: Address): void;
  /** Who writes from a nick (renames the bot saw); without, every nick is its own address's. */
  renames?: Pick<IrcRenames, 'senderOf'>;
}

/** What a user wrote, from their address, with the id that drops a retransmission. */
interface Written {
  from: Address;
  text: string;
  remoteId?: string | undefined;
  /** The message's place is taken: the sender's next line may be taken (`InboundMessage.onQueued`). */
  queued?: () => void;
}

export class IrcInbound {
  /** Each sender's lines in the order they came, settled when the network stops here. */
  private readonly turns = new SenderTurns();
  private readonly dccRefusals = new RefusalNotices();
  /** Someone on the own nick of a user the bridge knows under another: told once a minute, not per line. */
  private readonly strangerRefusals = new RefusalNotices();
  /** A sender whose lines the server cuts: told once a minute, not per line. */
  private readonly cutNotices = new RefusalNotices();

  constructor(private readonly options: IrcInboundOptions) {}

  /** Takes lines again (the network starts, here again). */
  open(): void {
    this.turns.open();
  }

  /**
   * Before the connections close: lines read from now on, and those waiting for their turn, are
   * refused with a NOTICE, and those being handled are let finish for up to `ms`, so that each
   * sender hears what became of their line while the connection still carries it.
   */
  settle(ms: number): Promise<void> {
    return this.turns.settle(ms);
  }

  /**
   * A CTCP request to the bot or a puppet: a DCC file offer is not taken (the bridge connects to no
   * IRC client); its sender is told to paste a link instead. Other CTCP requests go unanswered.
   */
  ctcp(connection: IrcConnection, request: CtcpRequest): void {
    const { connections, logger } = this.options;
    const file = dccOfferedFile(request);
    if (file === null || !request.nick || connections.isOurs(request.nick)) return;
    if (!isTo(connection, request.target)) return; // offers go to one user, never a channel
    logger.info({ from: request.nick, to: connection.nick }, 'irc DCC offer refused');
    if (this.dccRefusals.tell(`${connection.nick} ${request.nick}`)) this.notice(connection, request.nick, dccRefusal(file));
  }

  /** A PRIVMSG (or CTCP ACTION) a connection received: `visitor` is the puppet's, undefined for the bot. */
  received(connection: IrcConnection, visitor: Address | undefined, event: IrcMessageEvent, action: boolean): void {
    this.turns.take(
      event.nick.toLowerCase(),
      () => {
        if (!this.options.connections.isOurs(event.nick)) this.notice(connection, event.nick, STOPPING);
      },
      (release) =>
        this.handle(connection, visitor, event, action, release).catch((error: unknown) => {
          this.options.logger.info({ err: error, from: event.nick }, 'irc message refused');
          if (!isQuietRefusal(error)) this.notice(connection, event.nick, refusalText(error));
        }),
    );
  }

  private async handle(connection: IrcConnection, visitor: Address | undefined, event: IrcMessageEvent, action: boolean, queued: () => void): Promise<void> {
    const { connections, channel, requireAccount, customers, sink } = this.options;
    if (connections.isOurs(event.nick)) return; // our own puppets and bot never speak for agents
    const sender = this.senderOf(event.nick);
    if (sender === null) {
      // Someone on the own nick of a user the bridge knows under another one: not that user.
      if (!channel?.is(event.target) && this.strangerRefusals.tell(`${connection.nick} ${event.nick}`))
        this.notice(
          connection,
          event.nick,
          `Not delivered: the user the bridge knows by ${event.nick} changed nick, so it does not take ${event.nick} for them now (if that was you and you left since, change nick and back in its channel).`,
        );
      return;
    }
    // `own`: the nick the address names (the services account to be logged in to), as spelled.
    const { address: from, nick: own } = sender;
    const remoteId = remoteIdOf(from, event.tags?.msgid);
    // Formatting codes mean nothing elsewhere (U+FFFD on XMPP, stray digits in mail): the words only.
    // Nor do other controls (CTCP's \x01 left by an empty `/me`, a bell): no text has them.
    const read = stripFormatting(event.message).replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '');
    if (read.trim() === '') return; // only codes (a client toggling bold), an empty `/me`: nothing was written
    // A line the server cut: its mark goes, an ellipsis says the words stop short, and the sender
    // (in private) is told what did not get through.
    const kept = beforeServerCut(read, event.message);
    const words = kept === undefined ? read : `${kept}…`;
    if (kept !== undefined && isTo(connection, event.target) && this.cutNotices.tell(`${connection.nick} ${event.nick}`))
      this.notice(connection, event.nick, serverCutNotice(kept));
    const text = action ? `/me ${words}` : words;
    // Someone who is not an agent writing to the bot in private: a customer (no services account needed).
    const toBot = visitor === undefined && isTo(connection, event.target);
    const loggedIn = !requireAccount || event.account?.toLowerCase() === own.toLowerCase();
    if (customers && toBot && !sink.isAgent(from)) {
      await this.fromCustomer(connection, customers, { nick: event.nick, own, loggedIn }, { from, text, remoteId, queued });
      return;
    }
    const inChannel = channel?.is(event.target) === true;
    // Only a command is the bridge's in the support channel; other lines there, and in any other
    // channel, are left alone (no notice either: it would answer everyone chatting).
    if (inChannel ? !channel.isCommand(text) : !isTo(connection, event.target)) return;
    if (!loggedIn) {
      this.notice(connection, event.nick, loginNeeded(own));
      return;
    }
    if (inChannel) {
      await channel.onChannelMessage(event.nick, from, text);
      return;
    }
    if (visitor) await this.toVisitor(connection, event.nick, visitor, { from, text, remoteId, queued });
    else await this.toBot(connection, event.nick, { from, text, remoteId });
  }

  /**
   * A customer's words to the bot: a command (`/team`, `/help`, else the bridge's: the gateway's
   * `/to`), or a message to their team, in the conversation they are in or a new one. `nick` is
   * theirs now (answers go there), `own` the one their address names (their pick is kept under it).
   * A customer needs no services account; the bridge's commands (`/to`, `/follow`: writing to other
   * networks) need one as from anyone else, with `requireAccount` (`loggedIn` false without it).
   */
  private async fromCustomer(
    connection: IrcConnection,
    customers: IrcCustomers,
    { nick, own, loggedIn }: { nick: string; own: string; loggedIn: boolean },
    input: Written,
  ) {
    const { sink } = this.options;
    if (isCommand(input.text)) {
      const customerAnswer = customers.command(own, input.text);
      let answer = customerAnswer ?? (loggedIn ? await sink.command({ from: input.from, text: input.text }) : loginNeeded(own));
      // On a gateway, a customer's `/help` lists the gateway's commands too (they may use them).
      if (customerAnswer !== null && this.options.gateway && loggedIn && /^\s*\/help\b/i.test(input.text)) {
        const gateway = await sink.command({ from: input.from, text: '/help' });
        const lines = [...customerAnswer.split('\n'), ...gateway.split('\n')];
        answer = [...lines.filter((line) => !line.startsWith('/help')), ...lines.filter((line) => line.startsWith('/help')).slice(0, 1)].join('\n');
      }
      this.options.connections.answer(connection, nick, answer);
      return;
    }
    const team = customers.teamFor(own);
    const { from, text, remoteId } = input;
    // An IRC user has no name but their nick (as they spell it: the address is its lower case).
    const stored = await sink.message({
      network: 'irc',
      from,
      to: `team:${team.id}`,
      text,
      team,
      fromName: own,
      ...(remoteId ? { remoteId } : {}),
      ...(input.queued ? { onQueued: input.queued } : {}),
    });
    if (stored) {
      customers.tookUp(own);
      this.options.onCustomerMessage?.(from);
    } else this.notice(connection, nick, 'The team takes no messages here now; your message was not delivered.');
  }

  /** Words to a visitor's puppet: a message of the conversation the agent has with that visitor. */
  private async toVisitor(connection: IrcConnection, nick: string, visitor: Address, input: Written) {
    this.options.connections.puppets.touch(visitor);
    const { from, text, remoteId, queued } = input;
    const stored = await this.options.sink.message({
      network: 'irc',
      from,
      to: visitor,
      text,
      ...(remoteId ? { remoteId } : {}),
      ...(queued ? { onQueued: queued } : {}),
    });
    if (!stored) this.notice(connection, nick, 'This visitor is not in a conversation with you; your message was not delivered.');
  }

  /** Words to the bot: a command, a claim, or a reply relayed to a conversation. */
  private async toBot(connection: IrcConnection, nick: string, input: Written) {
    const { sink, channel, relay } = this.options;
    if (isCommand(input.text)) {
      this.options.connections.answer(connection, nick, await sink.command({ from: input.from, text: input.text }));
      return;
    }
    if (!sink.isAgent(input.from)) {
      // A gateway's IRC user answering a line the bot relayed (`[carl #3fa9c] text`, past maxPuppets)
      // by its ref: into that conversation, when it is theirs (the core refuses any other).
      if (this.options.gateway && addressedByRef(input.text) && !('refusal' in (await relay.receive(input)))) return;
      // Not an agent: no instructions meant for agents, only what this bot is (and, on a gateway, the user's own commands).
      const commands = this.options.gateway ? ' Send /help for what you can do here.' : '';
      this.notice(
        connection,
        nick,
        `${connection.nick} is the bridge of a support team: it serves the team's agents, and ${nick} is not one of them. Your message was not delivered.${commands}`,
      );
      return;
    }
    if (channel && (await channel.onPrivateCommand(nick, input.from, input.text))) return;
    const outcome = await relay.receive(input);
    if ('refusal' in outcome) this.notice(connection, nick, outcome.refusal);
  }

  /** Who writes from a nick: their address, and the nick it names. */
  private senderOf(nick: string): { address: Address; nick: string } | null {
    const { renames, addresses } = this.options;
    return renames ? renames.senderOf(nick) : { address: addresses.addressOf(nick), nick };
  }

  private notice(connection: IrcConnection, nick: string, text: string): void {
    this.options.connections.notice(connection, nick, text);
  }
}

/**
 * ngircd's mark at the end of a line it cut to IRC's 512 bytes (RFC 2812 section 2.3: a client that
 * sends a line past the limit, or whose prefix, added by the server, takes it past): what the
 * sender wrote after that point is lost.
 */
const SERVER_CUT_MARK = '[CUT]';
/** Bytes of text a line the server cut holds at least (512 less the longest prefix): shorter, `[CUT]` is the sender's own. */
const SERVER_CUT_MIN_BYTES = 300;

/**
 * The text before the server's cut mark, for a line the server cut; undefined for any other.
 * `received` is the line's text as it came (its length is what the server cut; `text` may be it
 * without its formatting codes).
 */
export function beforeServerCut(text: string, received = text): string | undefined {
  if (!text.endsWith(SERVER_CUT_MARK) || Buffer.byteLength(received) < SERVER_CUT_MIN_BYTES) return undefined;
  return text.slice(0, -SERVER_CUT_MARK.length);
}

/** What a sender whose line the server cut reads: where it stopped (its last words), and what to do. */
export function serverCutNotice(kept: string): string {
  const last = [...kept.trimEnd()].slice(-40).join('');
  return `Your line was too long for the IRC server, which cut its end: it stops at "…${last}". Send the rest in another line.`;
}

/** What a line read while the network stops here is answered with (another node, or this one once started again, takes the next). */
const STOPPING = 'Not delivered: the bridge is stopping this connection; send it again in a moment.';

/**
 * What the sender of a refused line reads: a refusal of the abuse controls (`forbidden`,
 * `rate_limited`) as its text alone, which says what became of the message (docs/customers.md,
 * "Abuse controls"); any other failure after "Not delivered: ".
 */
function refusalText(error: unknown): string {
  const { code, message } = error as { code?: unknown; message: string };
  return code === 'forbidden' || code === 'rate_limited' ? message : `Not delivered: ${message}`;
}

/** Whether a line's target is the connection's own nick, as the server compares nicks (CASEMAPPING). */
function isTo(connection: IrcConnection, target: string): boolean {
  return ircLower(target, connection.casemapping) === ircLower(connection.nick, connection.casemapping);
}
