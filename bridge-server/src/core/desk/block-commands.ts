/**
 * `/block ID`, `/unblock ID` and `/blocked` (docs/customers.md, "Abuse controls"): an agent blocks
 * a customer writing from their own network, on the sites of the agent's teams, so that their
 * messages to the teams' addresses are dropped (they are told once). ID is a conversation's ref
 * (its customer, on its site) or the customer's address.
 */
import { type Address, parseAddress } from '@switchboard/protocol';
import { canonicalMember, type TeamConfig } from '../../config.js';
import type { HostedParties } from '../../networks/network.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { CommandError } from './command-error.js';
import type { TeamDirectory } from './teams.js';

/** The agent's teams, and for a web agent the one site it signed in for. */
export type BlockScope = readonly TeamConfig[] & { siteKey?: string | undefined };

export interface BlockCommandDeps {
  store: Pick<Store, 'block' | 'unblock' | 'blocks' | 'heardFrom'>;
  teams: TeamDirectory;
  hosted: Pick<HostedParties, 'isHosted'>;
  /** A customer's address as the agent typed it, in its network's canonical form (`irc:Dave` -> `irc:dave@libera`), or why it is none. */
  readAddress(typed: string): Address | { error: string };
  /** The conversation a ref names among the agent's teams' (an answer for the agent when none). */
  resolve(teams: BlockScope, ref: string | undefined, usage: string): Promise<ConversationRecord>;
  /** Stops the site's conversations continuing at a blocked address (docs/customers.md, "Blocking a customer"). */
  addressBlocked?(siteKey: string, address: Address): Promise<void>;
}

/**
 * Said when an address blocked by hand never wrote to the sites: it may be spelt otherwise than the
 * customer's messages carry it (a SIP user part's case counts, RFC 3261 section 19.1.4).
 */
const NEVER_WROTE = (address: Address) =>
  `No customer has written from ${address} yet: if that is not how their messages carry it (a SIP user's case counts), /block the ref of their conversation instead.`;

export class BlockCommands {
  constructor(private readonly deps: BlockCommandDeps) {}

  async block(from: Address, teams: BlockScope, args: string[]): Promise<string> {
    const { customer, sites, named } = await this.target(teams, args[0], '/block ID|ADDRESS');
    const added: string[] = [];
    for (const siteKey of sites) if (await this.deps.store.block({ siteKey, address: customer, by: from })) added.push(siteKey);
    // Every site, not only those blocked now: a block stored before this stop failed is stopped on a retry.
    for (const siteKey of sites) await this.deps.addressBlocked?.(siteKey, customer);
    if (added.length === 0) return `${customer} was already blocked on ${sites.join(', ')}.`;
    // A mail is answered by no one (a refusal mailed back would be a backscatter mail to whoever the From names).
    const told = customer.startsWith('mailto:') ? 'they are not told' : 'they are told once';
    const blocked = `Blocked ${customer} on ${added.join(', ')}: their messages to the teams are dropped (${told}). /unblock ${customer} undoes it.`;
    return named && !(await this.heardFromAny(added, customer)) ? `${blocked} ${NEVER_WROTE(customer)}` : blocked;
  }

  /** Whether any of the sites has heard from the address (a conversation it opened holds a message of theirs). */
  private async heardFromAny(sites: readonly string[], address: Address): Promise<boolean> {
    for (const siteKey of sites) if (await this.deps.store.heardFrom(siteKey, address)) return true;
    return false;
  }

  async unblock(teams: BlockScope, args: string[]): Promise<string> {
    const { customer, sites } = await this.target(teams, args[0], '/unblock ID|ADDRESS');
    const lifted: string[] = [];
    for (const siteKey of sites) if (await this.deps.store.unblock(siteKey, customer)) lifted.push(siteKey);
    return lifted.length > 0 ? `Unblocked ${customer} on ${lifted.join(', ')}.` : `${customer} is not blocked on ${sites.join(', ')}.`;
  }

  async list(teams: BlockScope): Promise<string> {
    const lines: string[] = [];
    for (const siteKey of this.sitesOf(teams))
      for (const block of await this.deps.store.blocks(siteKey))
        lines.push(`  ${block.address} on ${siteKey}, by ${block.by} since ${block.at.slice(0, 16).replace('T', ' ')}`);
    return lines.length > 0 ? ['Blocked customers:', ...lines].join('\n') : 'No one is blocked.';
  }

  /** The customer an argument names, and the sites the block is for: the conversation's, or the agent's teams'. */
  private async target(teams: BlockScope, arg: string | undefined, usage: string): Promise<{ customer: Address; sites: readonly string[]; named: boolean }> {
    const named = arg?.includes(':') ? this.addressOf(arg, usage) : undefined;
    const conversation = named ? undefined : await this.deps.resolve(teams, arg, usage);
    const customer = named ?? conversation!.openedBy;
    if (this.deps.hosted.isHosted(customer))
      throw new CommandError(`${customer} is not writing from a network of their own: only customers on XMPP, SIP, IRC or email can be blocked.`);
    if (this.deps.teams.teamsOf(customer).length > 0) throw new CommandError(`${customer} is an agent: agents cannot be blocked.`);
    return { customer, sites: conversation ? [conversation.siteKey] : this.sitesOf(teams), named: named !== undefined };
  }

  /**
   * The address an agent typed, as the customer's messages carry it: a block on another spelling
   * (`irc:Dave` for `irc:dave@libera`, a full JID) would never match them.
   */
  private addressOf(typed: string, usage: string): Address {
    const canonical = canonicalMember(typed) as Address;
    const parsed = parseAddress(canonical) !== null;
    if (parsed && this.deps.hosted.isHosted(canonical)) return canonical; // refused by the caller, saying why
    const read = this.deps.readAddress(typed);
    if (typeof read === 'string') return read;
    throw new CommandError(`Usage: ${usage} (${parsed ? read.error : `${typed} is not an address`})`);
  }

  /** The sites the agent acts on: the one a web agent signed in for, else those its teams serve. */
  private sitesOf(teams: BlockScope): readonly string[] {
    if (teams.siteKey !== undefined) return [teams.siteKey];
    return [...new Set(teams.flatMap((team) => this.deps.teams.sitesOf(team)))];
  }
}
