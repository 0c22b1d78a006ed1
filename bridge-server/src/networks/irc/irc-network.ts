/**
 * The IRC network (docs/networks/irc.md). Puppet mode (the default): each visitor is an IRC user
 * of its own, so an agent in WeeChat or irssi answers with a private message. Relay mode (and the
 * overflow past `maxPuppets`): the bot relays `[name #ref] text` and the agent answers `#ref text`
 * or just replies. Agents' presence comes from MONITOR/ISON and away-notify/WHO. Customers who are
 * not agents write to the bot in private, when configured (customers.ts), and their presence is
 * followed the same way while they keep writing (customer-presence.ts). Every line goes through
 * flood control and the line encoder (512 bytes, no CR/LF/NUL, CTCP neutralised). Files go out as
 * link lines; DCC offers are answered with a notice, never taken (files.ts). A followed user the bot
 * sees change nick keeps their address under the new one while the bot sees them (renames.ts).
 */
import type { Address, Conversation, PresenceStatus } from '@switchboard/protocol';
import type { IrcMessageEvent } from 'irc-framework';
import { Relay } from '../kit/relay.js';
import type {
  ConversationDetails,
  CustomerDoorFeature,
  CustomerIdentity,
  HostedParties,
  IdentityFeature,
  InboundTeam,
  DeskFeature,
  GatewayFeature,
  Network,
  NetworkContext,
  NetworkCore,
  PresenceFeature,
  SendQueueFeature,
  NetworkStatus,
  OutboundMessage,
  SendResult,
} from '../network.js';
import { cutToBytes, oneLine } from '../../util/text.js';
import { IrcAddresses } from './addresses.js';
import { IrcAgentPresence } from './agents.js';
import type { IrcNetworkConfig } from './config.js';
import type { IrcConnection } from './connection.js';
import { IrcConnections } from './connections.js';
import { IrcCustomerPresence } from './customer-presence.js';
import { IrcCustomers } from './customers.js';
import { IrcDelivery, type IrcErrorEvent } from './delivery.js';
import type { CtcpRequest } from './files.js';
import { IrcIdentities } from './identity.js';
import { IrcInbound } from './inbound.js';
import { IrcPresenceFollower } from './presence-follower.js';
import { IrcRenames } from './renames.js';
import { SupportChannel } from './support-channel.js';

export { ircNetworkConfigSchema, type IrcNetworkConfig } from './config.js';

export function createIrcNetwork(context: NetworkContext<IrcNetworkConfig>): Network {
  return new IrcNetwork(context);
}

/** How a CTCP ACTION (`/me`) starts, its text after it (none in an empty `/me`). */
const CUT_ACTION = /^\x01ACTION(?: |$)/;
/**
 * How long a stop waits for the lines being handled: a store that does not answer fails a write
 * after its query timeout (store.queryTimeoutSeconds, 5 s) and a second.
 */
const STOP_SETTLE_MS = 7_000;

/** One IRC network: the bot and puppets, agents' presence, and messages both ways. */
export class IrcNetwork implements NetworkCore, PresenceFeature, DeskFeature, GatewayFeature, SendQueueFeature, IdentityFeature, CustomerDoorFeature {
  readonly scheme = 'irc';
  readonly deliversFromStore = false;
  private readonly addresses: IrcAddresses;
  private readonly hosted: HostedParties;
  private readonly relay: Relay;
  private readonly connections: IrcConnections;
  private readonly presence: IrcPresenceFollower;
  private readonly agents: IrcAgentPresence;
  private readonly customerPresence: IrcCustomerPresence | undefined;
  private readonly channel: SupportChannel | undefined;
  private readonly delivery: IrcDelivery;
  private readonly inbound: IrcInbound;
  private readonly identities: IrcIdentities;
  private readonly customers: IrcCustomers | undefined;
  private readonly renames: IrcRenames;
  private readonly puppetIdleMs: number;
  /** The bot's configured nick: the one to name while the bot is not connected here. */
  private readonly botNick: string;
  /** The away message each puppet shows, while its party is not available (kept with the connection, gone with it). */
  private readonly awayTexts = new WeakMap<IrcConnection, string>();

  constructor({ config, sink, logger, refs, hosted, teams, files, records, gateway }: NetworkContext<IrcNetworkConfig>) {
    this.hosted = hosted;
    this.puppetIdleMs = config.puppetIdleMinutes * 60_000;
    this.botNick = config.nick;
    // The server's CASEMAPPING once the bot registered (rfc1459, the RFC's, until then).
    const addresses = (this.addresses = new IrcAddresses(config.id, hosted, () => this.connections?.bot.casemapping ?? 'rfc1459'));
    const relay = (this.relay = new Relay({ network: 'irc', sink, refs, bot: addresses.addressOf(config.nick) }));
    const connections = (this.connections = new IrcConnections({
      config,
      sink,
      logger,
      hosted,
      addresses,
      onBotOnline: () => {
        this.presence.onOnline();
        this.channel?.onOnline();
      },
      onBotOffline: () => {
        this.presence.onOffline();
        this.renames.lostSight(); // renames while it was away went unseen
      },
      onPuppet: (connection, visitor) => this.listen(connection, visitor),
      // A server forgets a connection's AWAY with it: a puppet back after a drop shows it again.
      onPuppetOnline: (connection) => {
        const away = this.awayTexts.get(connection);
        if (away) connection.writer.send(awayLine(connection, away)).catch(() => undefined);
      },
      reserved: (address) => sink.isAgent(address) || this.follows(address),
    }));
    const { bot } = connections;
    const pollMs = config.presencePollSeconds * 1000;
    const onBack = (nick: string) => void this.delivery.agentBack(nick);
    // Only the users the bridge follows keep their address under a new nick (a bounded set).
    const renames = (this.renames = new IrcRenames({
      bot,
      addressOf: addresses.addressOf,
      nickOf: addresses.nickOf,
      isOurs: (nick) => connections.isOurs(nick),
      cares: (address) => this.follows(address),
      onChange: (address, here) => (here ? this.presence.renamed(address) : this.presence.absent(address)),
    }));
    const follower = (this.presence = new IrcPresenceFollower({
      bot,
      addressOf: addresses.addressOf,
      nickOf: addresses.nickOf,
      pollMs,
      renames,
      isOurs: (nick) => connections.isOurs(nick),
    }));
    const agents = (this.agents = new IrcAgentPresence({ follower, sink, addressOf: addresses.addressOf, nickOf: addresses.nickOf, onBack }));
    this.channel = config.channel ? new SupportChannel({ bot, channel: config.channel, key: config.channelKey, sink, refs: relay.refs, logger }) : undefined;
    const customers = (this.customers = config.customers ? new IrcCustomers(config.customers, teams ?? [], config.id) : undefined);
    const customerPresence = (this.customerPresence = customers
      ? new IrcCustomerPresence({ follower, sink, followedElsewhere: (address) => agents.follows(address) })
      : undefined);
    this.delivery = new IrcDelivery({ config, sink, logger, addresses, connections, agents, relay, hosted, files, renames, records });
    this.inbound = new IrcInbound({
      sink,
      logger,
      requireAccount: config.requireAccount,
      addresses,
      connections,
      relay,
      channel: this.channel,
      customers,
      gateway: gateway === true,
      onCustomerMessage: (customer) => customerPresence?.wrote(customer),
      renames,
    });
    this.identities = new IrcIdentities({ bot, nickOf: addresses.nickOf, nickNow: (address) => renames.nickFor(address) });
    this.listen(bot, undefined);
  }

  /**
   * A bare `/whois` is the IRC client's own command: the bot's commands go as private messages to
   * it. The nick the server knows it by; its configured one where the bot does not run (a node of
   * a cluster without the network's lease writes the line that the holder sends).
   */
  get commandPrefix(): string {
    return `/msg ${this.connections.bot.nick || this.botNick} `;
  }

  status(): NetworkStatus {
    return this.connections.bot.status;
  }

  /** Whether the bot follows the user of an address (an agent, or a customer it watches). */
  private follows(address: Address): boolean {
    return this.agents.follows(address) || this.customerPresence?.follows(address) === true;
  }

  async start(): Promise<void> {
    this.inbound.open();
    // What waited for agents off IRC when the network last ran (here, or on a node that died) waits
    // again; each goes when the presence polls see its agent (every sighting flushes).
    await this.delivery.held.restore();
    await this.connections.bot.start(); // a first failure is reported, and retried
  }

  async stop(): Promise<void> {
    this.presence.stop();
    this.customerPresence?.stop();
    this.channel?.stop();
    // Lines read and not yet stored are answered before the connections close (a refusal, when the
    // store is what made this node lose the network, reaches the sender rather than nothing).
    await this.inbound.settle(STOP_SETTLE_MS);
    // Kept in the store for the next start (or the node that takes the network over).
    this.delivery.held.release('the bridge stopped before it came back');
    await this.connections.closeAll('Bridge shutting down');
  }

  send(outbound: OutboundMessage): Promise<SendResult> {
    return this.delivery.send(outbound);
  }

  /**
   * The puppet shows away while its visitor (or gateway user) is away, busy or gone (RFC 2812
   * section 4.1): IRC has no other state for a connected user.
   */
  async sharePresence({ from, status, text }: { from: Address; to: Address; status: PresenceStatus; text?: string }): Promise<void> {
    const puppet = this.connections.puppets.get(from);
    if (!puppet) return;
    const gone = status === 'offline' ? (this.hosted.isHosted(from) ? 'Left the page' : 'Offline') : status === 'busy' ? 'Busy' : 'Away';
    const reason = oneLine(text ?? '').trim();
    const away = status === 'available' ? undefined : reason ? `${gone}: ${reason}` : gone;
    if (away) this.awayTexts.set(puppet, away);
    else this.awayTexts.delete(puppet);
    // Offline (a drop, its first registration under way): shown once it is online.
    if (puppet.state !== 'online') return;
    await puppet.writer.send(away ? awayLine(puppet, away) : 'AWAY');
  }

  /**
   * A visitor's or gateway user's puppet comes back after a restart while its conversation is open
   * and was active within the idle time (else it would have quit): the agent or IRC user answers
   * in the query window they have, as before.
   */
  async restoreParty({ from, fromName, lastActive, conversationId }: Parameters<NonNullable<Network['restoreParty']>>[0]): Promise<boolean> {
    const { puppets } = this.connections;
    // There all along (a reconnect): its presence is known and shown as usual.
    if (puppets.get(from)) return false;
    const at = Date.parse(lastActive);
    if (!(Date.now() - at < this.puppetIdleMs)) return false;
    const puppet = await this.connections.puppetFor(from, this.addresses.nameOf(from, fromName), conversationId);
    if (!puppet) return false;
    puppets.touch(from, at);
    return true;
  }

  subscribePresence(addresses: Address[]): Promise<void> {
    this.addresses.keep(addresses);
    this.agents.watch(addresses);
    return Promise.resolve();
  }

  normalizeAddress(address: string): Address | null {
    return this.addresses.normalize(address);
  }

  ownsAddress(address: Address): boolean {
    const nick = this.addresses.nickOf(address);
    return nick !== null && this.connections.isOurs(nick);
  }

  async notice({
    to,
    text,
    about,
  }: {
    to: Address;
    text: string;
    about?: { conversation: Conversation; visitor: Address; visitorName?: string };
  }): Promise<void> {
    // The nick its user has now; none while someone else has theirs.
    const target = this.renames.nickFor(to);
    if (!target) return;
    if (!about) {
      this.connections.notice(this.connections.bot, target, text, 40);
      return;
    }
    this.relay.heardFrom(to, about.conversation.id);
    await this.delivery.introduce(target, text, about);
  }

  conversationChanged(conversation: Conversation, details: ConversationDetails): void {
    this.channel?.conversationChanged(conversation, details, (member) => this.addresses.nickOf(member) !== null);
    this.relay.conversationChanged(conversation);
    // A closed conversation's visitor leaves IRC: the slot goes to the next visitor (a puppet per
    // connection counts against the server's limit per address).
    if (conversation.state === 'closed')
      for (const party of conversation.participants) this.connections.puppets.release(party, 'Conversation closed', conversation.id);
  }

  /** The bot takes customers' messages only with `customers` configured (docs/customers.md, "IRC"). */
  customerDoor(team: string): InboundTeam | null {
    return this.customers?.doorFor(team) ?? null;
  }

  identityOf(address: Address): Promise<CustomerIdentity> {
    return this.identities.identityOf(address);
  }

  sendQueueDepth(): number {
    return this.connections.queueDepth();
  }

  /** Wires a connection's incoming traffic: `visitor` is the puppet's visitor, undefined for the bot. */
  private listen(connection: IrcConnection, visitor: Address | undefined): void {
    const received = (action: boolean) => (event: IrcMessageEvent) => this.inbound.received(connection, visitor, event, action);
    connection.client.on('privmsg', (event: IrcMessageEvent) => {
      // A `/me` the server cut at 512 bytes lost its closing \x01, so irc-framework took it for a
      // plain message: it is still the action (CTCP, modern.ircdocs.horse/ctcp: the final \x01 may be missing).
      const cut = CUT_ACTION.exec(event.message);
      if (cut) received(true)({ ...event, message: event.message.slice(cut[0].length) });
      else received(false)(event);
    });
    connection.client.on('action', received(true));
    connection.client.on('ctcp request', (request: CtcpRequest) => this.inbound.ctcp(connection, request));
    connection.client.on('irc error', (event: IrcErrorEvent) => {
      this.delivery.onRefused(connection, event);
      // RFC 2812 section 5.2, 401 ERR_NOSUCHNICK: nobody has the nick now.
      if (event.error === 'no_such_nick' && event.nick) this.renames.quit(event.nick);
    });
  }
}

/** Bytes of an away message at most where the server announces no AWAYLEN: the line stays far below IRC's 512. */
const AWAY_BYTES = 200;

/**
 * The `AWAY` line for a message, cut to the server's AWAYLEN (ISUPPORT) or AWAY_BYTES, whichever is
 * less, between whole characters: a line past 512 bytes gets the connection dropped (ngircd's
 * "Request too long"), and the puppet would be dropped again at each reconnection.
 */
function awayLine(puppet: IrcConnection, text: string): string {
  return `AWAY :${cutToBytes(text, Math.min(puppet.awayLen ?? AWAY_BYTES, AWAY_BYTES))}`;
}
