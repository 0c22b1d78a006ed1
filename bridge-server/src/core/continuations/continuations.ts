/**
 * "Continue on my IM" (docs/protocol.md, "Continuing on another network"): a website visitor gives
 * an address of theirs on another network, proves it (a code sent there from the team's address,
 * or a reply from it), and from then on the conversation reaches them there too and what they
 * write there is theirs in it. State is in the store before anything is sent: nothing but the
 * proof message ever goes to an address that is not `active`.
 */
import {
  type Address,
  type Continuation,
  type ContinuationOffer,
  type ContinuationStopReason,
  type Message,
  type ErrorCode,
  networkOf,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { SiteConfig } from '../../config.js';
import { type HostedParties, type InboundMessage, type InboundTeam, type Network, NetworkError, runsSomewhere } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ContinuationRecord, ConversationRecord, Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import { newId } from '../../util/ids.js';
import { SerialQueues } from '../../util/serial.js';
import { type Actor, actsForSite } from '../actor.js';
import type { ContactLinks } from '../contacts/contact-links.js';
import type { TeamDirectory } from '../desk/teams.js';
import { BridgeError, badRequest, forbidden, notFound } from '../errors.js';
import type { ClientHub, HubRoom } from '../hub.js';
import type { SiteAccess } from '../site-access.js';
import { readTypedAddress } from '../typed-address.js';
import { toNetworkConversation } from '../wire.js';
import { asBegun } from './as-begun.js';
import { codeMatches, hashCode, newCode } from './codes.js';
import type { ContinueOnConfig } from './config.js';
import { StartLimits } from './start-limits.js';
import { type RateLimits, memoryRateLimits } from '../../cluster/rate-limits.js';
import type { RefBook } from '../../networks/refs.js';
import { identityOf } from '../customer-identity.js';
import { activeText, agentNotice, isStopCommand, proofText, stoppedText } from './texts.js';

export interface ContinuationsDeps {
  store: Store;
  registry: NetworkRegistry;
  hub: ClientHub;
  teams: Pick<TeamDirectory, 'teamsOf'>;
  access: Pick<SiteAccess, 'conversation'>;
  hosted: HostedParties;
  sites: readonly SiteConfig[];
  clock: Clock;
  /** Told of every address proven to be a visitor's. */
  contactLinks: ContactLinks;
  /** The conversations' short refs, for the lines agents on IM networks get. */
  refs: Pick<RefBook, 'refOf'>;
  logger: Logger;
  /** Where codes asked for are counted: shared by every node (Redis), or this process's memory by default. */
  rateLimits?: RateLimits;
  /** An address's own open conversation with a team, as a customer writing to the team's address (core/first-contact.ts). */
  openConversationOf?: (customer: Address, team: InboundTeam) => Promise<ConversationRecord | null>;
}

/** Stores a message of a linked address in its conversation, as the visitor's, with the address it came through. */
export type PostAsVisitor = (conversation: ConversationRecord, visitor: Address, input: InboundMessage) => Promise<Message>;

const rateLimited = (message: string) => new BridgeError('rate_limited', message);

export class Continuations {
  private readonly sites: Map<string, SiteConfig>;
  private readonly turns = new SerialQueues();
  /** The lines to a conversation's IM agents, one conversation's in order. */
  private readonly lines = new SerialQueues();
  private readonly limits: StartLimits;
  private secret: Promise<string> | undefined;

  constructor(private readonly deps: ContinuationsDeps) {
    this.sites = new Map(deps.sites.map((site) => [site.key, site]));
    this.limits = new StartLimits((deps.rateLimits ?? memoryRateLimits(() => this.now())).windows('continuation-codes'));
  }

  /** The networks a site's visitors may continue on (`Session.continueOn`), when it enables any. */
  networksOf(siteKey: string): string[] | undefined {
    const networks = this.sites.get(siteKey)?.continueOn?.networks;
    return networks && [...networks];
  }

  /**
   * Where these open conversations of a party stand on other networks (each one's latest continuation,
   * stopped ones too), for a client that connects: a reloaded widget shows its code field or its
   * banner again, and one that missed a stop while disconnected learns of it.
   */
  async of(conversations: readonly ConversationRecord[]): Promise<Continuation[]> {
    const records = await Promise.all(conversations.map((conversation) => this.deps.store.continuationOf(conversation.id)));
    return records.filter((record): record is ContinuationRecord => record !== null).map(toContinuation);
  }

  /** The visitor asks to continue at `address`: a code (or a request to reply) goes there; the continuation is pending. */
  start(actor: Actor, payload: { conversationId: string; address: string }): Promise<Continuation> {
    return this.inTurn(payload.conversationId, async () => {
      const conversation = await this.visitorsOpenConversation(actor, payload.conversationId);
      const config = this.configOf(conversation.siteKey);
      const { address, network } = this.continuable(conversation, config, payload.address);
      if (!runsSomewhere(network))
        throw new BridgeError('unavailable', `address: ${network.scheme} is ${network.status().state} at the moment; try again in a few minutes`);
      // What a blocked address writes is dropped: no chat can continue there (nor is it told why: it may be anyone's).
      if (await this.deps.store.blockOf(conversation.siteKey, address)) throw forbidden('address: this site does not continue chats at this address');
      const refusal = await this.limits.take(conversation.id, address);
      if (refusal) throw rateLimited(`address: ${refusal}`);
      const previous = await this.deps.store.continuationOf(conversation.id);
      const proof = config.proof === 'reply' && !(await this.replyCanProve(conversation, address)) ? 'code' : config.proof;
      const code = proof === 'code' ? newCode() : undefined;
      const pending: ContinuationRecord = {
        conversationId: conversation.id,
        siteKey: conversation.siteKey,
        visitor: conversation.openedBy,
        address,
        state: 'pending',
        proof,
        ...(code !== undefined ? { codeHash: hashCode(await this.secretKey(), conversation.id, code), attemptsLeft: config.maxAttempts } : {}),
        expiresAt: this.now() + config.codeTtlSeconds * 1000,
        updatedAt: this.isoNow(),
        ...(conversation.team !== undefined ? { team: conversation.team } : {}),
      };
      // Recorded first: after a crash the visitor asks again; the address never gets more than this.
      await this.deps.store.saveContinuation(pending);
      const site = this.siteName(conversation.siteKey);
      try {
        await this.sendDirect(network, conversation, address, code !== undefined ? proofText.code(code, site) : proofText.reply(site));
      } catch (error) {
        await this.restore(conversation.id, previous);
        throw sendRefusal(network.scheme, error);
      }
      if (live(previous)) this.emit(conversation, { ...previous, state: 'stopped', reason: 'replaced' });
      // Nothing queued for the address it replaces reaches it (a crash may have left some of a stopped one's); what was
      // queued for the same address is not sent while it is pending again (the outbox drops it).
      if (previous && previous.address !== address) await this.dropQueued(conversation.id, previous.address);
      this.emit(conversation, pending);
      this.deps.logger.info({ conversation: conversation.id, network: network.scheme, proof: pending.proof }, 'continuation started');
      return toContinuation(pending);
    });
  }

  /** The visitor types the code: right, the address is proven and the continuation active. */
  verify(actor: Actor, payload: { conversationId: string; code: string }): Promise<Continuation> {
    return this.inTurn(payload.conversationId, async () => {
      const conversation = await this.visitorsOpenConversation(actor, payload.conversationId);
      const current = await this.deps.store.continuationOf(conversation.id);
      if (current?.state !== 'pending' || current.proof !== 'code' || current.codeHash === undefined)
        throw notFound('conversationId: no code is waiting to be typed for this conversation; ask for one with continuation:start');
      if (this.expired(current)) {
        await this.stopRecord(conversation, current, 'expired');
        throw forbidden('code: expired; ask for a new code');
      }
      if (!codeMatches(await this.secretKey(), conversation.id, payload.code, current.codeHash)) {
        const attemptsLeft = (current.attemptsLeft ?? 1) - 1;
        if (attemptsLeft <= 0) {
          await this.stopRecord(conversation, current, 'attempts');
          throw rateLimited('code: too many wrong codes; ask for a new code');
        }
        const spent: ContinuationRecord = { ...current, attemptsLeft, updatedAt: this.isoNow() };
        await this.deps.store.saveContinuation(spent);
        this.emit(conversation, spent);
        throw forbidden(`code: wrong code; ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left`);
      }
      if (await this.stoppedAsBlocked(conversation, current)) throw forbidden('address: this site does not continue chats at this address');
      return toContinuation(await this.activate(conversation, current, 'code'));
    });
  }

  /** The visitor (or an agent of the conversation) stops it; nothing more reaches the address. */
  stop(actor: Actor, payload: { conversationId: string }): Promise<Continuation> {
    return this.inTurn(payload.conversationId, async () => {
      const conversation = await this.deps.access.conversation(actor, payload.conversationId);
      const byAgent = actsForSite(actor);
      if (!byAgent && conversation.openedBy !== actor.address)
        throw forbidden("conversationId: only the conversation's visitor (or its agents) may stop continuing it elsewhere");
      const current = await this.deps.store.continuationOf(conversation.id);
      if (!current) throw notFound('conversationId: this conversation does not continue on another network; nothing to stop');
      if (current.state === 'stopped') return toContinuation(current);
      return toContinuation(await this.stopRecord(conversation, current, byAgent ? 'agent' : 'visitor'));
    });
  }

  /** An agent of the conversation invites its visitor to continue on a network the site enables. */
  async invite(actor: Actor, payload: { conversationId: string; network: string }): Promise<ContinuationOffer> {
    if (!actsForSite(actor)) throw forbidden('continuation:invite is for agents');
    const conversation = await this.deps.access.conversation(actor, payload.conversationId);
    return this.offer(conversation, payload.network, actor.address);
  }

  /** Shows the conversation's visitor an offer to continue on `network` (from an agent: the event, or `/invite`). */
  offer(conversation: ConversationRecord, network: string, from: Address): ContinuationOffer {
    if (conversation.state === 'closed') throw forbidden('conversationId: the conversation is closed');
    const enabled = this.networksOf(conversation.siteKey) ?? [];
    if (!enabled.includes(network))
      throw badRequest(
        `network: visitors of this site may not continue on "${network}"${enabled.length ? ` (they may on: ${enabled.join(', ')})` : ' (the site enables no network in continueOn)'}`,
      );
    if (!this.deps.hosted.isHosted(conversation.openedBy))
      throw badRequest("conversationId: not a website visitor's conversation; its customer is on their network already");
    if (conversation.team === undefined || !this.deps.registry.get(network)?.customerDoor?.(conversation.team))
      throw badRequest(`network: this conversation's team has no address on ${network} to write to the visitor from`);
    const offer: ContinuationOffer = { conversationId: conversation.id, network, from };
    this.deps.hub.emit([{ kind: 'address', address: conversation.openedBy }], 'continuation:offer', offer);
    return offer;
  }

  /**
   * An agent blocked `address` on the site: what the address writes is dropped from then on, so the
   * site's conversations continuing there stop (the visitor and the agents see why), and nothing
   * more goes to it. The address is told nothing: a blocked customer hears only the block, once.
   */
  async addressBlocked(siteKey: string, address: Address): Promise<void> {
    for (const continuation of await this.deps.store.continuationsAt(address)) {
      if (continuation.siteKey !== siteKey) continue;
      await this.inTurn(continuation.conversationId, async () => {
        const current = await this.deps.store.continuationOf(continuation.conversationId);
        const conversation = await this.deps.store.getConversation(continuation.conversationId);
        if (conversation && live(current) && current.address === address) await this.stopRecord(conversation, current, 'blocked');
      });
    }
  }

  /** Stops a continuation whose address an agent blocked on the site (since it started); whether it did. */
  private async stoppedAsBlocked(conversation: ConversationRecord, current: ContinuationRecord): Promise<boolean> {
    if (!(await this.deps.store.blockOf(conversation.siteKey, current.address))) return false;
    await this.stopRecord(conversation, current, 'blocked');
    return true;
  }

  /** The conversation closed: a continuation of it stops, and an active address is told so. */
  closed(conversation: ConversationRecord): Promise<void> {
    return this.inTurn(conversation.id, async () => {
      const current = await this.deps.store.continuationOf(conversation.id);
      if (live(current)) await this.stopRecord(conversation, current, 'closed');
    });
  }

  /**
   * A message to a team's address from an address a conversation continues at: `undefined` when
   * none takes it (an ordinary customer's message); else the message stored as the visitor's (or,
   * for `/stop`, the request as taken, not stored). A pending address's reply proves it in reply mode.
   */
  async inbound(input: InboundMessage & { team: InboundTeam }, post: PostAsVisitor): Promise<Message | undefined> {
    for (const candidate of await this.deps.store.continuationsAt(input.from)) {
      const conversation = await this.deps.store.getConversation(candidate.conversationId);
      if (!conversation || !answersTeam(conversation, input.team, candidate)) continue;
      const taken = await this.inTurn(conversation.id, async () => {
        const current = await this.deps.store.continuationOf(conversation.id);
        if (current?.address !== input.from) return undefined;
        // A machine's answer (an out-of-office) to what the bridge sent there is neither the visitor's
        // words nor their consent (RFC 3834 section 2): it is an ordinary customer's automatic message,
        // which joins only a conversation of their own.
        if (input.automatic === true) return undefined;
        if (current.state === 'pending' && current.proof === 'reply') {
          // Too late: it stops, and the message is an ordinary customer's.
          if (this.expired(current)) return void (await this.stopRecord(conversation, current, 'expired'));
          // Not from someone talking to the team in a conversation of their own: what they write goes
          // on there (it may answer an agent), and someone else's request must not take their chat.
          if (await this.talksToTeam(input.from, input.team, conversation)) return undefined;
          // Blocked meanwhile (after the code went out): it stops; the message is a blocked customer's.
          if (await this.stoppedAsBlocked(conversation, current)) return undefined;
          await this.activate(conversation, current, 'reply');
          return post(conversation, current.visitor, input);
        }
        if (current.state !== 'active') return undefined;
        if (!isStopCommand(input.text)) return post(conversation, current.visitor, input);
        await this.stopRecord(conversation, current, 'remote');
        return takenNotStored(conversation, input, this.isoNow());
      });
      if (taken) return taken;
    }
    return undefined;
  }

  /** The conversation an address's typing to a team's address belongs to, as its visitor's: where it continues, if it does. */
  async typingIn(from: Address, team: InboundTeam): Promise<{ conversation: ConversationRecord; visitor: Address } | undefined> {
    for (const candidate of await this.deps.store.continuationsAt(from)) {
      if (candidate.state !== 'active') continue;
      const conversation = await this.deps.store.getConversation(candidate.conversationId);
      if (conversation?.state === 'open' && answersTeam(conversation, team, candidate)) return { conversation, visitor: candidate.visitor };
    }
    return undefined;
  }

  /**
   * A message that names its conversation (an email reply in its thread) from the address the
   * conversation continues at: `/stop` stops it, anything else is the visitor's; `undefined` when
   * the address is not the conversation's active continuation.
   */
  inThread(conversation: ConversationRecord, input: InboundMessage, post: PostAsVisitor): Promise<Message | undefined> {
    return this.inTurn(conversation.id, async () => {
      const current = await this.deps.store.continuationOf(conversation.id);
      if (current?.address !== input.from || current.state !== 'active' || input.automatic === true) return undefined;
      if (!isStopCommand(input.text)) return post(conversation, current.visitor, input);
      await this.stopRecord(conversation, current, 'remote');
      return takenNotStored(conversation, input, this.isoNow());
    });
  }

  /**
   * Whether a reply may prove `address`: only where its network vouches for the sender (XMPP, SIP
   * from an authenticated domain; a mail's From, or a SIP From elsewhere, is whatever the sender
   * wrote), and not while the address talks to the conversation's team in a conversation of its own
   * (its replies belong there).
   */
  private async replyCanProve(conversation: ConversationRecord, address: Address): Promise<boolean> {
    if ((await identityOf(this.deps.registry, address))?.vouched !== true) return false;
    return conversation.team === undefined || !(await this.talksToTeam(address, { id: conversation.team, site: conversation.siteKey }, conversation));
  }

  /** Whether `address` has an open conversation of its own with `team` (where its message to the team's address goes), other than `conversation`. */
  private async talksToTeam(address: Address, team: InboundTeam, conversation: ConversationRecord): Promise<boolean> {
    const own = await this.deps.openConversationOf?.(address, team);
    return !!own && own.id !== conversation.id;
  }

  /** The address is proven: active, recorded for the contact book, told what comes next. */
  private async activate(conversation: ConversationRecord, pending: ContinuationRecord, proof: 'code' | 'reply'): Promise<ContinuationRecord> {
    const active: ContinuationRecord = {
      conversationId: pending.conversationId,
      siteKey: pending.siteKey,
      visitor: pending.visitor,
      address: pending.address,
      state: 'active',
      proof: pending.proof,
      provenAt: this.isoNow(),
      updatedAt: this.isoNow(),
      ...(pending.team !== undefined ? { team: pending.team } : {}),
    };
    await this.deps.store.saveContinuation(active);
    this.emit(conversation, active);
    this.tellAgents(conversation, active);
    this.deps.logger.info({ conversation: conversation.id, network: networkOf(active.address), proof }, 'continuation active');
    await this.deps.contactLinks
      .link({ siteKey: conversation.siteKey, party: conversation.openedBy, address: active.address, proof })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id }, 'proven address not recorded for the contact'));
    await this.tell(asBegun(conversation, active), active.address, activeText(this.siteName(conversation.siteKey)));
    return active;
  }

  /** Stops a continuation; an address that was active gets one last line (a pending one nothing). */
  private async stopRecord(conversation: ConversationRecord, current: ContinuationRecord, reason: ContinuationStopReason): Promise<ContinuationRecord> {
    const stopped: ContinuationRecord = {
      conversationId: current.conversationId,
      siteKey: current.siteKey,
      visitor: current.visitor,
      address: current.address,
      state: 'stopped',
      proof: current.proof,
      ...(current.provenAt !== undefined ? { provenAt: current.provenAt } : {}),
      reason,
      updatedAt: this.isoNow(),
      ...(current.team !== undefined ? { team: current.team } : {}),
    };
    await this.deps.store.saveContinuation(stopped);
    this.emit(conversation, stopped);
    // Nothing still queued reaches the address; agents on IM networks were told of an active one only.
    await this.dropQueued(conversation.id, current.address);
    if (current.state === 'active') this.tellAgents(conversation, stopped);
    this.deps.logger.info({ conversation: conversation.id, reason }, 'continuation stopped');
    const site = this.siteName(conversation.siteKey);
    const last = reason === 'remote' || reason === 'visitor' || reason === 'agent' || reason === 'closed' ? stoppedText[reason](site) : undefined;
    if (current.state === 'active' && last) await this.tell(asBegun(conversation, current), current.address, last);
    return stopped;
  }

  /** Removes the outbox items of the conversation still queued for `address`. */
  private async dropQueued(conversationId: string, address: Address): Promise<void> {
    const { store, registry } = this.deps;
    const scheme = registry.forAddress(address)?.scheme ?? networkOf(address);
    let afterId = 0;
    for (;;) {
      const page = await store.pendingOutbox(scheme, 500, afterId);
      for (const item of page) if (item.recipient === address && item.message.conversationId === conversationId) await store.completeOutbox(item);
      if (page.length < 500) return;
      afterId = page.at(-1)!.id;
    }
  }

  /** Best effort: a line to an address the visitor proved (a failure is logged, the state stands). */
  private async tell(conversation: ConversationRecord, address: Address, text: string): Promise<void> {
    const network = this.deps.registry.forAddress(address);
    if (!network) return;
    await this.sendDirect(network, conversation, address, text).catch((error: unknown) =>
      this.deps.logger.warn({ err: error, conversation: conversation.id }, 'line to a continued address not sent'),
    );
  }

  /**
   * Sends from the team's address on the network, straight away and not stored: the network sees
   * a team conversation opened by that address, which it answers from the team's address.
   */
  private async sendDirect(network: Network, conversation: ConversationRecord, address: Address, text: string): Promise<void> {
    const message: Message = {
      id: newId('m'),
      conversationId: conversation.id,
      seq: 0,
      from: `team:${conversation.team}`,
      text,
      sentAt: this.isoNow(),
      status: 'accepted',
    };
    await network.send({
      message,
      direct: true,
      to: address,
      conversation: { ...toNetworkConversation(conversation), openedBy: address },
      fromName: this.siteName(conversation.siteKey),
    });
  }

  /** The conversation, when the actor is its visitor and it is open. */
  private async visitorsOpenConversation(actor: Actor, conversationId: string): Promise<ConversationRecord> {
    const conversation = await this.deps.access.conversation(actor, conversationId);
    if (actor.role !== 'visitor' || conversation.openedBy !== actor.address)
      throw forbidden("conversationId: only the conversation's visitor may continue it on another network");
    if (conversation.state === 'closed') throw forbidden('conversationId: the conversation is closed; open a new one to continue');
    return conversation;
  }

  private configOf(siteKey: string): ContinueOnConfig {
    const config = this.sites.get(siteKey)?.continueOn;
    if (!config) throw badRequest('address: this site does not let its visitors continue on another network');
    return config;
  }

  /** The address in its network's canonical form, and the network, when the conversation may continue there. */
  private continuable(conversation: ConversationRecord, config: ContinueOnConfig, typed: string): { address: Address; network: Network } {
    const scheme = typed.includes(':') ? networkOf(typed as Address).toLowerCase() : '';
    const enabled: readonly string[] = config.networks;
    if (!enabled.includes(scheme))
      throw badRequest(
        `address: this site lets its visitors continue on ${enabled.join(', ')} only; write the address with its network (xmpp:you@example.org)`,
      );
    const read = readTypedAddress(typed, this.deps.registry, this.deps.hosted);
    if (typeof read !== 'string') throw badRequest(`address: ${read.error}`);
    const network = this.deps.registry.get(scheme)!;
    if (network.ownsAddress?.(read)) throw badRequest(`address: ${read} is one of this bridge's own addresses; give yours`);
    if (this.deps.teams.teamsOf(read).length > 0) throw badRequest(`address: ${read} is an agent's address; give yours`);
    if (conversation.team === undefined || !network.customerDoor?.(conversation.team))
      throw badRequest(`address: this conversation's team has no address on ${scheme} to write to you from`);
    return { address: read, network };
  }

  /** Puts back what a start replaced, when its proof message could not be sent. */
  private async restore(conversationId: string, previous: ContinuationRecord | null): Promise<void> {
    if (previous) await this.deps.store.saveContinuation(previous);
    else await this.deps.store.deleteContinuation(conversationId);
  }

  /** Tells the visitor's connections and the site's agents where the continuation stands. */
  private emit(conversation: ConversationRecord, record: ContinuationRecord): void {
    const rooms: HubRoom[] = conversation.participants.map((address) => ({ kind: 'address', address }));
    rooms.push({ kind: 'agents', siteKey: conversation.siteKey });
    this.deps.hub.emit(rooms, 'continuation', toContinuation(record));
  }

  /**
   * The conversation's agents on IM networks get a line where web agents get the event (best
   * effort), in their chat with the visitor (a mail agent's thread of the conversation), where
   * their replies go.
   */
  private tellAgents(conversation: ConversationRecord, record: ContinuationRecord): void {
    const text = agentNotice(this.deps.refs.refOf(conversation.id), record);
    if (!text) return;
    const agents = conversation.participants.flatMap((agent) => {
      const network = this.deps.registry.forAddress(agent);
      return network?.notice && !network.deliversFromStore && this.deps.teams.teamsOf(agent).length > 0 ? [{ agent, network }] : [];
    });
    if (agents.length === 0) return;
    // One conversation's lines go out in the order their changes were made (the name is read first).
    this.lines
      .run(conversation.id, async () => {
        const name = (await this.deps.store.getParty(record.visitor))?.name;
        const about = { conversation: toNetworkConversation(conversation), visitor: record.visitor, ...(name ? { visitorName: name } : {}) };
        for (const { agent, network } of agents) {
          network.notice!({ to: agent, text, about }).catch((error: unknown) =>
            this.deps.logger.debug({ err: error, agent }, 'continuation line to an agent not sent'),
          );
        }
      })
      .catch((error: unknown) => this.deps.logger.debug({ err: error, conversation: conversation.id }, 'continuation lines to agents not sent'));
  }

  private expired(record: ContinuationRecord): boolean {
    return record.expiresAt !== undefined && this.now() >= record.expiresAt;
  }

  private siteName(siteKey: string): string {
    const site = this.sites.get(siteKey);
    return site?.name ?? siteKey;
  }

  private secretKey(): Promise<string> {
    // A failed read is not kept: the next start or verify asks the store again.
    this.secret ??= this.deps.store.secret('continuation-codes').catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    return this.secret;
  }

  private inTurn<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    return this.turns.run(conversationId, task);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  private isoNow(): string {
    return this.deps.clock.now().toISOString();
  }
}

const live = (record: ContinuationRecord | null): record is ContinuationRecord => record !== null && record.state !== 'stopped';

/** The contract's object: the stored record without the code's hash. */
export function toContinuation(record: ContinuationRecord): Continuation {
  const continuation: Continuation = { conversationId: record.conversationId, address: record.address, state: record.state, proof: record.proof };
  if (record.state === 'pending' && record.expiresAt !== undefined) continuation.expiresAt = new Date(record.expiresAt).toISOString();
  if (record.state === 'pending' && record.attemptsLeft !== undefined) continuation.attemptsLeft = record.attemptsLeft;
  if (record.provenAt !== undefined) continuation.provenAt = record.provenAt;
  if (record.reason !== undefined) continuation.reason = record.reason;
  return continuation;
}

/**
 * Whether a message to `team` belongs in this conversation: open, of that team (or one it may go
 * to), or of the team the continuation began with (whose address the visitor's own knows, after a
 * transfer too), on the team's site.
 */
function answersTeam(conversation: ConversationRecord, team: InboundTeam, continuation: ContinuationRecord): boolean {
  if (conversation.state !== 'open' || conversation.team === undefined) return false;
  if (team.site !== undefined && team.site !== conversation.siteKey) return false;
  return conversation.team === team.id || continuation.team === team.id || (team.orOpenWith ?? []).includes(conversation.team);
}

/** A request the bridge acted on without storing it (`/stop`): the network acknowledges it as taken. */
function takenNotStored(conversation: ConversationRecord, input: InboundMessage, at: string): Message {
  return { id: newId('m'), conversationId: conversation.id, seq: 0, from: input.from, text: input.text, sentAt: at, status: 'accepted' };
}

/** The start's refusal when the network would not send the proof message. */
function sendRefusal(scheme: string, error: unknown): BridgeError {
  const retryable = error instanceof NetworkError ? error.retryable : true;
  const code: ErrorCode = (error instanceof NetworkError ? error.code : undefined) ?? (retryable ? 'unavailable' : 'bad_request');
  const reason = error instanceof Error ? error.message : String(error);
  return new BridgeError(code, `address: ${scheme} would not take the code: ${reason}${retryable ? '; try again in a moment' : ''}`);
}
