/**
 * Conversations as the uniform API's clients open, list, close and rate them (docs/protocol.md).
 * A team conversation is routed by the desk and greeted (or told the team is away) as the team says.
 */
import {
  type Address,
  type Conversation,
  type ConversationListPayload,
  type ConversationOpenPayload,
  type ConversationRatePayload,
  type Message,
  networkOf,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { TeamConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { NetworkRegistry } from '../networks/registry.js';
import { sharedBySites, withoutSite } from '../networks/web/site-scope.js';
import type { ConversationRecord, PartyRecord, Store } from '../store/store.js';
import { type Actor, actsForSite } from './actor.js';
import type { Announcer } from './announcer.js';
import type { Continuations } from './continuations/continuations.js';
import type { CustomerTurns } from './customer-turns.js';
import type { Router } from './desk/router.js';
import type { ResponseTimes } from './reports/response-times.js';
import type { TeamDirectory } from './desk/teams.js';
import { badRequest, forbidden, notFound } from './errors.js';
import type { MessagePipeline } from './message-pipeline.js';
import type { SiteAccess } from './site-access.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import { toWireConversation } from './wire.js';

/** A visitor who signs in takes at most this many of their conversations from before (the most recent). */
const SIGNED_IN_CARRIED_MAX = 200;

export interface ConversationsDeps {
  store: Store;
  registry: NetworkRegistry;
  teams: TeamDirectory;
  access: SiteAccess;
  router: Router;
  announcer: Announcer;
  pipeline: MessagePipeline;
  webhooks: WebhookDispatcher;
  logger: Logger;
  metrics: Metrics;
  /** A customer's message being stored and a close of their conversation happen one after the other. */
  turns: CustomerTurns;
  /** A closed conversation stops continuing on another network. */
  continuations?: Pick<Continuations, 'closed'>;
  /** Reports' figures: resolution times and ratings. */
  responseTimes?: Pick<ResponseTimes, 'closed' | 'rated'>;
}

/** Who opens a conversation with which team, on which site. */
export interface TeamOpening {
  siteKey: string;
  openedBy: Address;
  team: TeamConfig;
  /** The opener's party, not stored yet: stored with the conversation, in the same commit. */
  party?: PartyRecord;
  /** The subject of a conversation it opens (a mail's), set before it is routed. */
  subject?: string;
}

/**
 * Stores the message that opened a conversation with `post`, then the team's opening words
 * (`greet`, when it opened one): after a refusal of the message too, the conversation being open;
 * a greeting failing then is only logged, the refusal being the sender's answer.
 */
export async function postedThenGreeted<T>(post: () => Promise<T>, greet: (() => Promise<void>) | undefined, logger: Logger): Promise<T> {
  let posted: T;
  try {
    posted = await post();
  } catch (error) {
    await greet?.().catch((greetError: unknown) => logger.warn({ err: greetError }, 'greeting not posted'));
    throw error;
  }
  await greet?.();
  return posted;
}

export class Conversations {
  constructor(private readonly deps: ConversationsDeps) {}

  /** Opens (or finds the open) conversation of the actor with a team or with an address. */
  open(actor: Actor, payload: ConversationOpenPayload): Promise<Conversation> {
    return payload.team !== undefined ? this.openToTeam(actor, payload.team) : this.openTo(actor, payload.to as Address);
  }

  private async openToTeam(actor: Actor, teamId: string): Promise<Conversation> {
    const { conversation, greet } = await this.openToTeamGreetingLater(actor, teamId);
    await greet?.();
    return toWireConversation(conversation);
  }

  /** The actor's open conversation with a team, or a new one whose opening words are left to `greet` (see openWithTeamGreetingLater). */
  async openToTeamGreetingLater(actor: Actor, teamId: string): Promise<{ conversation: ConversationRecord; greet?: () => Promise<void> }> {
    const team = this.deps.teams.forSite(teamId, actor.siteKey);
    if (!team) throw notFound(`team: no team "${teamId}" serves this site`);
    const party = await this.deps.access.partyToStore(actor);
    return this.openWithTeamGreetingLater({ siteKey: actor.siteKey, openedBy: actor.address, team, party });
  }

  /**
   * The open conversation of `openedBy` with a team on a site, or a new one: routed by the desk,
   * then greeted, or told the team is away, as the team says. Whoever opens it (a website visitor,
   * a customer writing on their own network) goes through this one path. The team's opening words
   * are left to `greet` (present when it opened one): called at once when the opener only opens it
   * (the widget), after the message that opened it otherwise (a customer's first message, a visitor
   * writing after a close), so they come after it.
   */
  async openWithTeamGreetingLater({
    siteKey,
    openedBy,
    team,
    party,
    subject,
  }: TeamOpening): Promise<{ conversation: ConversationRecord; greet?: () => Promise<void> }> {
    const { store, router } = this.deps;
    const existing = await store.findOpenConversation({ siteKey, openedBy, team: team.id });
    if (existing) {
      if (party) await store.upsertParty(party);
      return { conversation: existing };
    }
    // Both writes requested at once: a store that groups its commits (SQLite) makes them one.
    const [stored, creating] = await Promise.allSettled([
      party && store.upsertParty(party),
      store.createConversation({ siteKey, openedBy, participants: [openedBy], team: team.id }),
    ]);
    if (creating.status === 'rejected') throw creating.reason;
    // The conversation exists: it is routed whatever became of the party (stored again below).
    if (stored.status === 'rejected' && party) await store.upsertParty(party);
    // Named before its agent hears of it: their first mail's subject is the conversation's.
    const created = subject ? await store.setConversationSubject(creating.value.id, subject) : creating.value;
    this.deps.announcer.opened(created);
    const routed = await router.routeNew(created);
    this.deps.announcer.announce(routed);
    this.deps.logger.info({ conversation: routed.id, team: team.id, assignee: routed.assignee ?? null }, 'conversation opened');
    // What to say is decided now, as it was routed (an agent there or not).
    const note = this.openingNote(team, routed);
    const greet = async (): Promise<void> => {
      if (note) await this.postAsTeam(routed, team, note);
    };
    return { conversation: routed, greet };
  }

  /**
   * What the team says in a conversation it just opened: outside business hours, that the message
   * waits; inside, its greeting if it has one. A greeting promises an agent: while none is
   * available, the away message says the truth instead.
   */
  private openingNote(team: TeamConfig, routed: ConversationRecord): string | undefined {
    if (!this.deps.router.isOpen(team.id)) return team.offlineMessage;
    if (team.greeting === undefined) return undefined;
    const agentThere = routed.assignee !== undefined || this.deps.router.someoneAvailable(team.id, routed.siteKey);
    return agentThere ? team.greeting : team.offlineMessage;
  }

  private async openTo(actor: Actor, typed: Address): Promise<Conversation> {
    const { store, access } = this.deps;
    // As the network writes it: `xmpp:Alice@Example.org` is the party `xmpp:alice@example.org` writes as.
    const to = this.deps.registry.canonical(typed);
    if (to === actor.address) throw badRequest('to: cannot open a conversation with yourself');
    if (!actsForSite(actor) && !access.visitorMayReach(actor.siteKey, to)) {
      throw forbidden(
        `to: visitors of this site may open conversations only to teams${access.hasVisitorTargets(actor.siteKey) ? ' and the configured addresses' : ''}`,
      );
    }
    const scheme = networkOf(to);
    if (!this.deps.registry.get(scheme)) throw notFound(`to: no network handles "${scheme}:" addresses on this bridge`);
    if (!(await access.isSitesParty(actor.siteKey, to))) throw notFound(`to: no party "${withoutSite(to)}" on this site`);
    await access.ensureParty(actor);
    const existing = await store.findOpenConversation({ siteKey: actor.siteKey, openedBy: actor.address, with: to });
    if (existing) return toWireConversation(existing);
    const created = await store.createConversation({ siteKey: actor.siteKey, openedBy: actor.address, participants: [actor.address, to] });
    this.deps.announcer.opened(created);
    this.deps.announcer.announce(created);
    return toWireConversation(created);
  }

  /** A team's own message in a conversation (its greeting, its offline message, an API key's outreach), from `team:<id>`. */
  async postAsTeam(conversation: ConversationRecord, team: TeamConfig, text: string, clientId?: string): Promise<Message> {
    const from: Address = `team:${team.id}`;
    await this.deps.store.upsertParty({ address: from, siteKey: null, role: 'integration', name: team.name ?? team.id, verified: true });
    return (await this.deps.pipeline.post({ conversation, from, text, ...(clientId !== undefined ? { clientId } : {}) })).message;
  }

  async list(actor: Actor, payload: ConversationListPayload): Promise<Conversation[]> {
    const records = await this.deps.store.listConversations({
      siteKey: actor.siteKey,
      ...(actsForSite(actor) ? {} : { participant: actor.address }),
      ...(payload.state !== undefined ? { state: payload.state } : {}),
      limit: payload.limit ?? 200,
    });
    return records.map(toWireConversation);
  }

  async closeFor(actor: Actor, conversationId: string): Promise<Conversation> {
    const conversation = await this.deps.access.conversation(actor, conversationId);
    if (conversation.state === 'closed') return toWireConversation(conversation);
    return toWireConversation(await this.close(conversationId, actor.address));
  }

  /**
   * Closes a conversation (already checked) and tells everyone concerned, once: a close that finds
   * it closed (two agents closing it at the same moment, on any node) changes nothing and says nothing.
   * `by`: who closed it (its agent on IRC, XMPP or SIP hears of a close that was not theirs).
   */
  async close(conversationId: string, by?: Address): Promise<ConversationRecord> {
    const { store, turns } = this.deps;
    const current = await store.getConversation(conversationId);
    if (!current) return store.setConversationState(conversationId, 'closed');
    // In the customer's turn: their message being stored goes in before the close, or into a new
    // conversation after it.
    const { conversation: closed, closed: changed } = await turns.run(current.siteKey, current.openedBy, async () => {
      const result = await store.closeConversation(conversationId);
      const note = result.closed ? this.closingNote(result.conversation) : undefined;
      if (!note) return result;
      // Said by the close that closed it, as the conversation's last message.
      await this.postAsTeam(result.conversation, note.team, note.text);
      return { ...result, conversation: (await store.getConversation(conversationId)) ?? result.conversation };
    });
    if (!changed) return closed;
    this.deps.announcer.announce(closed);
    this.deps.responseTimes?.closed(closed);
    this.deps.router.conversationClosed(closed, by);
    await this.deps.continuations?.closed(closed);
    return closed;
  }

  /** What the team says to a customer on their own network as it closes their conversation (`closeMessage`). */
  private closingNote(conversation: ConversationRecord): { team: TeamConfig; text: string } | undefined {
    if (conversation.team === undefined || !sharedBySites(conversation.openedBy)) return undefined;
    const team = this.deps.teams.get(conversation.team);
    return team?.closeMessage !== undefined ? { team, text: team.closeMessage } : undefined;
  }

  /**
   * A visitor signed in on a device where they were anonymous (`from`): the signed-in user (`to`)
   * joins every conversation of the site `from` takes part in, so they list, read and continue them
   * as the user, and an answer in an open one reaches them. Agents see the user join the open ones.
   */
  async signedIn(siteKey: string, from: Address, to: Address): Promise<void> {
    const { store, announcer } = this.deps;
    const theirs = await store.listConversations({ siteKey, participant: from, limit: SIGNED_IN_CARRIED_MAX });
    for (const conversation of theirs) {
      if (conversation.participants.includes(to)) continue;
      const joined = await store.addParticipant(conversation.id, to);
      if (joined.state !== 'closed') announcer.announce(joined);
    }
  }

  /**
   * The visitor who opened a conversation rates it (1 to 5, with an optional comment), or the
   * signed-in user they became (`signedIn`): the only other visitor a conversation may have.
   */
  async rate(actor: Actor, payload: ConversationRatePayload): Promise<Conversation> {
    const conversation = await this.deps.access.conversation(actor, payload.conversationId);
    const theirs = conversation.openedBy === actor.address || (actor.role === 'visitor' && conversation.participants.includes(actor.address));
    if (!theirs) throw forbidden('conversationId: only the visitor who opened a conversation rates it');
    const rated = await this.deps.store.rateConversation(conversation.id, payload.rating, payload.comment);
    // A comment sent after the rating (the widget asks for one once rated) counts no second rating.
    if (conversation.rating !== payload.rating) {
      this.deps.metrics.ratings.inc({ team: rated.team ?? '', rating: String(payload.rating) });
      this.deps.responseTimes?.rated(rated, payload.rating);
    }
    this.deps.webhooks.emit('conversation.rated', rated.siteKey, {
      conversation: toWireConversation(rated),
      rating: payload.rating,
      ...(payload.comment ? { comment: payload.comment } : {}),
    });
    this.deps.announcer.announce(rated);
    return toWireConversation(rated);
  }
}
