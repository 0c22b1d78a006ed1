/**
 * Presence that crosses networks: a hosted party's (a website visitor's) to the parties it talks
 * with on other networks (its puppet's presence), and in gateway mode a user's to the other side
 * of its gateway conversations and follows (XMPP presence <-> SIMPLE PUBLISH). An agent's own
 * presence is its team's business. Also asks networks to follow their team members' presence.
 */
import { type Presence, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { HostedParties } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { Store } from '../store/store.js';
import type { TeamDirectory } from './desk/teams.js';
import type { GatewayService } from './interop/gateway-service.js';

export interface PresenceSharingDeps {
  store: Store;
  registry: NetworkRegistry;
  teams: TeamDirectory;
  hosted: HostedParties;
  /** Gateway mode, when configured. */
  interop: GatewayService | undefined;
  logger: Logger;
}

export class PresenceSharing {
  constructor(private readonly deps: PresenceSharingDeps) {}

  /** A party's presence changed: shown to its peers on other networks (in the background). */
  changed(presence: Presence): void {
    const { interop: gateway, teams } = this.deps;
    const hosted = this.deps.hosted.isHosted(presence.address);
    if (!hosted && (!gateway || teams.teamsOf(presence.address).length > 0)) return;
    this.share(presence, hosted).catch((error: unknown) => this.deps.logger.debug({ err: error }, 'presence not shared'));
  }

  private async share(presence: Presence, hosted: boolean): Promise<void> {
    const { interop: gateway } = this.deps;
    let conversations = await this.deps.store.listConversations({ participant: presence.address, state: 'open', limit: 50 });
    if (!hosted) conversations = conversations.filter((c) => gateway?.isGatewayConversation(c) ?? false);
    const followers = !hosted && gateway ? await gateway.followPeers(presence.address) : [];
    const ownNetwork = networkOf(presence.address);
    const peers = new Set([...conversations.flatMap((c) => c.participants), ...followers].filter((p) => p !== presence.address && networkOf(p) !== ownNetwork));
    for (const peer of peers) {
      const network = this.deps.registry.forAddress(peer);
      if (!network?.sharePresence || network.status().state !== 'online') continue;
      await network.sharePresence({
        from: presence.address,
        to: peer,
        status: presence.status,
        ...(presence.text !== undefined ? { text: presence.text } : {}),
      });
    }
  }

  /** Asks each network to follow the presence of the team members it carries (agents on XMPP, ...). */
  async followTeams(): Promise<void> {
    for (const network of this.deps.registry.all()) {
      if (!network.subscribePresence) continue;
      const members = this.deps.teams
        .all()
        .flatMap((team) => team.members)
        .filter((member) => this.deps.registry.forAddress(member) === network);
      if (members.length > 0) await network.subscribePresence([...new Set(members)]);
    }
    await this.deps.interop?.resume();
  }
}
