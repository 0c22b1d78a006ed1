/**
 * Agents' presence on IRC, followed from the bot's connection: online/offline through MONITOR
 * (IRCv3, where ISUPPORT has it) or else ISON polling (RFC 2812 section 4.9); away through
 * away-notify (IRCv3, for agents sharing a channel with the bot) and WHO polling (the H/G flag,
 * RFC 2812 section 3.6.1). Online and here is `available`, online and away is `away`.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import type { InboundSink } from '../network.js';
import type { IrcConnection } from './connection.js';

/** IRC lines stay short: ISON and MONITOR take the nicks in batches. */
const NICKS_PER_LINE = 20;

interface AgentState {
  nick: string;
  online: boolean | undefined;
  away: boolean;
}

export class IrcAgentPresence {
  private readonly agents = new Map<string, AgentState>();
  private timer: NodeJS.Timeout | undefined;
  /** ISON batches asked and not yet answered, in order (servers answer in order). */
  private isonPending: Set<string>[] = [];
  /** Presence lines still in the flood queue: a poll never piles up behind the last one. */
  private queued = 0;

  constructor(
    private readonly bot: IrcConnection,
    private readonly sink: InboundSink,
    private readonly addressOf: (nick: string) => Address,
    private readonly pollMs: number,
    /** Called when an agent is seen online again (messages held for it can go). */
    private readonly onBack: (nick: string) => void = () => undefined,
  ) {
    const { client } = bot;
    client.on('users online', (event: { nicks: string[] }) => this.onOnlineList(event.nicks));
    client.on('users offline', (event: { nicks: string[] }) => {
      for (const nick of event.nicks) this.set(nick, { online: false, away: false });
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

  /** Starts following these agents' nicks (`irc:nick@network` addresses of this network). */
  watch(nicks: string[]): void {
    const added: string[] = [];
    for (const nick of nicks) {
      const key = nick.toLowerCase();
      if (this.agents.has(key)) continue;
      this.agents.set(key, { nick, online: undefined, away: false });
      added.push(nick);
    }
    if (added.length > 0 && this.bot.state === 'online') this.follow(added);
  }

  /** The bot registered: follow everyone again, and poll from now on. */
  onOnline(): void {
    this.follow([...this.agents.values()].map((agent) => agent.nick));
    clearInterval(this.timer);
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** The bot's connection dropped: nobody's presence is known. */
  onOffline(): void {
    clearInterval(this.timer);
    this.isonPending = [];
    for (const agent of this.agents.values()) this.set(agent.nick, { online: false, away: false });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Whether the bot follows this nick's presence (an agent of a team). */
  isFollowed(nick: string): boolean {
    return this.agents.has(nick.toLowerCase());
  }

  /** Whether the nick is an agent known to be off IRC (a message to it would get 401). */
  isAbsent(nick: string): boolean {
    return this.agents.get(nick.toLowerCase())?.online === false;
  }

  /** The server said the agent is not there (401 to a message): absent until it is seen again. */
  markAbsent(nick: string): void {
    this.set(nick, { online: false, away: false });
  }

  private follow(nicks: string[]): void {
    if (this.bot.monitorLimit > 0) {
      for (let i = 0; i < nicks.length; i += NICKS_PER_LINE) this.line(`MONITOR + ${nicks.slice(i, i + NICKS_PER_LINE).join(',')}`);
    }
    this.poll();
  }

  /** ISON when there is no MONITOR; WHO for the away flag of each agent online. */
  private poll(): void {
    if (this.bot.state !== 'online' || this.queued > 0) return;
    const agents = [...this.agents.values()];
    if (this.bot.monitorLimit === 0 && agents.length > 0 && this.isonPending.length === 0) {
      // ISON in batches that fit a line; each answer lists those of its batch online, so the others are offline.
      for (let i = 0; i < agents.length; i += NICKS_PER_LINE) {
        const batch = agents.slice(i, i + NICKS_PER_LINE);
        this.isonPending.push(new Set(batch.map((agent) => agent.nick.toLowerCase())));
        this.line(`ISON ${batch.map((agent) => agent.nick).join(' ')}`);
      }
    }
    for (const agent of agents) if (agent.online) this.line(`WHO ${agent.nick}`);
  }

  private onOnlineList(nicks: string[]): void {
    const online = new Set(nicks.filter(Boolean).map((nick) => nick.toLowerCase()));
    // MONITOR's 730 and ISON's 303 share the event: an ISON answer is due while a batch waits.
    const asked = this.isonPending.shift();
    for (const nick of online) {
      const agent = this.agents.get(nick);
      // A newly online agent: ask WHO for its away flag.
      if (agent && agent.online !== true) this.line(`WHO ${agent.nick}`);
      this.set(nick, { online: true });
    }
    if (asked) for (const nick of asked) if (!online.has(nick)) this.set(nick, { online: false, away: false });
  }

  private line(text: string): void {
    this.queued += 1;
    this.bot.writer
      .send(text)
      .catch(() => undefined) // presence polling retries on the next tick
      .finally(() => (this.queued -= 1));
  }

  private set(nick: string, change: { online: boolean; away?: boolean }): void {
    const agent = this.agents.get(nick.toLowerCase());
    if (!agent) return;
    const before = this.statusOf(agent);
    const known = agent.online !== undefined;
    agent.online = change.online;
    if (change.away !== undefined) agent.away = change.away;
    const after = this.statusOf(agent);
    if (!known || before !== after) this.sink.presence({ address: this.addressOf(agent.nick), status: after });
    if (agent.online) this.onBack(agent.nick);
  }

  private statusOf(agent: AgentState): PresenceStatus {
    if (!agent.online) return 'offline';
    return agent.away ? 'away' : 'available';
  }
}
