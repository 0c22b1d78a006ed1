/**
 * Outreach (docs/customers.md, "Outreach"): an agent, or a site's API key, starts a team
 * conversation with a customer on the customer's own network. The conversation is the one the
 * customer would have opened by writing to the team's address (`openedBy` the customer), so their
 * replies land in it through first contact and answers go out from the team's address. An agent's
 * conversation is assigned to that agent and starts with the agent's message; an API key's is
 * routed as any team conversation and starts with a message from the team.
 */
import type { RateLimits } from '../../cluster/rate-limits.js';
import { type Address, type Message, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { AgentConfig, SiteConfig, TeamConfig } from '../../config.js';
import type { HostedParties } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { newId } from '../../util/ids.js';
import { type Actor, actsForSite } from '../actor.js';
import type { Announcer } from '../announcer.js';
import type { Conversations } from '../conversations.js';
import type { FirstContacts } from '../first-contact.js';
import type { CustomerTurns } from '../customer-turns.js';
import type { Router } from '../desk/router.js';
import type { TeamDirectory } from '../desk/teams.js';
import { BridgeError, badRequest, forbidden, notFound } from '../errors.js';
import { type Messages, earlierSend } from '../messages.js';
import type { SiteAccess } from '../site-access.js';
import { checkText } from '../text-limit.js';
import { readTypedAddress } from '../typed-address.js';
import { OutreachPolicy } from './policy.js';

export interface OutreachRequest {
  /** The customer's address as written (`xmpp:carol@example.com`, `irc:Dave`). */
  to: string;
  team: string;
  /** The first message; an API key's outreach always has one. */
  text?: string;
  /** The sender's idempotency key for the message (an agent's, or the team's for an API key). */
  clientId?: string;
}

export interface OutreachResult {
  conversation: ConversationRecord;
  /** The message sent, when there was text. */
  message?: Message;
  /** False when the team's open conversation with the customer was reused. */
  opened: boolean;
}

export interface OutreachDeps {
  store: Store;
  registry: NetworkRegistry;
  hosted: HostedParties;
  teams: TeamDirectory;
  sites: readonly SiteConfig[];
  access: SiteAccess;
  router: Router;
  announcer: Announcer;
  conversations: Pick<Conversations, 'postAsTeam'>;
  messages: Pick<Messages, 'send'>;
  /** Where a customer's reply to a team lands, to start the conversation it will find. */
  firstContacts: Pick<FirstContacts, 'servedBy'>;
  limits: { maxTextLength: number };
  /** Shared with the customer's own first messages: one conversation however they interleave. */
  turns: CustomerTurns;
  logger: Logger;
  now?: () => number;
  /** Where outreach budgets are counted: for the whole bridge with several nodes (Redis); this process's memory by default. */
  rateLimits?: RateLimits;
}

export class Outreach {
  private readonly policies: Map<string, OutreachPolicy>;

  constructor(private readonly deps: OutreachDeps) {
    this.policies = new Map(
      deps.sites.map((site) => [
        site.key,
        new OutreachPolicy(site.outreach, deps.now, { siteKey: site.key, ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}) }),
      ]),
    );
  }

  /** The networks a site's agents may start conversations on (`Session.outreachTo`), when it enables outreach. */
  networksOf(siteKey: string): string[] | undefined {
    const networks = this.deps.sites.find((site) => site.key === siteKey)?.outreach?.networks;
    return networks ? [...networks] : undefined;
  }

  /** Opens (or finds the open) conversation of a team with a customer, and sends the text in it. */
  async open(actor: Actor, request: OutreachRequest): Promise<OutreachResult> {
    if (!actsForSite(actor)) throw forbidden('only agents and API keys start conversations with customers');
    const team = this.deps.teams.forSite(request.team, actor.siteKey);
    if (!team) throw notFound(`team: no team "${request.team}" serves this site`);
    const agent = actor.role === 'agent' ? agentOf(team, actor.address) : undefined;
    if (actor.role === 'agent' && !agent) throw forbidden(`team: you are not an agent of team "${team.id}"`);
    if (actor.role === 'integration' && request.text === undefined) throw badRequest('text: an API key starts a conversation with a message');
    if (request.text !== undefined) checkText(request.text, this.deps.limits.maxTextLength);
    const customer = this.customerAddress(request.to);
    const policy = this.policies.get(actor.siteKey) ?? new OutreachPolicy(undefined);
    const verdict = policy.allows(customer);
    if (!verdict.ok) throw forbidden(`to: ${verdict.message}`);
    // A retry first: its answer is the earlier call's, or a refusal naming the clientId's misuse.
    const earlier = await this.earlierOutreach(actor, team, customer, request.clientId);
    if (earlier) return earlier;
    this.checkReplies(customer, team, actor.siteKey);
    // A blocked customer's replies would be dropped: writing to them first is refused until an agent unblocks them.
    if (await this.deps.store.blockOf(actor.siteKey, customer))
      throw forbidden(`to: ${customer} is blocked on this site, so their replies would be dropped (/unblock ${customer} first)`);
    // An agent's addresses share one budget; an API key has its own.
    const budget = agent ? `agent:${agent.id}` : actor.address;
    const allowed = await policy.take(budget);
    if (!allowed.ok) {
      throw Object.assign(new BridgeError('rate_limited', `Too many conversations started: at most ${policy.perMinute} a minute after a burst; retry later.`), {
        retryAfterMs: allowed.retryAfterMs,
      });
    }
    await this.deps.access.ensureParty(actor);
    const { existing, conversation } = await this.deps.turns.run(actor.siteKey, customer, async () => {
      const open = await this.deps.store.findOpenConversation({ siteKey: actor.siteKey, openedBy: customer, team: team.id });
      return { existing: open, conversation: open ?? (await this.start(actor, team, customer)) };
    });
    this.deps.logger.info({ conversation: conversation.id, team: team.id, to: customer, by: actor.address, reused: existing !== null }, 'outreach');
    if (request.text === undefined) return { conversation, opened: existing === null };
    const message =
      actor.role === 'agent'
        ? await this.deps.messages.send(actor, { conversationId: conversation.id, clientId: request.clientId ?? newId('out'), text: request.text })
        : await this.deps.conversations.postAsTeam(conversation, team, request.text, request.clientId);
    const current = (await this.deps.store.getConversation(conversation.id)) ?? conversation;
    return { conversation: current, message, opened: existing === null };
  }

  /** The customer's address in its network's canonical form; not one of the bridge's own parties or identities, nor an agent's. */
  private customerAddress(typed: string): Address {
    const read = readTypedAddress(typed, this.deps.registry, this.deps.hosted);
    if (typeof read !== 'string') throw badRequest(`to: ${read.error}`);
    if (this.deps.registry.get(networkOf(read))?.ownsAddress?.(read)) throw badRequest(`to: ${read} is one of the bridge's own addresses`);
    // An agent's replies are answers in the team's conversations, never a customer's first contact.
    if (this.deps.teams.teamsOf(read).length > 0) throw badRequest(`to: ${read} is an agent's address: agents are no customers`);
    return read;
  }

  /**
   * The outreach this one repeats (same sender and clientId: a retry after a lost answer): its
   * conversation and message again, with nothing opened, sent or counted, even when that
   * conversation has been closed since.
   */
  private async earlierOutreach(actor: Actor, team: TeamConfig, customer: Address, clientId: string | undefined): Promise<OutreachResult | null> {
    if (clientId === undefined) return null;
    // Never another customer's message, nor another site's: an API key's clientIds are the team's, one set across sites.
    const earlier = await earlierSend(
      this.deps.store,
      actor.role === 'agent' ? actor.address : `team:${team.id}`,
      clientId,
      (conversation) => conversation.team === team.id && conversation.siteKey === actor.siteKey && conversation.openedBy === customer,
    );
    return earlier && { ...earlier, opened: false };
  }

  /**
   * The customer's reply must land in the conversation started with them: their network takes
   * customers' messages to the team (its door is open), and files them under the actor's site.
   */
  private checkReplies(customer: Address, team: TeamConfig, siteKey: string): void {
    const scheme = networkOf(customer);
    const door = this.deps.registry.get(scheme)?.customerDoor?.(team.id);
    if (!door)
      throw forbidden(
        `to: customers on ${scheme} cannot write to team "${team.id}" (see "customers" in the ${scheme} network's configuration), so they could not answer`,
      );
    const replies = this.deps.firstContacts.servedBy(door)?.siteKey;
    if (replies !== siteKey)
      throw forbidden(
        replies
          ? `to: ${scheme} customers' replies to team "${team.id}" are filed under site "${replies}"; start the conversation from that site`
          : `to: ${scheme} customers' replies to team "${team.id}" go to no site (set "customers.site" in the ${scheme} network's configuration)`,
      );
  }

  /** A new team conversation opened by the customer: the agent's, or routed when an API key starts it. */
  private async start(actor: Actor, team: TeamConfig, customer: Address): Promise<ConversationRecord> {
    const { store, announcer } = this.deps;
    const byAgent = actor.role === 'agent';
    const created = await store.createConversation({
      siteKey: actor.siteKey,
      openedBy: customer,
      participants: byAgent ? [customer, actor.address] : [customer],
      team: team.id,
      ...(byAgent ? { assignee: actor.address } : {}),
    });
    announcer.opened(created);
    const routed = byAgent ? created : await this.deps.router.routeNew(created);
    announcer.announce(routed);
    return routed;
  }
}

function agentOf(team: TeamConfig, address: Address): AgentConfig | undefined {
  return team.agents.find((agent) => agent.addresses.includes(address));
}
