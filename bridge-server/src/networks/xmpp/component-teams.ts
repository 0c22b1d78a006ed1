/**
 * The desk's teams as JIDs of the component's main domain (docs/customers.md): a customer on any
 * XMPP server writes to `support@<component domain>` and is answered from it, whoever of the team
 * answers. The local part is the team's id (lowercased: RFC 7622 local parts compare
 * case-insensitively) unless the configuration names another.
 */
import type { Address } from '@switchboard/protocol';
import type { DeskTeam, HostedParties, NetworkConversation } from '../network.js';

export interface TeamJid {
  id: string;
  name: string;
  /** The sites the team serves. */
  sites: readonly string[];
  /** The team's bare JID. */
  jid: string;
}

/** A team's own address in a conversation (its greeting, its offline message), as the core writes it. */
export const teamAddress = (id: string): Address => `team:${id}`;

export class TeamJids {
  private readonly byJid = new Map<string, TeamJid>();
  private readonly byId = new Map<string, TeamJid>();

  constructor(domain: string, teams: readonly DeskTeam[], localParts: Readonly<Record<string, string>> = {}) {
    for (const team of teams) {
      const entry = { id: team.id, name: team.name, sites: team.sites, jid: `${(localParts[team.id] ?? team.id).toLowerCase()}@${domain.toLowerCase()}` };
      this.byJid.set(entry.jid, entry);
      this.byId.set(team.id, entry);
    }
  }

  /** The team a JID (bare or full) is the address of. */
  at(full: string): TeamJid | undefined {
    return this.byJid.get(full.split('/')[0]!.toLowerCase());
  }

  /** The team with this id. */
  byTeamId(id: string): TeamJid | undefined {
    return this.byId.get(id);
  }

  /** The team an address (`team:support`) stands for. */
  of(address: Address): TeamJid | undefined {
    return address.startsWith('team:') ? this.byId.get(address.slice('team:'.length)) : undefined;
  }

  /**
   * The JID the customer of a team conversation sees everything come from: the team's, for the
   * customer who opened it on their own network (a website visitor's conversations are not theirs).
   */
  senderFor(conversation: NetworkConversation | undefined, to: Address, hosted: HostedParties): string | undefined {
    if (!conversation?.team || conversation.openedBy !== to || hosted.isHosted(to)) return undefined;
    return this.byId.get(conversation.team)?.jid;
  }
}
