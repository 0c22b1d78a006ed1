/**
 * What an agent gets when a conversation is handed to it on a network that does not deliver from
 * the store (an agent on XMPP): a context line saying who the visitor is and where, and what was
 * said before it joined. Parties that read from the store (web agents) see both in their console.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { type HostedParties, runsSomewhere } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { RefBook } from '../../networks/refs.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { oneLine } from '../../util/text.js';
import { identityOf } from '../customer-identity.js';
import { toWireConversation } from '../wire.js';

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
  /** Shared with the fan-out, which leaves joining parties out of the outbox. */
  joining: JoiningParties;
}

const joiningKey = (conversationId: string, party: Address) => `${conversationId} ${party}`;

/**
 * Parties joining a conversation on an outbox network, between their assignment and the catch-up
 * that queues what was said before: what is said meanwhile is not queued for them with its message
 * (it would come before the earlier messages, or twice once sent); the catch-up queues it with
 * them, in order. Kept by this node for the handovers it runs.
 */
export class JoiningParties {
  /** How many handovers of each conversation to each party are running (two transfers may race). */
  private readonly joining = new Map<string, number>();

  add(conversationId: string, party: Address): void {
    const key = joiningKey(conversationId, party);
    this.joining.set(key, (this.joining.get(key) ?? 0) + 1);
  }

  delete(conversationId: string, party: Address): void {
    const key = joiningKey(conversationId, party);
    const left = (this.joining.get(key) ?? 1) - 1;
    if (left > 0) this.joining.set(key, left);
    else this.joining.delete(key);
  }

  /** Asked for every outbox recipient of every message: nothing is built while no one joins. */
  has(conversationId: string, party: Address): boolean {
    return this.joining.size > 0 && this.joining.has(joiningKey(conversationId, party));
  }
}

export class Handover {
  constructor(private readonly deps: HandoverDeps) {}

  /** The context line, then the conversation so far (what was said while the line went out included). */
  async to(conversation: ConversationRecord, agent: Address): Promise<void> {
    this.deps.joining.add(conversation.id, agent);
    const network = this.deps.registry.forAddress(agent);
    // The other nodes' appends leave the party out too (on several nodes; one process knows it here).
    if (network && !network.deliversFromStore) {
      await this.deps.store
        .startJoining(conversation.id, agent)
        .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id, agent }, 'joining not recorded'));
    }
    await this.introduce(conversation, agent).catch((error: unknown) =>
      this.deps.logger.warn({ err: error, conversation: conversation.id, agent }, 'context line not composed'),
    );
    await this.catchUp(conversation, agent);
  }

  /** The first line an agent on another network gets about a conversation, in the conversation's own chat. */
  async introduce(conversation: ConversationRecord, agent: Address): Promise<void> {
    const network = this.deps.registry.forAddress(agent);
    if (!network?.notice || network.deliversFromStore || !runsSomewhere(network)) return;
    const visitor = await this.deps.store.getParty(conversation.openedBy);
    const ref = this.deps.refs.refOf(conversation.id);
    // One line whatever the visitor typed: a line break in a name must not start a line of its own.
    const parts = [`#${ref}`];
    if (this.deps.hosted.isHosted(conversation.openedBy)) {
      parts.push(oneLine(visitor?.name ?? 'Visitor'));
      if (visitor?.email) parts.push(`<${oneLine(visitor.email)}>`);
      if (visitor?.pageUrl) parts.push(`on ${oneLine(visitor.pageUrl)}`);
      parts.push(visitor?.verified ? '(verified)' : '(not verified)');
    } else {
      // A customer on their own network: the name their client gave (quoted: they typed it), their
      // address, and whether that network vouches for it.
      const identity = await identityOf(this.deps.registry, conversation.openedBy);
      if (visitor?.name) parts.push(`"${oneLine(visitor.name)}"`);
      parts.push(conversation.openedBy, identity ? `(${identity.vouched ? 'vouched' : 'not vouched'}: ${identity.how})` : '(not vouched)');
    }
    const returning = await this.deps.returning?.(conversation).catch((error: unknown) => {
      this.deps.logger.debug({ err: error, conversation: conversation.id }, 'contact not read for the context line');
      return '';
    });
    const text = `${parts.join(' ')}${conversation.team ? `, team ${conversation.team}` : ''}. Reply here; /whois ${ref} for more.${returning ?? ''}`;
    await network
      .notice({
        to: agent,
        text,
        about: { conversation: toWireConversation(conversation), visitor: conversation.openedBy, ...(visitor?.name ? { visitorName: visitor.name } : {}) },
      })
      .catch((error: unknown) => this.deps.logger.debug({ err: error, agent }, 'context line not sent'));
  }
  /** A party that joins on an outbox network gets what was said before it joined, in order. */
  private async catchUp(conversation: ConversationRecord, party: Address): Promise<void> {
    const network = this.deps.registry.forAddress(party);
    // In the same turn as the catch-up's write is asked for: a message stored after it is queued
    // for the party by itself, after the catch-up; one asked for before is in the catch-up.
    this.deps.joining.delete(conversation.id, party);
    if (!network || network.deliversFromStore) return;
    if ((await this.deps.store.queueEarlierMessages(conversation.id, party, network.scheme)) > 0) this.deps.kickOutbox(network.scheme);
  }
}
