/**
 * The IRC network (docs/networks/irc.md). Puppet mode (the default): each visitor is an IRC user
 * of its own, so an agent in WeeChat or irssi answers with a private message. Relay mode (and the
 * overflow past `maxPuppets`): the bot relays `[name #ref] text` and the agent answers `#ref text`
 * or just replies. Agents' presence comes from MONITOR/ISON and away-notify/WHO. Every line goes
 * through flood control and the line encoder (512 bytes, no CR/LF/NUL, CTCP neutralised).
 */
import { createHash } from 'node:crypto';
import type { Address } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import type { Network, NetworkCapabilities, NetworkContext, NetworkStatus, OutboundMessage, SendResult } from '../network.js';
import { SerialQueues } from '../../util/serial.js';
import { NetworkError } from '../network.js';
import { ConversationRefs } from '../refs.js';
import { IrcAgentPresence } from './agents.js';
import { type IrcNetworkConfig, NICK_PATTERN, serverOf } from './config.js';
import { IrcConnection, type IrcConnectionOptions } from './connection.js';
import { toIrcLines } from './lines.js';
import { puppetNick } from './nicks.js';
import { PuppetPool } from './puppets.js';
import { SupportChannel } from './support-channel.js';
import { oneLine } from '../../util/text.js';

export { ircNetworkConfigSchema, type IrcNetworkConfig } from './config.js';

const CAPABILITIES: NetworkCapabilities = { typing: false, presence: true, receipts: false, maxTextBytes: null, markup: 'plain' };
/** How long a 401 (no such nick) after a message is taken as that message's failure. */
const FAILURE_WINDOW_MS = 30_000;
/** The longest host part a server may put in the prefix it prepends (RFC 1035 names are at most 63 a label; cloaks are longer). */
const HOST_BYTES = 63;
const encoder = new TextEncoder();

/** The user part of an address, as a name when there is no other (`xmpp:carl@example.org` -> `carl`). */
function userPart(address: Address): string {
  const rest = address.slice(address.indexOf(':') + 1);
  return address.startsWith('web:') || !rest.includes('@') ? rest : rest.slice(0, rest.lastIndexOf('@'));
}

/** A name shown inside a relayed line: no control characters (no CR/LF/NUL/CTCP), one short line. */
function displayName(name: string): string {
  const cleaned = oneLine(name).replace(/\s+/g, ' ').trim();
  return [...(cleaned || 'visitor')].slice(0, 32).join('');
}

export function createIrcNetwork({ config, sink, logger }: NetworkContext<IrcNetworkConfig>): Network {
  const server = { ...serverOf(config), tlsVerify: config.tlsVerify, ...(config.password ? { password: config.password } : {}), ...(config.sasl ? { sasl: config.sasl } : {}) };
  const common: Omit<IrcConnectionOptions, 'nick'> = {
    server,
    username: config.username,
    realname: config.realname,
    flood: { ...config.flood, confirmTimeoutMs: 60_000 },
    connectTimeoutMs: config.connectTimeoutSeconds * 1000,
    logger,
  };
  const addressOf = (nick: string): Address => `irc:${nick.toLowerCase()}@${config.id}`;
  const botAddress = addressOf(config.nick);
  /** The nick an address of this network names, or null. */
  function nickOf(address: string): string | null {
    const at = address.lastIndexOf('@');
    if (!address.startsWith('irc:') || at < 0 || address.slice(at + 1) !== config.id) return null;
    const nick = address.slice(4, at);
    return NICK_PATTERN.test(nick) ? nick : null;
  }

  const refs = new ConversationRefs();
  const senders = new SerialQueues();
  /** Lines of a message already written (`message recipient` -> count), so a retry resumes after them. */
  const progress = new Map<string, number>();
  /** The last message each connection sent each target, and when: a 401 that follows fails it. */
  const lastSent = new Map<string, { messageId: string; at: number }>();
  let status: NetworkStatus = { state: 'offline', reason: 'not started' };

  function setStatus(next: NetworkStatus): void {
    status = next;
    sink.status('irc', next);
  }

  const bot = new IrcConnection({
    ...common,
    nick: (rejected, maxLength = 50) => {
      const fit = (suffix: string) => `${config.nick.slice(0, Math.max(1, maxLength - suffix.length))}${suffix}`;
      const candidates = [fit(''), fit('_'), fit('__'), ...Array.from({ length: 98 }, (_, n) => fit(String(n + 2)))];
      const free = candidates.find((candidate) => !rejected.has(candidate.toLowerCase()));
      if (!free) throw new Error(`every nick from ${config.nick} on is taken`);
      return free;
    },
    onOnline: () => {
      logger.info({ nick: bot.nick, server: config.server }, 'irc bot online');
      agents.onOnline();
      channel?.onOnline();
      setStatus({ state: 'online' });
    },
    onOffline: (reason) => {
      agents.onOffline();
      setStatus({ state: 'offline', reason: `connection to the IRC server lost: ${reason}` });
    },
    onConnectError: (error) => {
      logger.warn({ err: error }, 'irc connection failed; retrying');
      setStatus({ state: 'offline', reason: error.message });
    },
  });
  const agents = new IrcAgentPresence(bot, sink, addressOf, config.presencePollSeconds * 1000);
  const channel = config.channel ? new SupportChannel({ bot, channel: config.channel, sink, refs, addressOf, logger }) : undefined;

  const puppets = new PuppetPool({
    max: config.mode === 'puppet' ? config.maxPuppets : 0,
    idleMs: config.puppetIdleMinutes * 60_000,
    logger,
    create(visitor, name) {
      // A user of another network (gateway) shows its whole address as its real name (WHOIS), and
      // its collision suffix comes from that address, as a visitor's comes from its id.
      const web = visitor.startsWith('web:');
      const tag = web ? visitor.slice(visitor.indexOf(':') + 1) : createHash('sha256').update(visitor).digest('hex').slice(0, 4);
      const connection: IrcConnection = new IrcConnection({
        ...common,
        realname: web ? config.realname : [...oneLine(visitor)].slice(0, 100).join(''),
        nick: (rejected, maxLength) =>
          puppetNick(name, tag, {
            nickLen: Math.min(bot.nickLen, maxLength ?? Infinity),
            casemapping: bot.casemapping,
            taken: (lowered) => rejected.has(lowered) || lowered === bot.nick.toLowerCase() || (puppets.nicks().has(lowered) && puppets.get(visitor) !== connection),
          }),
        onOnline: () => {
          logger.info({ visitor, nick: connection.nick }, 'irc puppet online');
          // A puppet back after a drop: whatever waited for it can go now.
          if (status.state === 'online') sink.status('irc', status);
        },
        onConnectError: (error) => logger.warn({ visitor, err: error }, 'irc puppet connection failed'),
      });
      listen(connection, visitor);
      return connection;
    },
  });
  listen(bot, undefined);

  /** Wires a connection's incoming traffic: `visitor` is the puppet's visitor, undefined for the bot. */
  function listen(connection: IrcConnection, visitor: Address | undefined): void {
    // One sender's lines are handled one after another: stored in the order they were written,
    // and commands answered in the order they were sent.
    const onMessage = (action: boolean) => (event: IrcMessageEvent) => {
      senders
        .run(event.nick.toLowerCase(), () => handleMessage(connection, visitor, event, action))
        .catch((error: unknown) => {
          logger.info({ err: error, from: event.nick }, 'irc message refused');
          notice(connection, event.nick, `Not delivered: ${(error as Error).message}`);
        });
    };
    connection.client.on('privmsg', onMessage(false));
    connection.client.on('action', onMessage(true));
    connection.client.on('irc error', (event: { error: string; nick?: string; channel?: string; reason?: string }) => {
      const target = event.nick ?? event.channel;
      if (!target || !['no_such_nick', 'cannot_send_to_user', 'cannot_send_to_channel'].includes(event.error)) return;
      const key = `${connection.nick.toLowerCase()} ${target.toLowerCase()}`;
      const sent = lastSent.get(key);
      if (!sent || Date.now() - sent.at > FAILURE_WINDOW_MS) return;
      lastSent.delete(key);
      sink.receipt({ messageId: sent.messageId, status: 'failed', code: event.error === 'no_such_nick' ? 'not_found' : 'forbidden', error: `IRC: ${target}: ${event.reason ?? event.error}` });
    });
  }

  const isOurs = (nick: string) => nick.toLowerCase() === bot.nick.toLowerCase() || puppets.nicks().has(nick.toLowerCase());

  function notice(connection: IrcConnection, nick: string, text: string, maxLines = 3): void {
    const { lines } = toIrcLines(text, { target: nick, prefixBytes: prefixBytes(connection), maxLines, command: 'NOTICE' });
    for (const line of lines) connection.writer.send(`NOTICE ${nick} :${line}`).catch(() => undefined);
  }

  async function handleMessage(connection: IrcConnection, visitor: Address | undefined, event: IrcMessageEvent, action: boolean): Promise<void> {
    if (isOurs(event.nick)) return; // our own puppets and bot never speak for agents
    if (config.requireAccount && event.account?.toLowerCase() !== event.nick.toLowerCase()) {
      notice(connection, event.nick, `Log in to the services account "${event.nick}" to talk to visitors or use commands here.`);
      return;
    }
    const text = action ? `/me ${event.message}` : event.message;
    if (channel && channel.is(event.target)) {
      await channel.onChannelMessage(event.nick, text);
      return;
    }
    if (event.target.toLowerCase() !== connection.nick.toLowerCase()) return;
    const agent = addressOf(event.nick);
    const remoteId = event.tags?.msgid ? { remoteId: `${agent}/${event.tags.msgid}` } : {};
    if (visitor) {
      puppets.touch(visitor);
      const stored = await sink.message({ network: 'irc', from: agent, to: visitor, text, ...remoteId });
      if (!stored) notice(connection, event.nick, 'This visitor is not in a conversation with you; your message was not delivered.');
      return;
    }
    if (text.trimStart().startsWith('/') && !action) {
      notice(connection, event.nick, await sink.command({ from: agent, text }), 40);
      return;
    }
    if (channel && (await channel.onPrivateCommand(event.nick, text))) return;
    const routed = refs.route(agent, text);
    if ('error' in routed) {
      notice(connection, event.nick, routed.error);
      return;
    }
    const stored = await sink.message({ network: 'irc', from: agent, to: botAddress, conversationId: routed.conversationId, text: routed.text, ...remoteId });
    if (!stored) notice(connection, event.nick, 'This conversation is not yours; your message was not delivered.');
    else refs.setLatest(agent, routed.conversationId);
  }

  /** Bytes the server prepends when relaying this connection's lines: `:nick!~user@host `. */
  function prefixBytes(connection: IrcConnection): number {
    return 1 + connection.nickLen + 2 + config.username.length + 1 + HOST_BYTES + 1;
  }

  return {
    scheme: 'irc',
    capabilities: CAPABILITIES,
    deliversFromStore: false,
    status: () => status,
    async start() {
      setStatus({ state: 'connecting' });
      await bot.open().catch(() => undefined); // reported through onConnectError, and retried
    },
    async stop() {
      agents.stop();
      puppets.closeAll('Bridge shutting down');
      bot.close('Bridge shutting down');
      status = { state: 'offline', reason: 'stopped' };
    },
    async send({ message, to, conversation, fromName }: OutboundMessage): Promise<SendResult> {
      const target = nickOf(to);
      if (!target) throw new NetworkError(`${to} is not a nick on the IRC network "${config.id}"`, false);
      if (bot.state !== 'online') throw new NetworkError(`irc is ${bot.state}${bot.reason ? ` (${bot.reason})` : ''}`, true);
      const name = displayName(fromName ?? userPart(message.from));
      const puppet = message.from.startsWith('irc:') ? null : await puppets.acquire(message.from, name);
      const connection = puppet ?? bot;
      let text = message.text;
      let prefix = '';
      if (!puppet) {
        prefix = `[${name} #${refs.refOf(conversation.id)}] `;
        refs.setLatest(to, conversation.id);
        if (/^\/me (?=\S)/.test(text)) text = `* ${name} ${text.slice(4)}`; // CTCP cannot carry a prefix
      }
      const { lines } = toIrcLines(text, {
        target,
        prefixBytes: prefixBytes(connection) + encoder.encode(prefix).length,
        maxLines: config.maxLines,
        truncatedNotice: '[message cut: {lines} more lines not sent]',
      });
      const key = `${message.id} ${to}`;
      const start = progress.get(key) ?? 0;
      await connection.sendLines(
        lines.slice(start).map((line) => `PRIVMSG ${target} :${prefix}${line}`),
        (index) => progress.set(key, start + index + 1),
      );
      progress.delete(key);
      lastSent.set(`${connection.nick.toLowerCase()} ${target.toLowerCase()}`, { messageId: message.id, at: Date.now() });
      return { status: 'sent' };
    },
    async sharePresence({ from, status: presence, text }) {
      // The puppet shows away while its visitor (or gateway user) is away, busy or gone (RFC 2812
      // section 4.1): IRC has no other state for a connected user.
      const puppet = puppets.get(from);
      if (!puppet || puppet.state !== 'online') return;
      const gone = presence === 'offline' ? (from.startsWith('web:') ? 'Left the page' : 'Offline') : presence === 'busy' ? 'Busy' : 'Away';
      const reason = oneLine(text ?? '').trim();
      await puppet.writer.send(presence === 'available' ? 'AWAY' : `AWAY :${[...(reason ? `${gone}: ${reason}` : gone)].slice(0, 200).join('')}`);
    },
    async subscribePresence(addresses: Address[]) {
      agents.watch(addresses.map(nickOf).filter((nick): nick is string => nick !== null));
    },
    normalizeAddress(address) {
      // `irc:Dave` names a nick of this network; `irc:dave@id` too, when id is this network's.
      const rest = address.slice('irc:'.length);
      const nick = rest.includes('@') ? nickOf(address) : NICK_PATTERN.test(rest) ? rest : null;
      return address.startsWith('irc:') && nick ? addressOf(nick) : null;
    },
    ownsAddress(address) {
      const nick = nickOf(address)?.toLowerCase();
      return nick !== undefined && (nick === bot.nick.toLowerCase() || puppets.nicks().has(nick));
    },
    async notice({ to, text, about }) {
      const target = nickOf(to);
      if (!target) return;
      // In the visitor's query when it has a puppet; else from the bot, with the conversation's ref.
      const puppet = about ? puppets.get(about.visitor) : undefined;
      if (puppet?.state === 'online') return notice(puppet, target, text);
      if (about) refs.setLatest(to, about.conversation.id);
      notice(bot, target, about ? `[#${refs.refOf(about.conversation.id)}] ${text}` : text, 40);
    },
    conversationChanged(conversation, details) {
      channel?.conversationChanged(conversation, details, (member) => nickOf(member) !== null);
    },
    sendQueueDepth: () => bot.writer.depth + puppets.all().reduce((sum, puppet) => sum + puppet.writer.depth, 0),
  };
}
