/**
 * What an agent gets when a conversation is handed to it on a network that does not deliver from
 * the store (an agent on XMPP): a context line saying who the visitor is and where, and what was
 * said before it joined. Parties that read from the store (web agents) see both in their console.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { type HostedParties, NAMELESS_VISITOR, runsSomewhere } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { RefBook } from '../../networks/refs.js';
import type { ConversationRecord, Joining, Store } from '../../store/store.js';
import { bounded } from '../../util/bounded.js';
import { nameLine, oneLine } from '../../util/text.js';
import { identityOf } from '../customer-identity.js';
import { toWireConversation } from '../wire.js';
import { type TeamDirectory, agentLabel } from './teams.js';

export interface HandoverDeps {
  store: Store;
  registry: NetworkRegistry;
  logger: Logger;
  /** The bridge's refs: a context line names its conversation as the agent's network does. */
  refs: RefBook;
  /** Asks the outbox worker to look at a network's queue. */
  kickOutbox(network: string): void;
  /** Website visitors are introduced by what the site tells; customers on their own networks by their address. */
  hosted: Pick<HostedParties, 'isHosted'>;
  /** The end of the line for a returning customer (their other addresses and conversations); empty for someone new. */
  returning?(conversation: ConversationRecord): Promise<string>;
  /** Names the agent a conversation went to (teams.ts `agentLabel`); without it, the address. */
  teams?: Pick<TeamDirectory, 'teamsOf'>;
  /** How long, and how often, a context line is tried again while its network changes hands (INTRODUCE_RETRY). */
  introduceRetry?: { forMs: number; everyMs: number };
}

/**
 * How long a context line may take before the catch-up goes on without waiting for it (well within
 * JOINING_TTL_MS, store.ts; longer than another node's answer may take, NOTICE_ANSWER_MS in
 * cluster/network-calls.ts, so a line the holder sent is heard of in time to be noted).
 */
const INTRODUCE_WAIT_MS = 10_000;
/**
 * A context line that did not go out while its network is between holders (`standby` here while
 * the node that held it died and the lease has not run out: cluster/config.ts LEASE_DEFAULTS) or
 * connecting is tried again for this long: without it, the agent would get the visitor's messages
 * with no word of who writes.
 */
const INTRODUCE_RETRY = { forMs: 20_000, everyMs: 1_000 };
/** A catch-up that fails is tried this many times in all, waiting CATCH_UP_RETRY_MS more each time. */
const CATCH_UP_ATTEMPTS = 3;
const CATCH_UP_RETRY_MS = 200;

export class Handover {
  constructor(private readonly deps: HandoverDeps) {}

  /**
   * Assigns a conversation through `assign` (the store's assignment or transfer), an agent on an
   * outbox network marked joining in the same transaction (store.ts, `Joining`): nothing said from
   * then on is queued for it with its message until `to` catches it up.
   */
  assign<T extends ConversationRecord | null>(agent: Address, assign: (options: Joining) => Promise<T>): Promise<T> {
    const network = this.deps.registry.forAddress(agent);
    return assign(network && !network.deliversFromStore ? { joining: true } : {});
  }

  /**
   * After `assign`: the context line, then the conversation so far (what was said while the line
   * went out included). `introduced`: the line went out already (a handover another node left
   * unfinished, its mark says so), and is not sent again.
   */
  async to(conversation: ConversationRecord, agent: Address, options: { introduced?: boolean } = {}): Promise<void> {
    if (!options.introduced) {
      const introducing = this.introduce(conversation, agent).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, conversation: conversation.id, agent }, 'context line not composed');
        return false;
      });
      // A network slow to take the line does not hold back what was said (its mark would be claimed meanwhile).
      const sent = await bounded(introducing, INTRODUCE_WAIT_MS);
      // Told to the mark before the catch-up removes it, so a node that claims this handover does
      // not send the line again. Only a line that went out in time (here, or by the node holding
      // the network's lease): the note goes to the party's mark as it is now, which a handover
      // made anew within the wait would share.
      if (sent === true) {
        await this.deps.store
          .markIntroduced(conversation.id, agent)
          .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id, agent }, 'context line not noted on the joining mark'));
      }
    }
    await this.catchUp(conversation, agent);
  }

  /**
   * The first line an agent on another network gets about a conversation, in the conversation's
   * own chat; whether it went out (a node of several without the network's lease asks the holder
   * to send it, and hears its answer: cluster/network-calls.ts). Tried again while the network
   * changes hands or connects (INTRODUCE_RETRY): callers wait for it a bounded time, and a line
   * that goes out later still goes.
   */
  async introduce(conversation: ConversationRecord, agent: Address): Promise<boolean> {
    const { forMs, everyMs } = this.deps.introduceRetry ?? INTRODUCE_RETRY;
    const until = Date.now() + forMs;
    // Held by another node, it may be changing hands: until it is online again here or there. A
    // network that is merely down (one node) fails the line at once, as any desk line then.
    let changingHands = false;
    for (;;) {
      if (await this.introduceOnce(conversation, agent)) return true;
      const network = this.deps.registry.forAddress(agent);
      if (!network?.notice || network.deliversFromStore) return false;
      const { state } = network.status();
      changingHands ||= state === 'standby';
      if (!changingHands || state === 'offline' || Date.now() + everyMs > until) return false;
      await new Promise((resolve) => setTimeout(resolve, everyMs).unref());
    }
  }

  private async introduceOnce(conversation: ConversationRecord, agent: Address): Promise<boolean> {
    const network = this.deps.registry.forAddress(agent);
    if (!network?.notice || network.deliversFromStore || !runsSomewhere(network)) return false;
    const visitor = await this.deps.store.getParty(conversation.openedBy);
    const ref = this.deps.refs.refOf(conversation.id);
    // One line whatever the visitor typed: a line break in a name must not start a line of its own.
    const parts = [`#${ref}`];
    if (this.deps.hosted.isHosted(conversation.openedBy)) {
      parts.push(nameLine(visitor?.name ?? NAMELESS_VISITOR));
      if (visitor?.email) parts.push(`<${oneLine(visitor.email)}>`);
      if (visitor?.pageUrl) parts.push(`on ${oneLine(visitor.pageUrl)}`);
      parts.push(visitor?.verified ? '(verified)' : '(not verified)');
    } else {
      // A customer on their own network: the name their client gave (quoted: they typed it), their
      // address, and whether that network vouches for it.
      const identity = await identityOf(this.deps.registry, conversation.openedBy);
      // Quoted as a string is: a quote or backslash it holds is escaped, so the name ends where it seems to.
      if (visitor?.name) parts.push(`"${nameLine(visitor.name).replace(/["\\]/g, (c) => `\\${c}`)}"`);
      parts.push(conversation.openedBy, identity ? `(${identity.vouched ? 'vouched' : 'not vouched'}: ${identity.how})` : '(not vouched)');
    }
    const returning = await this.deps.returning?.(conversation).catch((error: unknown) => {
      this.deps.logger.debug({ err: error, conversation: conversation.id }, 'contact not read for the context line');
      return '';
    });
    const whois = `${network.commandPrefix ?? ''}/whois ${ref}`;
    const text = `${parts.join(' ')}${conversation.team ? `, team ${conversation.team}` : ''}. Reply here; ${whois} for more.${returning ?? ''}`;
    return network
      .notice({
        to: agent,
        text,
        about: { conversation: toWireConversation(conversation), visitor: conversation.openedBy, ...(visitor?.name ? { visitorName: visitor.name } : {}) },
      })
      .then(
        () => true,
        (error: unknown) => {
          this.deps.logger.debug({ err: error, agent }, 'context line not sent');
          return false;
        },
      );
  }
  /**
   * An agent on a network that does not deliver from the store (IRC, XMPP, SIP) lost a
   * conversation to someone else (a transfer, an offer that moved on): one line from the bridge
   * says so, for their next words there would reach nobody (best effort). Not in the
   * conversation's own chat: a plain reply must not go to it.
   */
  async left(conversation: ConversationRecord, agent: Address, now: ConversationRecord): Promise<void> {
    const network = this.deps.registry.forAddress(agent);
    if (!network?.notice || network.deliversFromStore || !runsSomewhere(network)) return;
    const ref = this.deps.refs.refOf(conversation.id);
    const who = now.assignee !== undefined && this.deps.teams ? agentLabel(this.deps.teams, now.assignee) : now.assignee;
    const where = now.assignee !== undefined ? `is now with ${who}` : `waits in the queue of team ${now.team ?? conversation.team}`;
    await network
      .notice({ to: agent, text: `#${ref} ${where}: what you write there no longer reaches the visitor.` })
      .catch((error: unknown) => this.deps.logger.debug({ err: error, agent, conversation: conversation.id }, 'agent not told the conversation left them'));
  }

  /**
   * The agent of a conversation, on a network that does not deliver from the store (IRC, XMPP,
   * SIP), whose conversation someone else closed (its visitor, another agent, the console): one
   * line from the bridge says so and by whom, for what they write in the visitor's chat is refused
   * from then on (best effort). An agent who closed it has their command's answer instead.
   */
  async closed(conversation: ConversationRecord, by: Address | undefined): Promise<void> {
    const agent = conversation.assignee;
    if (agent === undefined || agent === by) return;
    const network = this.deps.registry.forAddress(agent);
    if (!network?.notice || network.deliversFromStore || !runsSomewhere(network)) return;
    const ref = this.deps.refs.refOf(conversation.id);
    const teams = this.deps.teams;
    const who =
      by === undefined
        ? ''
        : teams && teams.teamsOf(by).length > 0
          ? ` by ${agentLabel(teams, by)}`
          : conversation.participants.includes(by)
            ? ' by the visitor'
            : '';
    await network
      .notice({ to: agent, text: `#${ref} was closed${who}: what you write there no longer reaches the visitor.` })
      .catch((error: unknown) => this.deps.logger.debug({ err: error, agent, conversation: conversation.id }, 'agent not told the conversation closed'));
  }

  /** A party that joins on an outbox network gets what was said before it joined, in order. */
  private async catchUp(conversation: ConversationRecord, party: Address): Promise<void> {
    const network = this.deps.registry.forAddress(party);
    if (!network || network.deliversFromStore) return;
    // Tried again on a failure (a connection lost mid-transaction): until it runs, the store's
    // joining mark holds the party's messages back. Only while the mark is there: a catch-up that
    // did commit before its connection was lost, or a handover finished meanwhile by another node
    // (unfinished-handovers.ts), leaves nothing to queue. After the last attempt the mark stays,
    // and the handover is finished once it is claimed.
    for (let attempt = 1; ; attempt++) {
      try {
        if ((await this.deps.store.queueEarlierMessages(conversation.id, party, network.scheme, { joining: true })) > 0) this.deps.kickOutbox(network.scheme);
        return;
      } catch (error) {
        if (attempt === CATCH_UP_ATTEMPTS) throw error;
        this.deps.logger.warn({ err: error, conversation: conversation.id, party, attempt }, 'catch-up failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS * attempt));
      }
    }
  }
}
