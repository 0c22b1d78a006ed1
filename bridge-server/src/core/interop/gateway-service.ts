/**
 * What the gateway adds to the core (docs/gateway.md): its policy, the hop marker each gateway
 * message carries on to the next network, presence subscriptions between users of two networks,
 * and `/to`, the command that lets a user start a conversation with a user of another network from
 * any client (an IRC user has no other way to name one).
 */
import { type Address, type Message, type PresenceStatus, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics.js';
import type { FollowOutcome, HostedParties, InboundFollow } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ConversationRecord, OutboxItem, Store } from '../../store/store.js';
import type { Announcer } from '../announcer.js';
import { BridgeError } from '../errors.js';
import { type GatewayConfig, GatewayPolicy } from './gateway-policy.js';
import { readTypedAddress } from '../typed-address.js';
import type { PresenceService } from '../presence.js';

/** An address of each network, as the gateway's help shows them. */
const EXAMPLE_ADDRESSES: Record<string, string> = {
  xmpp: 'xmpp:carl@example.org',
  sip: 'sip:bob@example.com',
  irc: 'irc:dave',
  mailto: 'mailto:erin@example.net',
};

/** An example address of each network a user may reach (the ones this gateway connects their network to). */
function examples(reachable: readonly string[]): string[] {
  return reachable.map((network) => EXAMPLE_ADDRESSES[network] ?? `${network}:someone`);
}

/** The gateway's commands for a user who may reach these networks (`/help`). */
export function gatewayHelp(reachable: readonly string[]): string {
  return [
    'Gateway commands:',
    `/to ADDRESS TEXT  write to a user of another network (${examples(reachable).join(', ') || 'none is open to you'}); their replies come back to you as from a user of your own network`,
    '/follow ADDRESS  see the presence of a user of another network (and they see yours)',
    '/unfollow ADDRESS  stop',
    '/help  this list',
  ].join('\n');
}

export interface GatewayServiceDeps {
  config: GatewayConfig;
  bridgeId: string;
  store: Store;
  registry: NetworkRegistry;
  presence: PresenceService;
  /** The parties the bridge hosts itself (website visitors): never on either side of the gateway. */
  hosted: HostedParties;
  announcer: Announcer;
  logger: Logger;
  metrics: Metrics;
  /** Stores a message from a user of one network to a user of another (the core's inbound path). */
  deliver(input: { network: string; from: Address; to: Address; text: string }): Promise<Message | null>;
}

export class GatewayService {
  readonly policy: GatewayPolicy;

  constructor(private readonly deps: GatewayServiceDeps) {
    this.policy = new GatewayPolicy(
      deps.config,
      deps.bridgeId,
      (address) => deps.registry.forAddress(address)?.ownsAddress?.(address) ?? false,
      (address) => deps.hosted.isHosted(address),
    );
  }

  get site(): string {
    return this.deps.config.site;
  }

  /** Whether the bridge hosts `address` itself (a website visitor): on no side of the gateway. */
  hosts(address: Address): boolean {
    return this.deps.hosted.isHosted(address);
  }

  /** A conversation of two users of other networks, held by the gateway's site. */
  isGatewayConversation(conversation: ConversationRecord): boolean {
    return conversation.siteKey === this.site && conversation.team === undefined && conversation.participants.every((p) => !this.deps.hosted.isHosted(p));
  }

  /**
   * The conversation a message from one user of another network to another one goes in, once the
   * policy lets it through (else a BridgeError): `conversation` when it exists, else a new one. A
   * reply through a relay names the conversation, not the other user.
   */
  async conversationFor(
    input: { from: Address; to: Address; via?: readonly string[] | undefined },
    conversation: ConversationRecord | null,
  ): Promise<ConversationRecord> {
    const peer = conversation?.participants.find((p) => p !== input.from) ?? input.to;
    const verdict = this.policy.check(input.from, peer, input.via);
    if (!verdict.ok) {
      this.deps.metrics.gatewayRefused.inc({ reason: verdict.reason });
      this.deps.logger.info({ from: input.from, to: peer, reason: verdict.reason, via: input.via }, 'gateway message refused');
      throw new BridgeError(verdict.reason === 'rate-limited' ? 'rate_limited' : 'forbidden', verdict.message);
    }
    return conversation ?? this.open(input.from, input.to);
  }

  /** The conversation between two users of other networks (the first message opens it). */
  private async open(from: Address, to: Address): Promise<ConversationRecord> {
    const existing = await this.deps.store.findOpenConversation({ siteKey: this.site, openedBy: from, with: to });
    if (existing) return existing;
    const created = await this.deps.store.createConversation({ siteKey: this.site, openedBy: from, participants: [from, to] });
    this.deps.logger.info({ conversation: created.id, from, to }, 'gateway conversation opened');
    // Each side's network follows its user's presence, which is then shown to the other side.
    this.followPresence([[from, to]]);
    this.deps.announcer.opened(created);
    this.deps.announcer.announce(created);
    return created;
  }

  /**
   * The hop marker an outbox item carries on: the hops its message came with (stored with it, so
   * any node, and a restarted bridge, knows them), then this bridge.
   */
  viaOf(item: Pick<OutboxItem, 'via'>): readonly string[] {
    return [...(item.via ?? []), this.deps.bridgeId];
  }

  /**
   * Asks each party's own network to follow its presence, so the other side of each pair can be
   * shown it; the network hears who it is followed for (XMPP asks from that contact's JID).
   */
  followPresence(pairs: readonly (readonly [Address, Address])[]): void {
    const asked = new Set<string>();
    for (const [one, other] of pairs) {
      for (const [party, peer] of [
        [one, other],
        [other, one],
      ] as const) {
        if (asked.has(`${party} ${peer}`)) continue;
        asked.add(`${party} ${peer}`);
        void this.deps.store
          .getParty(peer)
          .catch(() => null)
          .then((known) => this.deps.registry.forAddress(party)?.subscribePresence?.([party], { address: peer, ...(known?.name ? { name: known.name } : {}) }))
          .catch((error: unknown) => this.deps.logger.debug({ err: error, party }, 'gateway presence not followed'));
      }
    }
  }

  /** A user subscribes to (or unsubscribes from) the presence of a user of another network. */
  async follow({ watcher, target, follow }: InboundFollow): Promise<FollowOutcome> {
    if (!follow) {
      await this.deps.store.setGatewayFollow({ watcher, target }, false);
      return { ok: true };
    }
    const verdict = this.policy.reachable(watcher, target);
    if (!verdict.ok) return { ok: false, reason: verdict.message };
    await this.deps.store.setGatewayFollow({ watcher, target }, true);
    this.followPresence([[watcher, target]]);
    // What is known now goes at once; every change follows (the core's presence listener).
    const known = this.deps.presence.get(target);
    await this.show(target, watcher, known.status, known.text);
    return { ok: true };
  }

  /** Parties that see `address`'s presence because of a subscription, on either side. */
  async followPeers(address: Address): Promise<Address[]> {
    const follows = await this.deps.store.gatewayFollows(address);
    return follows.map((follow) => (follow.watcher === address ? follow.target : follow.watcher));
  }

  /** After a start: follow again the presence of everyone in a subscription. */
  async resume(): Promise<void> {
    const follows = await this.deps.store.gatewayFollows();
    // And everyone in an open gateway conversation: else, after a restart, a user online on one
    // side shows offline (an IRC puppet `AWAY :Offline`) on the other until they change presence.
    const talking = (await this.openGatewayConversations()).flatMap(({ participants: [opener, ...others] }) =>
      others.map((other) => [opener!, other] as const),
    );
    this.followPresence([...follows.map((follow) => [follow.watcher, follow.target] as const), ...talking]);
  }

  private async openGatewayConversations(): Promise<ConversationRecord[]> {
    const open = await this.deps.store.listConversations({ siteKey: this.site, state: 'open', limit: 1000 });
    return open.filter((conversation) => this.isGatewayConversation(conversation));
  }

  /**
   * The network is back (or the bridge started): the users of other networks its users talk with
   * come back where the network shows them as its own (IRC puppets), and its gateway users are
   * shown the current presence of everyone they follow or talk with.
   */
  async reshare(scheme: string): Promise<void> {
    const conversations = await this.openGatewayConversations();
    const restored = await this.restoreParties(scheme, conversations);
    const pairs: [from: Address, to: Address][] = [];
    for (const follow of await this.deps.store.gatewayFollows()) pairs.push([follow.target, follow.watcher], [follow.watcher, follow.target]);
    for (const conversation of conversations) {
      for (const from of conversation.participants) for (const to of conversation.participants) if (from !== to) pairs.push([from, to]);
    }
    const seen = new Set<string>();
    for (const [from, to] of pairs) {
      if (networkOf(to) !== scheme || networkOf(from) === scheme || seen.has(`${from} ${to}`)) continue;
      seen.add(`${from} ${to}`);
      const known = this.deps.presence.get(from);
      // Just after a start `offline` may only mean not known yet: a party brought back shows as
      // one that writes does, until its presence comes (its change is shown then).
      if (known.status === 'offline' && restored.has(from)) continue;
      await this.show(from, to, known.status, known.text);
    }
  }

  /** Parties of other networks brought back on `scheme` for its users in open conversations, the most recently active first. */
  private async restoreParties(scheme: string, conversations: readonly ConversationRecord[]): Promise<Set<Address>> {
    const restored = new Set<Address>();
    const network = this.deps.registry.get(scheme);
    if (!network?.restoreParty || network.status().state !== 'online') return restored;
    for (const conversation of conversations) {
      const to = conversation.participants.find((party) => networkOf(party) === scheme);
      if (to === undefined) continue;
      for (const from of conversation.participants) {
        if (networkOf(from) === scheme || restored.has(from)) continue;
        const fromName = (await this.deps.store.getParty(from))?.name;
        const back = await network
          .restoreParty({ from, to, lastActive: conversation.updatedAt, conversationId: conversation.id, ...(fromName ? { fromName } : {}) })
          .catch((error: unknown) => (this.deps.logger.debug({ err: error, party: from }, 'gateway party not restored'), false));
        if (back) restored.add(from);
      }
    }
    return restored;
  }

  /** Shows `from`'s presence to `to` on `to`'s network. */
  async show(from: Address, to: Address, status: PresenceStatus, text?: string): Promise<void> {
    const network = this.deps.registry.forAddress(to);
    if (!network?.sharePresence || network.status().state !== 'online') return;
    await network.sharePresence({ from, to, status, ...(text !== undefined ? { text } : {}) });
  }

  /** `/to`, `/follow`, `/unfollow` (and `/help` for users who are no agents); null for any other command. */
  async command(from: Address, text: string): Promise<string | null> {
    const match = /^\s*\/(\S+)\s*([\s\S]*)$/.exec(text);
    const name = match?.[1]?.toLowerCase();
    const rest = match?.[2] ?? '';
    const reachable = [...new Set(this.deps.config.allow.filter((pair) => pair.from === networkOf(from)).map((pair) => pair.to))];
    if (name === 'help') return gatewayHelp(reachable);
    if (name === 'to' || name === 'msg') {
      const args = /^(\S+)\s+([\s\S]*\S)\s*$/.exec(rest);
      if (!args) return `Usage: /to ADDRESS TEXT (for example /to ${examples(reachable)[0] ?? EXAMPLE_ADDRESSES.sip} Hello)`;
      const to = this.parseAddress(args[1]!);
      if (typeof to !== 'string') return to.error;
      try {
        const stored = await this.deps.deliver({ network: networkOf(from), from, to, text: args[2]! });
        if (!stored) return `Not delivered to ${to}.`;
        return `Sent to ${to}. Their replies come to you as from a user of your own network; answer there.`;
      } catch (error) {
        return `Not delivered to ${to}: ${(error as Error).message}`;
      }
    }
    if (name === 'follow' || name === 'unfollow') {
      const typed = rest.trim();
      if (!typed || /\s/.test(typed)) return `Usage: /${name} ADDRESS (for example /${name} sip:bob@example.com)`;
      const target = this.parseAddress(typed);
      if (typeof target !== 'string') return target.error;
      const outcome = await this.follow({ watcher: from, target, follow: name === 'follow' });
      if (!outcome.ok) return `Not following ${target}: ${outcome.reason}`;
      return name === 'follow' ? `Following ${target}'s presence; they see yours.` : `No longer following ${target}.`;
    }
    return null;
  }

  /** An address a user typed, in its network's canonical form, or why it is not one. */
  private parseAddress(typed: string): Address | { error: string } {
    return readTypedAddress(typed, this.deps.registry, this.deps.hosted);
  }
}
