/**
 * What an agent gets when a conversation is handed to it on a network that does not deliver from
 * the store (an agent on XMPP): a context line saying who the visitor is and where, and what was
 * said before it joined. Parties that read from the store (web agents) see both in their console.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { type HostedParties, type Network, runsSomewhere } from '../../networks/network.js';
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
}

/** What an agent gets when a conversation becomes theirs, worked out before it does (`Handover.prepare`). */
export interface PreparedHandover {
  agent: Address;
  /** The context line, for an agent on a network that takes notices. */
  line?: { network: Network; text: string; visitorName?: string };
}

export class Handover {
  constructor(private readonly deps: HandoverDeps) {}

  /**
   * The context line for `agent`, read before the conversation is assigned to it: once it is, the
   * line and the earlier messages must leave at once (`begin`), before anything stored after.
   */
  async prepare(conversation: ConversationRecord, agent: Address): Promise<PreparedHandover> {
    const network = this.deps.registry.forAddress(agent);
    if (!network?.notice || network.deliversFromStore || !runsSomewhere(network)) return { agent };
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
    return { agent, line: { network, text, ...(visitor?.name ? { visitorName: visitor.name } : {}) } };
  }

  /**
   * Hands `assigned` over, called as soon as its assignment is stored: the context line is written
   * first, then (with `catchUp`) what was said before, queued before any message stored after the
   * assignment could reach the agent. Queued later (after the line's round trip), a message stored
   * meanwhile would come before the earlier ones, or twice once sent.
   */
  begin(prepared: PreparedHandover, assigned: ConversationRecord, options: { catchUp: boolean } = { catchUp: true }): Promise<void> {
    const { agent, line } = prepared;
    const sent = line?.network
      .notice?.({
        to: agent,
        text: line.text,
        about: { conversation: toWireConversation(assigned), visitor: assigned.openedBy, ...(line.visitorName ? { visitorName: line.visitorName } : {}) },
      })
      .catch((error: unknown) => this.deps.logger.debug({ err: error, agent }, 'context line not sent'));
    const queued = options.catchUp ? this.catchUp(assigned, agent) : undefined;
    return Promise.all([sent, queued]).then(() => undefined);
  }

  /** A party that joins on an outbox network gets what was said before it joined, in order. */
  async catchUp(conversation: ConversationRecord, party: Address): Promise<void> {
    const network = this.deps.registry.forAddress(party);
    if (!network || network.deliversFromStore) return;
    if ((await this.deps.store.queueEarlierMessages(conversation.id, party, network.scheme)) > 0) this.deps.kickOutbox(network.scheme);
  }
}
