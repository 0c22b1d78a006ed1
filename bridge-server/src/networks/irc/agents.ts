/**
 * Agents' presence on IRC, followed from the bot's connection on the network kit's watch list:
 * online/offline through MONITOR (IRCv3, where ISUPPORT has it) or else ISON polling (RFC 2812
 * section 4.9); away through away-notify (IRCv3, for agents sharing a channel with the bot) and
 * WHO polling (the H/G flag, RFC 2812 section 3.6.1). Online and here is `available`, online and
 * away is `away`. Polling repeats itself: only changes reach the sink.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import type { IrcConnection } from './connection.js';

/** IRC lines stay short: ISON and MONITOR take the nicks in batches. */
const NICKS_PER_LINE = 20;

export interface IrcAgentPresenceOptions {
  bot: IrcConnection;
  sink: InboundSink;
  /** The address of a nick of this network, and back (null for another network's address). */
  addressOf: (nick: string) => Address;
  nickOf: (address: Address) => string | null;
  pollMs: number;
  /** Called when an agent is seen online again (messages held for it can go). */
  onBack?: (nick: string) => void;
}

export class IrcAgentPresence {
  private readonly list: WatchList;
  private timer: NodeJS.Timeout | undefined;
  /** ISON batches asked and not yet answered, in order (servers answer in order). */
  private isonPending: Set<string>[] = [];
  /** Presence lines still in the flood queue: a poll never piles up behind the last one. */
  private queued = 0;

  constructor(private readonly options: IrcAgentPresenceOptions) {
    this.list = new WatchList({ sink: options.sink, follow: (agents) => this.follow(this.nicksOf(agents)) });
    const { client } = options.bot;
    client.on('users online', (event: { nicks: string[] }) => this.onOnlineList(event.nicks));
    client.on('users offline', (event: { nicks: string[] }) => {
      for (const nick of event.nicks) this.set(nick, { online: false });
    });
    client.on('away', (event: { nick: string; self?: boolean }) => {
      if (!event.self) this.set(event.nick, { online: true, away: true });
    });
    client.on('back', (event: { nick: string; self?: boolean }) => {
      if (!event.self) this.set(event.nick, { online: true, away: false });
    });
    client.on('wholist', (event: { target: string; users: { nick: string; away?: boolean }[] }) => {
      for (const user of event.users) this.set(user.nick, { online: true, away: user.away === true });
    });
  }

  /** Starts following these agents (addresses of this network's nicks, in any case; others are left out). */
  watch(agents: Address[]): void {
    const { nickOf, addressOf } = this.options;
    const nicks = agents.map(nickOf).filter((nick): nick is string => nick !== null);
    this.list.watch(nicks.map(addressOf), this.options.bot.state === 'online');
  }

  /** The bot registered: follow everyone again, and poll from now on. */
  onOnline(): void {
    this.list.reconnected();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  /** The bot's connection dropped: nobody's presence is known. */
  onOffline(): void {
    clearInterval(this.timer);
    this.isonPending = [];
    this.list.dropped();
  }

  stop(): void {
    clearInterval(this.timer);
    this.list.stopped();
  }

  /** Whether the bot follows this nick's presence (an agent of a team). */
  isFollowed(nick: string): boolean {
    return this.list.has(this.options.addressOf(nick));
  }

  /** Whether the nick is an agent known to be off IRC (a message to it would get 401). */
  isAbsent(nick: string): boolean {
    return this.list.statusOf(this.options.addressOf(nick)) === 'offline';
  }

  /** The server said the agent is not there (401 to a message): absent until it is seen again. */
  markAbsent(nick: string): void {
    this.set(nick, { online: false });
  }

  private nicksOf(agents: readonly Address[]): string[] {
    return agents.map((agent) => this.options.nickOf(agent)!);
  }

  private follow(nicks: string[]): void {
    if (this.options.bot.monitorLimit > 0) {
      for (let i = 0; i < nicks.length; i += NICKS_PER_LINE) this.line(`MONITOR + ${nicks.slice(i, i + NICKS_PER_LINE).join(',')}`);
    }
    this.poll();
  }

  /** ISON when there is no MONITOR; WHO for the away flag of each agent online. */
  private poll(): void {
    const { bot } = this.options;
    if (bot.state !== 'online' || this.queued > 0) return;
    const nicks = this.nicksOf(this.list.addresses);
    if (bot.monitorLimit === 0 && nicks.length > 0 && this.isonPending.length === 0) {
      // ISON in batches that fit a line; each answer lists those of its batch online, so the others are offline.
      for (let i = 0; i < nicks.length; i += NICKS_PER_LINE) {
        const batch = nicks.slice(i, i + NICKS_PER_LINE);
        this.isonPending.push(new Set(batch.map((nick) => nick.toLowerCase())));
        this.line(`ISON ${batch.join(' ')}`);
      }
    }
    for (const nick of nicks) if (this.isOnline(nick)) this.line(`WHO ${nick}`);
  }

  private onOnlineList(nicks: string[]): void {
    const online = new Set(nicks.filter(Boolean).map((nick) => nick.toLowerCase()));
    // MONITOR's 730 and ISON's 303 share the event: an ISON answer is due while a batch waits.
    const asked = this.isonPending.shift();
    for (const nick of online) {
      // A newly online agent: ask WHO for its away flag.
      if (this.isFollowed(nick) && !this.isOnline(nick)) this.line(`WHO ${this.options.nickOf(this.options.addressOf(nick))}`);
      this.set(nick, { online: true });
    }
    if (asked) for (const nick of asked) if (!online.has(nick)) this.set(nick, { online: false });
  }

  private isOnline(nick: string): boolean {
    const status = this.list.statusOf(this.options.addressOf(nick));
    return status !== undefined && status !== 'offline';
  }

  private line(text: string): void {
    this.queued += 1;
    this.options.bot.writer
      .send(text)
      .catch(() => undefined) // presence polling retries on the next tick
      .finally(() => (this.queued -= 1));
  }

  /** Online keeps the away flag it had unless told (offline clears it): `away` or `available`. */
  private set(nick: string, change: { online: boolean; away?: boolean }): void {
    const address = this.options.addressOf(nick);
    if (!this.list.has(address)) return;
    const away = change.away ?? this.list.statusOf(address) === 'away';
    const status: PresenceStatus = !change.online ? 'offline' : away ? 'away' : 'available';
    this.list.reportChange(address, { status });
    if (change.online) this.options.onBack?.(this.options.nickOf(address)!);
  }
}
