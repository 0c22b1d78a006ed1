/**
 * Presence on IRC, followed from the bot's connection for each part of the network that follows
 * nicks (agents, customers who wrote), on a watch list of its own; the lists come in order of
 * precedence, the agents' first:
 * - online/offline through MONITOR (IRCv3 monitor) for as many nicks as ISUPPORT `MONITOR=<n>`
 *   lets the bot follow, the earlier lists' nicks first, and ISON polling (RFC 2812 section 4.9)
 *   for the others (all of them where the server has no MONITOR);
 * - away through away-notify (IRCv3, for nicks sharing a channel with the bot), RPL_AWAY (301, the
 *   answer to a message) and WHO polling (the H/G flag, RFC 2812 section 3.6.1). WHO does not say
 *   the away message: someone WHO shows newly away is asked about with WHOIS (301 again).
 * Online and here is `available`, online and away is `away` (with the away message once known).
 * Polling repeats itself: only changes reach the sink. A list may cap the lines it polls each
 * round, as the bot's lines are shared with messages: its nicks are then polled in turn.
 * A followed user the bot saw change nick (renames.ts) is followed under the new one: what the
 * server says of that nick is theirs, and what it says of their own nick (someone else's now) is not.
 * MONITOR and ISON go on asking about their own nick, which is theirs again when they come back.
 */
import type { Address } from '@switchboard/protocol';
import { type FollowedPresence, WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import type { IrcConnection } from './connection.js';
import { stripFormatting } from './formatting.js';
import { ircLower } from './nicks.js';
import type { IrcRenames } from './renames.js';

/**
 * IRC lines stay short: ISON and MONITOR take the nicks in batches, of at most so many nicks and
 * bytes (with their separators), so a line never passes IRC's 512 bytes whatever the server's
 * NICKLEN (ngircd drops a connection that sends a longer one: the bot's is the network's link).
 */
const NICKS_PER_LINE = 20;
const NICK_BYTES_PER_LINE = 400;

/** An RPL_ISON (303) line: irc-framework reports it as MONITOR's 730, so it is told apart here. */
const ISON_ANSWER = /^(?:@\S+ +)?(?::\S+ +)?303 +\S+ *:?(.*)$/;

export interface IrcPresenceFollowerOptions {
  bot: Pick<IrcConnection, 'client' | 'writer' | 'state' | 'monitorLimit' | 'casemapping'>;
  /** The address of a nick of this network, and back (null for another network's address). */
  addressOf: (nick: string) => Address;
  nickOf: (address: Address) => string | null;
  pollMs: number;
  /** Followed users under another nick than their own: without, every nick is its own address's. */
  renames?: Pick<IrcRenames, 'holderOf' | 'nickFor' | 'sighted'>;
  /** Whether a nick is the bridge's own (the bot's, a puppet's): a user whose nick it holds is not on IRC. */
  isOurs?: (nick: string) => boolean;
}

export interface FollowedNicksOptions {
  sink: Pick<InboundSink, 'presence'>;
  /** Lines this list's polling may take each round; as many as it needs by default. */
  linesPerPoll?: number;
  /** A nick of this list was seen online. */
  onSeen?: (nick: string) => void;
}

/** One part's list, with where its polling in turn goes on. */
interface Follower {
  list: WatchList;
  options: FollowedNicksOptions;
  cursor: number;
}

/** What the server said of a nick: online or not, away or not (unchanged when unsaid), the message. */
interface Sighting {
  online: boolean;
  away?: boolean;
  text?: string;
}

/** A polling line, and the ISON batch it asks about. */
interface PollLine {
  text: string;
  batch?: Set<string>;
}

export class IrcPresenceFollower {
  /** A nick as the server compares nicks (ISUPPORT CASEMAPPING): ISON and MONITOR answer with the nick as its user spells it. */
  private readonly key = (nick: string): string => ircLower(nick, this.options.bot.casemapping);
  private readonly followers: Follower[] = [];
  /** The nicks (lowercased) the server MONITORs for the bot now. */
  private readonly monitored = new Set<string>();
  /** ISON batches asked and not yet answered, in order (servers answer in order). */
  private isonPending: Set<string>[] = [];
  /** Presence lines still in the flood queue: a poll never piles up behind the last one. */
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Nicks that gave their MONITOR place up to an earlier list's, not yet taken off the server's list. */
  private readonly displaced: string[] = [];

  constructor(private readonly options: IrcPresenceFollowerOptions) {
    const { client } = options.bot;
    client.on('users online', (event: { nicks: string[] }) => {
      for (const nick of event.nicks.filter(Boolean)) this.seenOnline(nick);
    });
    client.on('users offline', (event: { nicks: string[] }) => {
      for (const nick of event.nicks) this.set(nick, { online: false });
    });
    client.on('raw', (event: { line: string; from_server: boolean }) => {
      const answer = event.from_server ? ISON_ANSWER.exec(event.line.trimEnd()) : null; // the line ends in CR LF
      if (answer) this.onIsonAnswer(answer[1]!.trim().split(/ +/).filter(Boolean));
    });
    client.on('away', (event: { nick: string; self?: boolean; message?: string }) => {
      if (!event.self) this.set(event.nick, { online: true, away: true, ...(event.message ? { text: event.message } : {}) });
    });
    client.on('back', (event: { nick: string; self?: boolean }) => {
      if (!event.self) this.set(event.nick, { online: true, away: false });
    });
    client.on('wholist', (event: { users: { nick: string; away?: boolean }[] }) => {
      for (const user of event.users) {
        const holder = this.holderOf(user.nick);
        const newlyAway = user.away === true && holder !== null && this.presenceOf(holder)?.status !== 'away';
        this.set(user.nick, { online: true, away: user.away === true });
        if (newlyAway && this.isFollowed(holder)) this.line(`WHOIS ${user.nick}`);
      }
    });
    client.on('whois', (answer: { nick: string; away?: string; error?: string }) => {
      if (answer.away !== undefined && !answer.error) this.set(answer.nick, { online: true, away: true, text: answer.away });
    });
  }

  /** Whether the bot is registered (a list's new nicks are asked about at once then). */
  get online(): boolean {
    return this.options.bot.state === 'online';
  }

  /** A watch list of one part of the network, after the lists made before it. */
  list(options: FollowedNicksOptions): WatchList {
    const follower: Follower = { options, cursor: 0, list: new WatchList({ sink: options.sink, follow: (addresses) => this.ask(follower, addresses) }) };
    this.followers.push(follower);
    return follower.list;
  }

  /** Stops following an address of `list`: its MONITOR place goes to a nick polled until then. */
  unwatch(list: WatchList, address: Address): void {
    list.unwatch(address);
    const nick = this.options.nickOf(address);
    if (nick === null || this.isFollowed(address) || !this.monitored.delete(this.key(nick))) return;
    this.line(`MONITOR - ${nick}`);
    const next = this.followers.flatMap(({ list }) => this.nicksOf(list)).find((candidate) => !this.monitored.has(this.key(candidate)));
    if (next === undefined) return;
    this.monitored.add(this.key(next));
    this.line(`MONITOR + ${next}`);
  }

  /**
   * The user of this address is not there (a 401 to a message; or they left under another nick, as
   * far as the bot can see): offline until seen again.
   */
  absent(address: Address): void {
    this.report(address, { online: false });
  }

  /** The user of this address changed nick before the bot: online (as they are), away as before. */
  renamed(address: Address): void {
    this.report(address, { online: true });
  }

  /** The bot registered: everyone is asked about again (the earlier lists first), and polled from now on. */
  onOnline(): void {
    this.monitored.clear();
    this.isonPending = [];
    for (const { list } of this.followers) list.reconnected();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  /** The bot's connection dropped: nobody's presence is known. */
  onOffline(): void {
    clearInterval(this.timer);
    this.monitored.clear();
    this.isonPending = [];
    for (const { list } of this.followers) list.dropped();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const { list } of this.followers) list.stopped();
  }

  private nicksOf(list: WatchList): string[] {
    return list.addresses.map(this.options.nickOf).filter((nick): nick is string => nick !== null);
  }

  /** The address whose user has the nick now (null: someone else than its own address's user). */
  private holderOf(nick: string): Address | null {
    return this.options.renames ? this.options.renames.holderOf(nick) : this.options.addressOf(nick);
  }

  /** The nick the user of an address has now (null: not known to be on it). */
  private nickNow(address: Address): string | null {
    return this.options.renames ? this.options.renames.nickFor(address) : this.options.nickOf(address);
  }

  private isFollowed(address: Address | null): address is Address {
    return address !== null && this.followers.some(({ list }) => list.has(address));
  }

  /** What the first list following the address last reported of it. */
  private presenceOf(address: Address): FollowedPresence | undefined {
    return this.followers.find(({ list }) => list.has(address))?.list.presenceOf(address);
  }

  private isOnline(address: Address): boolean {
    const status = this.presenceOf(address)?.status;
    return status !== undefined && status !== 'offline';
  }

  /**
   * Newly followed nicks: MONITOR while the server's list has room for them, ISON for the others.
   * One MONITORed for another list already is added again, so that the server tells its state.
   */
  private ask(follower: Follower, addresses: readonly Address[]): void {
    const monitor: string[] = [];
    const ison: string[] = [];
    for (const nick of addresses.map(this.options.nickOf)) {
      if (nick === null) continue;
      if (this.monitored.has(this.key(nick))) monitor.push(nick);
      else if (this.monitorPlaceFor(follower)) {
        this.monitored.add(this.key(nick));
        monitor.push(nick);
      } else ison.push(nick);
    }
    const displaced = this.displaced.splice(0);
    for (const batch of batches(displaced)) this.line(`MONITOR - ${batch.join(',')}`);
    for (const batch of batches(monitor)) this.line(`MONITOR + ${batch.join(',')}`);
    for (const line of isonLines([...ison, ...displaced], this.key)) this.send(line);
  }

  /**
   * Whether a nick of `follower`'s list may be MONITORed: the server's list has room, or holds a
   * nick of a later list, which then gives its place up (and is polled from now on).
   */
  private monitorPlaceFor(follower: Follower): boolean {
    const limit = this.options.bot.monitorLimit;
    if (limit === 0) return false;
    if (this.monitored.size < limit) return true;
    for (const later of this.followers.slice(this.followers.indexOf(follower) + 1).reverse()) {
      const displaced = this.nicksOf(later.list).find((nick) => this.monitored.has(this.key(nick)) && !this.isFollowedBefore(later, nick));
      if (displaced === undefined) continue;
      this.monitored.delete(this.key(displaced));
      this.displaced.push(displaced);
      return true;
    }
    return false;
  }

  /** Whether a list before `follower`'s follows the nick too (its place is that list's then). */
  private isFollowedBefore(follower: Follower, nick: string): boolean {
    const address = this.options.addressOf(nick);
    return this.followers.slice(0, this.followers.indexOf(follower)).some(({ list }) => list.has(address));
  }

  /** ISON for the nicks not MONITORed; WHO for the away flag of each nick online; each list within its cap. */
  private poll(): void {
    if (!this.online || this.queued > 0) return;
    const polled = new Set<string>();
    // ISON only once the last answers came: a slow server is not asked again meanwhile.
    const ison = this.isonPending.length === 0;
    for (const follower of this.followers) {
      const addresses = follower.list.addresses.filter((address) => this.options.nickOf(address) !== null && !polled.has(address));
      for (const address of addresses) polled.add(address);
      const nicks = addresses.map((address) => this.options.nickOf(address)!);
      const lines: PollLine[] = [];
      if (ison)
        lines.push(
          ...isonLines(
            nicks.filter((nick) => !this.monitored.has(this.key(nick))),
            this.key,
          ),
        );
      // Away from the nick each has now (a user who changed nick before the bot, under the new one).
      const now = addresses.filter((address) => this.isOnline(address)).map((address) => this.nickNow(address));
      for (const nick of now) if (nick !== null) lines.push({ text: `WHO ${nick}` });
      for (const line of inTurn(follower, lines)) this.send(line);
    }
  }

  private send(line: PollLine): void {
    if (line.batch) this.isonPending.push(line.batch);
    this.line(line.text);
  }

  /** A newly online nick: WHO says whether it is away. */
  private seenOnline(nick: string): void {
    const holder = this.holderOf(nick);
    if (this.isFollowed(holder) && !this.isOnline(holder)) this.line(`WHO ${nick}`);
    this.set(nick, { online: true });
  }

  /** The answer to the oldest ISON batch: the nicks of the batch it does not list are offline. */
  private onIsonAnswer(online: string[]): void {
    const asked = this.isonPending.shift();
    if (!asked) return;
    const listed = new Set(online.map(this.key));
    for (const nick of asked) if (!listed.has(nick)) this.set(nick, { online: false });
  }

  private line(text: string): void {
    this.queued += 1;
    this.options.bot.writer
      .send(text)
      .catch(() => undefined) // presence polling retries on the next tick
      .finally(() => (this.queued -= 1));
  }

  /** A sighting of a nick, for the user who has it now (none: someone else's own nick, left alone). */
  private set(nick: string, seen: Sighting): void {
    const sighting = seen.online && this.options.isOurs?.(nick) === true ? { online: false } : seen;
    this.options.renames?.sighted(nick, sighting.online);
    const address = this.holderOf(nick);
    if (address !== null) this.report(address, sighting);
  }

  /** Reports a sighting to each list following the address: away (and its message) stay as they were unless said. */
  private report(address: Address, { online, away, text }: Sighting): void {
    const nick = this.options.nickOf(address);
    for (const { list, options } of this.followers) {
      if (!list.has(address)) continue;
      const before = list.presenceOf(address);
      const wasAway = before?.status === 'away';
      const isAway = online && (away ?? wasAway);
      // An away message may be coloured as any line is: its words only (formatting.ts).
      const message = text !== undefined ? stripFormatting(text) : wasAway ? before?.text : undefined;
      list.reportChange(address, isAway ? { status: 'away', ...(message ? { text: message } : {}) } : { status: online ? 'available' : 'offline' });
      if (online && nick !== null) options.onSeen?.(nick);
    }
  }
}

/** Nicks in batches that fit a line. */
export function batches(nicks: readonly string[]): string[][] {
  const lines: string[][] = [];
  let batch: string[] = [];
  let size = 0;
  for (const nick of nicks) {
    const cost = Buffer.byteLength(nick) + 1;
    if (batch.length > 0 && (batch.length === NICKS_PER_LINE || size + cost > NICK_BYTES_PER_LINE)) {
      lines.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(nick);
    size += cost;
  }
  if (batch.length > 0) lines.push(batch);
  return lines;
}

/** ISON lines for these nicks, each with the batch it asks about. */
function isonLines(nicks: readonly string[], key: (nick: string) => string): PollLine[] {
  return batches(nicks).map((batch) => ({ text: `ISON ${batch.join(' ')}`, batch: new Set(batch.map(key)) }));
}

/** The lines a list polls this round: all of them within its cap, else the next ones in turn. */
function inTurn(follower: Follower, lines: PollLine[]): PollLine[] {
  const cap = follower.options.linesPerPoll ?? Infinity;
  if (lines.length <= cap) return lines;
  const start = follower.cursor % lines.length;
  follower.cursor = start + cap;
  return Array.from({ length: cap }, (_, i) => lines[(start + i) % lines.length]!);
}
