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
import { isCommand } from '../kit/inbound.js';

export { ircNetworkConfigSchema, type IrcNetworkConfig } from './config.js';

const CAPABILITIES: NetworkCapabilities = { typing: false, presence: true, receipts: false, maxTextBytes: null, markup: 'plain' };
/** How long a 401 (no such nick) after a message is taken as that message's failure. */
const FAILURE_WINDOW_MS = 30_000;
/** Most messages held for one absent agent; past it, new ones fail (docs/networks/irc.md). */
const HELD_PER_AGENT = 500;
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

export function createIrcNetwork({ config, sink, logger, refs: book }: NetworkContext<IrcNetworkConfig>): Network {
  const server = {
    ...serverOf(config),
    tlsVerify: config.tlsVerify,
    ...(config.password ? { password: config.password } : {}),
    ...(config.sasl ? { sasl: config.sasl } : {}),
  };
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

  const refs = new ConversationRefs(book);
  const senders = new SerialQueues();
  /** Lines of a message already written (`message recipient` -> count), so a retry resumes after them. */
  const progress = new Map<string, number>();
  /** The last message each connection sent each target, and when: a 401 that follows fails it. */
  const lastSent = new Map<string, { messageId: string; at: number }>();
  /**
   * Lines lately written to each agent (`connection target` -> in order), and the 401s they drew:
   * an agent who left before the bridge saw it gets these lines again from the first that failed.
   */
  const written = new Map<string, { lines: { outbound: OutboundMessage; index: number; at: number }[]; refused: number; fencing: boolean }>();
  /**
   * Messages for agents who are off IRC (lowercased nick -> in order): IRC keeps nothing for absent
   * users, so they wait here until the agent's presence (MONITOR/ISON) says it is back.
   */
  const held = new Map<string, { items: OutboundMessage[]; timer: NodeJS.Timeout; flushing: boolean }>();
  /** Visitors whose context line is on its way: their messages wait for it (it comes first). */
  const introductions = new Map<Address, Promise<void>>();
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
  const agents = new IrcAgentPresence(bot, sink, addressOf, config.presencePollSeconds * 1000, (nick) => void flushHeld(nick));
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
            taken: (lowered) =>
              rejected.has(lowered) || lowered === bot.nick.toLowerCase() || (puppets.nicks().has(lowered) && puppets.get(visitor) !== connection),
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
      if (event.error === 'no_such_nick' && agents.isFollowed(target) && written.has(key)) {
        void holdRefused(connection, key, target);
        return;
      }
      const sent = lastSent.get(key);
      if (!sent || Date.now() - sent.at > FAILURE_WINDOW_MS) return;
      lastSent.delete(key);
      sink.receipt({
        messageId: sent.messageId,
        status: 'failed',
        code: event.error === 'no_such_nick' ? 'not_found' : 'forbidden',
        error: `IRC: ${target}: ${event.reason ?? event.error}`,
      });
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
    if (!action && isCommand(text)) {
      notice(connection, event.nick, await sink.command({ from: agent, text }), 40);
      return;
    }
    if (!sink.isAgent(agent)) {
      // Not an agent: no instructions meant for agents, only what this bot is.
      notice(
        connection,
        event.nick,
        `${connection.nick} is the bridge of a support team: it serves the team's agents, and ${event.nick} is not one of them. Your message was not delivered. Send /help for what you can do here.`,
      );
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

  /**
   * Writes a message to its IRC target (from the sender's puppet, or relayed by the bot), resuming
   * after the lines already written. False when the target, an agent, left midway: the rest waits.
   */
  async function deliver(outbound: OutboundMessage, target: string): Promise<boolean> {
    const { message, to, conversation, fromName } = outbound;
    // The context line of the sender's conversation goes first (it may still be connecting the puppet).
    await introductions.get(message.from);
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
    const sentKey = `${connection.nick.toLowerCase()} ${target.toLowerCase()}`;
    const record = agents.isFollowed(target)
      ? (written.get(sentKey) ?? written.set(sentKey, { lines: [], refused: 0, fencing: false }).get(sentKey)!)
      : undefined;
    const complete = await connection.sendLines(
      lines.slice(start).map((line) => `PRIVMSG ${target} :${prefix}${line}`),
      (index) => {
        progress.set(key, start + index + 1);
        if (!record) return;
        const now = Date.now();
        record.lines.push({ outbound, index: start + index, at: now });
        while (record.lines.length > 0 && (record.lines.length > HELD_PER_AGENT || now - record.lines[0]!.at > FAILURE_WINDOW_MS)) record.lines.shift();
      },
      // No line after the server said the agent is gone (a 401): it would be lost too.
      () => !record || !agents.isAbsent(target),
    );
    if (!complete) return false;
    progress.delete(key);
    lastSent.set(sentKey, { messageId: message.id, at: Date.now() });
    return true;
  }

  /**
   * The server answered 401 to a line for an agent: the agent left before the bridge saw it. New
   * messages wait from now on; once a PING's PONG proves every earlier line was answered, the
   * lines that drew a 401 (the last ones written: the agent stays gone) wait for it too, each
   * message from its first refused line, ahead of the others. IRC answers a client in order.
   */
  async function holdRefused(connection: IrcConnection, key: string, target: string): Promise<void> {
    const record = written.get(key)!;
    record.refused += 1;
    if (record.fencing) return;
    record.fencing = true;
    agents.markAbsent(target);
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
      const progressKey = `${line.outbound.message.id} ${line.outbound.to}`;
      if (again.some((outbound) => outbound.message.id === line.outbound.message.id && outbound.to === line.outbound.to)) continue;
      again.push(line.outbound);
      progress.set(progressKey, line.index);
    }
    logger.info(
      { agent: target, lines: refused.length, messages: again.length },
      'irc agent left before its presence showed it; the refused lines wait for it',
    );
    for (const outbound of again.reverse()) {
      // Already reported sent: a message that no longer fits is failed here.
      if (!hold(outbound, true)) sink.receipt({ messageId: outbound.message.id, status: 'failed', code: 'unavailable', error: queueFull(outbound) });
    }
    if (!agents.isAbsent(target)) void flushHeld(target);
  }

  /**
   * Keeps a message for an absent agent (`first`: a message the server refused, so it goes before
   * the others); false when the agent's queue is full (the caller fails the message, once).
   */
  function hold(outbound: OutboundMessage, first: boolean): boolean {
    const key = nickOf(outbound.to)!.toLowerCase();
    let queue = held.get(key);
    if (!queue) {
      const timer = setTimeout(() => expireHeld(key), config.holdMinutes * 60_000);
      timer.unref();
      queue = { items: [], timer, flushing: false };
      held.set(key, queue);
    }
    // Once in the queue: a message cut by the agent's leaving may also be among the refused lines.
    const queued = queue.items.findIndex((item) => item.message.id === outbound.message.id && item.to === outbound.to);
    if (queued >= 0 && !first) return true;
    if (queued < 0 && queue.items.length >= HELD_PER_AGENT) return false;
    if (queued >= 0) queue.items.splice(queued, 1);
    if (first) queue.items.unshift(outbound);
    else queue.items.push(outbound);
    return true;
  }

  const queueFull = (outbound: OutboundMessage) => `IRC: ${nickOf(outbound.to)} is off IRC and ${HELD_PER_AGENT} messages already wait for it`;

  /** The agent is back: what waited for it goes out, in order, once. */
  async function flushHeld(nick: string): Promise<void> {
    const key = nick.toLowerCase();
    const queue = held.get(key);
    if (!queue || queue.flushing || [...written].some(([sentKey, record]) => record.fencing && sentKey.endsWith(` ${key}`))) return;
    queue.flushing = true;
    try {
      while (queue.items.length > 0) {
        const next = queue.items[0]!;
        try {
          if (!(await deliver(next, nickOf(next.to)!))) return; // gone again: the rest waits for the next return
        } catch (error) {
          if (error instanceof NetworkError && error.retryable) return; // the bot dropped: the next presence change retries
          sink.receipt({ messageId: next.message.id, status: 'failed', code: 'unavailable', error: `IRC: ${(error as Error).message}` });
        }
        queue.items.shift();
      }
      clearTimeout(queue.timer);
      held.delete(key);
    } finally {
      queue.flushing = false;
    }
  }

  /** The agent did not come back within `holdMinutes`: what waited for it fails, with the reason. */
  function expireHeld(key: string, why = `it did not come back within ${config.holdMinutes} minutes`): void {
    const queue = held.get(key);
    if (!queue) return;
    clearTimeout(queue.timer);
    held.delete(key);
    for (const outbound of queue.items) {
      sink.receipt({ messageId: outbound.message.id, status: 'failed', code: 'unavailable', error: `IRC: ${key} was off IRC and ${why}` });
    }
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
      for (const key of [...held.keys()]) expireHeld(key, 'the bridge stopped before it came back');
      puppets.closeAll('Bridge shutting down');
      bot.close('Bridge shutting down');
      status = { state: 'offline', reason: 'stopped' };
    },
    async send(outbound: OutboundMessage): Promise<SendResult> {
      const target = nickOf(outbound.to);
      if (!target) throw new NetworkError(`${outbound.to} is not a nick on the IRC network "${config.id}"`, false);
      if (bot.state !== 'online') throw new NetworkError(`irc is ${bot.state}${bot.reason ? ` (${bot.reason})` : ''}`, true);
      // An absent agent's messages (and any behind them) wait for it, in order.
      const waits = held.has(target.toLowerCase()) || agents.isAbsent(target) || !(await deliver(outbound, target));
      if (waits && !hold(outbound, false)) throw new NetworkError(queueFull(outbound), false, 'unavailable');
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
      if (!about) {
        notice(bot, target, text, 40);
        return;
      }
      // The context line: the first line of the agent's private chat with the visitor's puppet
      // (connected now if need be), before any of the visitor's messages, which wait for it. A
      // PRIVMSG, as the visitor's own lines are: clients show NOTICEs elsewhere.
      const { conversation, visitor } = about;
      refs.setLatest(to, conversation.id);
      const introduction = (async () => {
        const puppet = visitor.startsWith('irc:') ? null : await puppets.acquire(visitor, displayName(about.visitorName ?? userPart(visitor)));
        const connection = puppet ?? bot;
        // Relayed by the bot, it names the conversation once (the line may already start with its #ref).
        const line = puppet ? text : refs.tagged(conversation.id, text);
        const { lines } = toIrcLines(line, { target, prefixBytes: prefixBytes(connection), maxLines: 4 });
        await connection.sendLines(lines.map((part) => `PRIVMSG ${target} :${part}`));
      })();
      const settled = introduction.catch((error: unknown) => logger.debug({ err: error, visitor }, 'irc context line not sent'));
      introductions.set(visitor, settled);
      void settled.finally(() => {
        if (introductions.get(visitor) === settled) introductions.delete(visitor);
      });
      await settled;
    },
    conversationChanged(conversation, details) {
      channel?.conversationChanged(conversation, details, (member) => nickOf(member) !== null);
    },
    sendQueueDepth: () => bot.writer.depth + puppets.all().reduce((sum, puppet) => sum + puppet.writer.depth, 0),
  };
}
