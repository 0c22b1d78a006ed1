/**
 * Agents' presence on IRC, on the agents' own watch list of the bot's presence follower
 * (presence-follower.ts: MONITOR or ISON, away-notify and WHO), the first list, so agents take
 * the server's MONITOR places before anyone else. Online and here is `available`, online and away
 * is `away`.
 */
import type { Address } from '@switchboard/protocol';
import type { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import type { IrcPresenceFollower } from './presence-follower.js';

export interface IrcAgentPresenceOptions {
  follower: IrcPresenceFollower;
  sink: InboundSink;
  /** The address of a nick of this network, and back (null for another network's address). */
  addressOf: (nick: string) => Address;
  nickOf: (address: Address) => string | null;
  /** Called when an agent is seen online again (messages held for it can go). */
  onBack?: (nick: string) => void;
}

/** Nicks remembered as seen on IRC, at most (the oldest forgotten first). */
const SEEN_KEPT = 10_000;

export class IrcAgentPresence {
  private readonly list: WatchList;
  /** Addresses of this list seen online since the bridge started (as the server compares nicks: CASEMAPPING). */
  private readonly seen = new Set<Address>();

  constructor(private readonly options: IrcAgentPresenceOptions) {
    const { follower, sink, onBack } = options;
    this.list = follower.list({
      sink,
      onSeen: (nick) => {
        const address = options.addressOf(nick);
        this.seen.delete(address);
        this.seen.add(address);
        if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value!);
        onBack?.(nick);
      },
    });
  }

  /** Whether the bridge saw someone online under this nick since it started (a nick that exists). */
  wasSeen(nick: string): boolean {
    return this.seen.has(this.options.addressOf(nick));
  }

  /** Starts following these agents (addresses of this network's nicks, in any case; others are left out). */
  watch(agents: Address[]): void {
    const { nickOf, addressOf, follower } = this.options;
    const nicks = agents.map(nickOf).filter((nick): nick is string => nick !== null);
    this.list.watch(nicks.map(addressOf), follower.online);
  }

  /** Whether this address is followed as an agent's. */
  follows(address: Address): boolean {
    return this.list.has(address);
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
    this.options.follower.absent(this.options.addressOf(nick));
  }
}
