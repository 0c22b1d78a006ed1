/**
 * The network's IRC connections: the bridge's bot (the network's link: its status is the
 * network's) and the visitors' puppets, with what every line written on them needs (the prefix a
 * server prepends, notices back to a sender, whose nick is ours).
 */
import { createHash } from 'node:crypto';
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { HostedParties, InboundSink } from '../network.js';
import type { IrcAddresses } from './addresses.js';
import type { IrcNetworkConfig } from './config.js';
import { serverOf } from './config.js';
import { IrcConnection, type IrcConnectionOptions } from './connection.js';
import { type IrcLineOptions, toIrcLines } from './lines.js';
import { ircLower, puppetNick } from './nicks.js';
import { PuppetPool } from './puppets.js';
import { oneLine } from '../../util/text.js';

/** The longest host part a server may put in the prefix it prepends (RFC 1035 names are at most 63 a label; cloaks are longer). */
const HOST_BYTES = 63;
/** Most NOTICE lines of a command's answer. */
const ANSWER_LINES = 70;

export interface IrcConnectionsOptions {
  config: IrcNetworkConfig;
  sink: InboundSink;
  logger: Logger;
  hosted: HostedParties;
  addresses: IrcAddresses;
  /** The bot registered (first or again): what it follows and joins is set up again. */
  onBotOnline: () => void;
  onBotOffline: () => void;
  /** Wires a new puppet's incoming traffic. */
  onPuppet: (connection: IrcConnection, visitor: Address) => void;
  /** A puppet registered (first or again, after a drop): what the server forgot of it is set again. */
  onPuppetOnline?: (connection: IrcConnection, visitor: Address) => void;
  /**
   * Whether an IRC address is someone the bridge knows (an agent, a customer it follows): a puppet
   * never takes their nick, even while they are away from IRC, or it would get what is theirs.
   */
  reserved: (address: Address) => boolean;
}

export class IrcConnections {
  readonly bot: IrcConnection;
  readonly puppets: PuppetPool;

  constructor(private readonly options: IrcConnectionsOptions) {
    const { config, sink, logger } = options;
    const common = this.common();
    this.bot = new IrcConnection({
      ...common,
      // The bot's own account: puppets speak for visitors, never logged in as the bot (which would
      // show them as its account in WHOIS and spend its sessions on the services).
      server: { ...common.server, ...(config.sasl ? { sasl: config.sasl } : {}) },
      name: 'irc',
      report: (status) => sink.status('irc', status),
      nick: (rejected, maxLength = 50) => botNick(config.nick, rejected, maxLength),
      onOnline: () => {
        logger.info({ nick: this.bot.nick, server: config.server }, 'irc bot online');
        // Without account tags no message says its sender is logged in: every agent is refused.
        if (config.requireAccount && !this.bot.client.network.cap.isEnabled('account-tag'))
          logger.warn(
            { server: config.server },
            'irc: requireAccount is set, but the server does not tag messages with the account (IRCv3 account-tag): every message and command of an agent is refused',
          );
        options.onBotOnline();
      },
      onOffline: () => options.onBotOffline(),
    });
    this.puppets = new PuppetPool({
      max: config.mode === 'puppet' ? config.maxPuppets : 0,
      idleMs: config.puppetIdleMinutes * 60_000,
      logger,
      create: (visitor, name) => this.puppet(visitor, name),
    });
  }

  /** Whether a nick is the bot's or a puppet's (they never speak for agents). */
  isOurs(nick: string): boolean {
    const fold = (each: string) => ircLower(each, this.bot.casemapping);
    const lowered = fold(nick);
    return lowered === fold(this.bot.nick) || this.puppets.nicks(fold).has(lowered);
  }

  /**
   * The sender's puppet (connected if need be), or null when the bot relays it (IRC users, relay
   * mode, overflow). A puppet stands for a visitor or a gateway user, whom the agent answers in its
   * query: a team's words (its greeting) and another agent's are relayed by the bot with their
   * conversation's ref, not said by a puppet of their own that the agent could not answer.
   * `conversationId`: the conversation it speaks in, which keeps it connected while open.
   */
  puppetFor(sender: Address, name: string, conversationId?: string): Promise<IrcConnection | null> {
    const relayed = this.options.addresses.isIrc(sender) || sender.startsWith('team:') || this.options.sink.isAgent(sender);
    return relayed ? Promise.resolve(null) : this.puppets.acquire(sender, name, conversationId);
  }

  /** Bytes the server prepends when relaying this connection's lines: `:nick!~user@host `. */
  prefixBytes(connection: IrcConnection): number {
    return 1 + connection.nickLen + 2 + this.options.config.username.length + 1 + HOST_BYTES + 1;
  }

  /** A NOTICE from a connection (a refusal, a short answer): best effort. */
  notice(connection: IrcConnection, nick: string, text: string, maxLines = 3): void {
    this.notices(connection, nick, text, { maxLines });
  }

  /**
   * A command's answer as NOTICEs: room for the longest the commands give (a /history of 50
   * messages, a /list of 30 and 30 conversations, each a line, with their headings); past that,
   * lines are cut after the first, so the heading and the newest lines stay.
   */
  answer(connection: IrcConnection, nick: string, text: string): void {
    this.notices(connection, nick, text, { maxLines: ANSWER_LINES, cut: 'after-first' });
  }

  private notices(connection: IrcConnection, nick: string, text: string, options: Pick<IrcLineOptions, 'maxLines' | 'cut'>): void {
    const { lines } = toIrcLines(text, { target: nick, prefixBytes: this.prefixBytes(connection), command: 'NOTICE', ...options });
    for (const line of lines) connection.writer.send(`NOTICE ${nick} :${line}`).catch(() => undefined);
  }

  /** Lines waiting in every connection's flood queue. */
  queueDepth(): number {
    return this.bot.writer.depth + this.puppets.all().reduce((sum, puppet) => sum + puppet.writer.depth, 0);
  }

  closeAll(message: string): Promise<void> {
    this.puppets.closeAll(message);
    return this.bot.close(message);
  }

  private common(): Omit<IrcConnectionOptions, 'nick' | 'name' | 'report'> {
    const { config, logger } = this.options;
    return {
      server: {
        ...serverOf(config),
        tlsVerify: config.tlsVerify,
        ...(config.password ? { password: config.password } : {}),
      },
      username: config.username,
      realname: config.realname,
      flood: { ...config.flood, confirmTimeoutMs: 60_000 },
      connectTimeoutMs: config.connectTimeoutSeconds * 1000,
      nickRetryMs: config.nickRetrySeconds * 1000,
      logger,
    };
  }

  private puppet(visitor: Address, name: string): IrcConnection {
    const { config, hosted, logger, sink, onPuppet } = this.options;
    // A user of another network (gateway) shows its whole address as its real name (WHOIS), and
    // its collision suffix comes from that address, as a visitor's comes from its id.
    const hostedId = hosted.idOf(visitor);
    const tag = hostedId ?? createHash('sha256').update(visitor).digest('hex').slice(0, 4);
    const connection: IrcConnection = new IrcConnection({
      ...this.common(),
      logger: logger.child({ visitor }),
      name: 'irc puppet',
      ownNick: 'first',
      realname: hostedId !== null ? config.realname : [...oneLine(visitor)].slice(0, 100).join(''),
      // A puppet back after a drop: whatever waited for it can go now.
      report: (status) => {
        if (status.state === 'online' && this.bot.state === 'online') sink.status('irc', this.bot.status);
      },
      nick: (rejected, maxLength) =>
        puppetNick(name, tag, {
          nickLen: Math.min(this.bot.nickLen, maxLength ?? Infinity),
          casemapping: this.bot.casemapping,
          taken: (lowered) =>
            rejected.has(lowered) ||
            lowered === ircLower(this.bot.nick, this.bot.casemapping) ||
            this.options.reserved(this.options.addresses.addressOf(lowered)) ||
            (this.puppets.nicks((each) => ircLower(each, this.bot.casemapping)).has(lowered) && this.puppets.get(visitor) !== connection),
        }),
      onOnline: () => {
        logger.info({ visitor, nick: connection.nick }, 'irc puppet online');
        this.options.onPuppetOnline?.(connection, visitor);
      },
    });
    onPuppet(connection, visitor);
    return connection;
  }
}

/** The bot's nick: the configured one, then with `_`, `__`, 2, 3, ... while the server refuses them. */
function botNick(nick: string, rejected: ReadonlySet<string>, maxLength: number): string {
  const fit = (suffix: string) => `${nick.slice(0, Math.max(1, maxLength - suffix.length))}${suffix}`;
  const candidates = [fit(''), fit('_'), fit('__'), ...Array.from({ length: 98 }, (_, n) => fit(String(n + 2)))];
  // Refused nicks are lowered as the server compares them (registering, it has not said how yet: RFC 1459's way).
  const free = candidates.find((candidate) => !rejected.has(ircLower(candidate)));
  if (!free) throw new Error(`every nick from ${nick} on is taken`);
  return free;
}
