/**
 * What the gateway adds to the core (docs/gateway.md): its policy, the hop marker each gateway
 * message carries on to the next network, presence subscriptions between users of two networks,
 * and `/to`, the command that lets a user start a conversation with a user of another network from
 * any client (an IRC user has no other way to name one).
 */
import type { Address, Message, PresenceStatus } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { FollowOutcome, InboundFollow } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { type GatewayConfig, GatewayPolicy } from './gateway-policy.js';
import type { PresenceService } from '../presence.js';
import { LRUCache } from 'lru-cache';

/** Hop markers kept for messages still on their way out (the oldest are forgotten first). */
const HOPS_KEPT = 10_000;

export const GATEWAY_HELP = [
  'Gateway commands:',
  '/to ADDRESS TEXT  write to a user of another network (xmpp:carl@example.org, sip:bob@example.com, irc:dave); their replies come back to you as from a user of your own network',
  '/follow ADDRESS  see the presence of a user of another network (and they see yours)',
  '/unfollow ADDRESS  stop',
  '/help  this list',
].join('\n');

export interface GatewayServiceDeps {
  config: GatewayConfig;
  bridgeId: string;
  store: Store;
  registry: NetworkRegistry;
  presence: PresenceService;
  logger: Logger;
  /** Stores a message from a user of one network to a user of another (the core's inbound path). */
  deliver(input: { network: string; from: Address; to: Address; text: string }): Promise<Message | null>;
}

export class GatewayService {
  readonly policy: GatewayPolicy;
  private readonly hops = new LRUCache<string, readonly string[]>({ max: HOPS_KEPT });

  constructor(private readonly deps: GatewayServiceDeps) {
    this.policy = new GatewayPolicy(deps.config, deps.bridgeId, (address) => deps.registry.forAddress(address)?.ownsAddress?.(address) ?? false);
  }

  get site(): string {
    return this.deps.config.site;
  }

  /** A conversation of two users of other networks, held by the gateway's site. */
  isGatewayConversation(conversation: ConversationRecord): boolean {
    return conversation.siteKey === this.site && conversation.team === undefined && conversation.participants.every((p) => !p.startsWith('web:'));
  }

  /** Remembers the hop marker a stored message carries on: the hops it came with, then this bridge. */
  recordHops(messageId: string, via: readonly string[] = []): void {
    this.hops.set(messageId, [...via, this.deps.bridgeId]);
  }

  /** The hop marker for a message on its way out (a message from before a restart carries this bridge's id alone). */
  viaOf(message: Message): readonly string[] {
    return this.hops.get(message.id) ?? [this.deps.bridgeId];
  }

  /** Asks each party's own network to follow its presence, so the other side can be shown it. */
  followPresence(parties: readonly Address[]): void {
    for (const party of parties) {
      this.deps.registry
        .forAddress(party)
        ?.subscribePresence?.([party])
        .catch((error: unknown) => this.deps.logger.debug({ err: error, party }, 'gateway presence not followed'));
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
    this.followPresence([watcher, target]);
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
    this.followPresence([...new Set(follows.flatMap((follow) => [follow.watcher, follow.target]))]);
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
    if (name === 'help') return GATEWAY_HELP;
    if (name === 'to' || name === 'msg') {
      const args = /^(\S+)\s+([\s\S]*\S)\s*$/.exec(rest);
      if (!args) return 'Usage: /to ADDRESS TEXT (for example /to sip:bob@example.com Hello)';
      const to = this.parseAddress(args[1]!);
      if (typeof to !== 'string') return to.error;
      try {
        const stored = await this.deps.deliver({ network: from.slice(0, from.indexOf(':')), from, to, text: args[2]! });
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
    const scheme = typed.includes(':') ? typed.slice(0, typed.indexOf(':')).toLowerCase() : '';
    const network = scheme ? this.deps.registry.get(scheme) : undefined;
    if (!network || scheme === 'web')
      return { error: `"${typed}" is not an address of a network this bridge connects (write it with its network: xmpp:..., sip:..., irc:...).` };
    const address = `${scheme}${typed.slice(scheme.length)}`;
    const normalized = network.normalizeAddress ? network.normalizeAddress(address) : (address as Address);
    return normalized ?? { error: `"${typed}" is not a valid ${scheme} address.` };
  }
}
