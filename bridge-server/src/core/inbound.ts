/**
 * What networks report, through the one `InboundSink` (docs/networks.md, "The inbound sink"):
 * messages (into the message pipeline), presence, typing, receipts, their own status, and the
 * desk's and the gateway's requests.
 */
import { type Address, type Message, isAddress, isBlankText, saysNothing } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { LimitsConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { InboundMessage, InboundSink, InboundTyping, NetworkStatus } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, Store } from '../store/store.js';
import { withoutTrailingBreaks } from '../util/text.js';
import type { Announcer } from './announcer.js';
import { DESK_COMMAND_NAMES } from './desk/command-names.js';
import type { AgentCommands } from './desk/commands.js';
import type { Router } from './desk/router.js';
import type { TeamDirectory } from './desk/teams.js';
import type { FanOut } from './fan-out.js';
import type { CustomerInbound } from './customer-inbound.js';
import type { ServedVisitors } from './desk/served-visitors.js';
import type { GatewayService } from './interop/gateway-service.js';
import type { MessagePipeline } from './message-pipeline.js';
import { NetworkPresenceReports } from './network-presence-reports.js';
import type { OutboxWorker } from './outbox.js';
import type { PresenceService } from './presence.js';
import type { MessageStatuses } from './statuses.js';
import type { VisitorMail } from './visitor-mail.js';
import type { Continuations } from './continuations/continuations.js';
import { BridgeError, badRequest } from './errors.js';
import { reopen } from './reopen.js';
import { checkText } from './text-limit.js';

/**
 * A desk command an agent typed in the customer's chat rather than to the bridge (`/note ID TEXT`,
 * `/whois ID`, `/close ID`): its name, once the text is one.
 */
const DESK_COMMAND = new RegExp(`^\\s*/(${DESK_COMMAND_NAMES.join('|')})(?:\\s|$)`, 'i');

export interface InboundDeps {
  store: Store;
  teams: TeamDirectory;
  presence: PresenceService;
  router: Router;
  commands: AgentCommands;
  /** Gateway mode, when configured. */
  interop: GatewayService | undefined;
  pipeline: MessagePipeline;
  announcer: Pick<Announcer, 'announce' | 'announced'>;
  /** Customers writing to a team's address on their network. */
  customers: CustomerInbound;
  fanOut: FanOut;
  statuses: MessageStatuses;
  outbox: OutboxWorker;
  limits: LimitsConfig;
  logger: Logger;
  metrics: Metrics;
  /** Whose a mail from the address a visitor gave is (their answer to a reply sent to them there). */
  visitorMail?: Pick<VisitorMail, 'visitorWriting'>;
  /** Messages to a team's address from an address a visitor continues their conversation at. */
  continuations?: Pick<Continuations, 'inbound' | 'inThread' | 'typingIn'>;
  /** The networks, to read an address of another network in its canonical form. */
  registry: Pick<NetworkRegistry, 'canonical'>;
  /** Visitors of the agents' open conversations, brought back on a network that comes online. */
  servedVisitors: Pick<ServedVisitors, 'restore'>;
}

export class Inbound {
  /** The one way into the core for networks. */
  readonly sink: InboundSink;
  private readonly reports = new NetworkPresenceReports();
  /** Each network's last reported state: a network says `online` again when nothing changed (an IRC puppet connecting). */
  private readonly networkStates = new Map<string, NetworkStatus['state']>();

  constructor(private readonly deps: InboundDeps) {
    const { presence, teams, router, interop: gateway, statuses } = deps;
    this.sink = {
      // Trailing line breaks are trimmed here, once for every network (a SIP body's final CR LF).
      message: (input) => this.message({ ...input, ...this.canonicalTo(input.to), text: withoutTrailingBreaks(input.text) }).catch(forNetworkUsers),
      presence: (input) => {
        const report = input.text === undefined ? { address: input.address, status: input.status } : { ...input };
        if (this.reports.isNews(report, presence.get(report.address))) presence.update(report);
      },
      typing: (input) => this.typing({ ...input, ...this.canonicalTo(input.to) }),
      receipt: (input) => statuses.receipt(input),
      status: (network, status) => this.networkStatus(network, status),
      isAgent: (address) => teams.teamsOf(address).length > 0,
      claim: (input) => router.claim(input.conversationId, input.agent),
      command: (input) => this.command(input.from, input.text),
      follow: (input) =>
        gateway
          ? gateway.follow({ ...input, target: this.deps.registry.canonical(input.target) })
          : Promise.resolve({ ok: false, reason: 'this bridge is not a gateway' }),
    };
  }

  /**
   * The address one network names for a user of another (an XMPP gateway JID, a SIP URI's user
   * part) as that user's network writes it: one party and one conversation however it was typed.
   */
  private canonicalTo(to: Address | undefined): { to?: Address } {
    return to === undefined ? {} : { to: this.deps.registry.canonical(to) };
  }

  /** Stores a network's message in the conversation it belongs to (opening a gateway conversation when it is one). */
  async message(input: InboundMessage): Promise<Message | null> {
    checkText(input.text, this.deps.limits.maxTextLength);
    // A sender's address comes from the network (a SIP From URI unescapes %0D%0A): one with a space or
    // a control character would be stored and shown to agents as it is, one line made several.
    if (!isAddress(input.from)) throw badRequest(`from: ${JSON.stringify(input.from)} is not an address this bridge takes messages from`);
    // Nothing in it (a body of blanks or line breaks, no file): refused, as a client's `message:send`
    // is (docs/protocol.md), rather than stored and shown as a message taken back. A correction to
    // nothing takes the message back.
    if (isBlankText(input.text) && !input.files?.length) {
      if (input.corrects === undefined) throw badRequest('text: must not be empty or blank');
      return this.retraction({ ...input, text: '', corrects: input.corrects });
    }
    const { interop: gateway } = this.deps;
    if (input.team) {
      // A visitor writing from the address they continue their conversation at: theirs, in it.
      const team = input.team;
      const continued = await this.deps.continuations?.inbound({ ...input, team }, async (conversation, visitor) => {
        // What the address writes to the team is a customer's message all the same: blocked, it is dropped.
        await this.deps.customers.admitContinued({ ...input, team }, conversation.siteKey);
        return this.post(conversation, { ...input, from: visitor }, undefined, input.from);
      });
      if (continued) return continued;
      // A customer writing to a team's address: their open conversation with the team, or a new one.
      return this.deps.customers.message({ ...input, team }, (conversation) => this.post(conversation, input));
    }
    let conversation = await this.conversationOf(input.from, input.to, input.conversationId);
    // Two users of other networks talking through the gateway: policy first, then their conversation.
    // A party the bridge hosts (a website visitor) is never one: a message to one outside their
    // conversation is refused as the network refuses it, not as the gateway would.
    const throughGateway =
      gateway &&
      (conversation
        ? gateway.isGatewayConversation(conversation)
        : input.conversationId === undefined && !gateway.hosts(input.to) && !(await this.deskCustomerOfAgent(input.from, input.to)));
    // Someone outside a gateway conversation naming it (an IRC user's `#ref` guessed) is no one
    // there: refused as such before the policy, whose answer would say whom the conversation joins.
    if (throughGateway && conversation && !conversation.participants.includes(input.from)) {
      this.deps.logger.info(
        { network: input.network, from: input.from, conversation: conversation.id },
        'inbound message refused: not in that gateway conversation',
      );
      return null;
    }
    if (throughGateway) conversation = await gateway.conversationFor(input, conversation);
    // A message in a conversation's thread from the address it continues at: the visitor's, or `/stop`.
    if (conversation && !throughGateway && input.conversationId) {
      const continued = await this.deps.continuations?.inThread(conversation, input, (into, visitor) =>
        this.post(into, { ...input, from: visitor }, undefined, input.from),
      );
      if (continued) return continued;
    }
    // A visitor who left answering by mail, at the address they gave, writes as themselves.
    const visitor = conversation && !throughGateway && input.conversationId ? await this.deps.visitorMail?.visitorWriting(conversation, input.from) : null;
    if (conversation && visitor) {
      // A machine's answer (an out-of-office) to the reply mailed to a visitor who left is not the
      // visitor's words, nor does it reopen a closed conversation (RFC 3834 section 2).
      if (input.automatic === true) return null;
      return this.post(await this.reopened(conversation), { ...input, from: visitor }, undefined, input.from);
    }
    // Someone the customer copied, answering all: their words join the open conversation as theirs.
    if (conversation && !throughGateway && input.copiedReply === true && input.conversationId && !conversation.participants.includes(input.from)) {
      if (conversation.state === 'closed' || input.automatic === true) return null;
      if (!(await this.deps.customers.admitCopied(input, conversation))) return null;
      return this.post(conversation, input);
    }
    if (!conversation || !conversation.participants.includes(input.from)) {
      this.deps.logger.info({ network: input.network, from: input.from, to: input.to }, 'inbound message refused: no conversation joins these parties');
      return null;
    }
    // A desk command typed in the customer's chat (a private note, a /whois the context line hints
    // at) would reach the customer and run nothing: it goes to the bridge's own address.
    const command = throughGateway || this.deps.teams.teamsOf(input.from).length === 0 ? undefined : DESK_COMMAND.exec(input.text)?.[1];
    if (command !== undefined)
      throw badRequest(`/${command.toLowerCase()} is a desk command: send it to the bridge's own address, not in the customer's chat; nothing was sent`);
    // An agent writing in a conversation closed since opens it again, as from the console
    // (messages.ts): the visitor reads it in an open chat, and it is not left closed with a reply
    // no one follows. A correction of an earlier message changes nothing, nor does a client's
    // resend of one stored before the close (XEP-0198), which is stored once.
    if (!throughGateway && conversation.state === 'closed' && input.corrects === undefined && this.deps.teams.teamsOf(input.from).length > 0) {
      const resent = input.remoteId !== undefined && (await this.deps.store.messageByRemoteId(input.network, input.remoteId)) !== null;
      if (!resent) conversation = await this.reopened(conversation);
    }
    // A gateway message keeps the hops it came with, stored with it: whichever node sends it on (even
    // after a restart) adds this bridge to them (docs/gateway.md).
    return this.post(conversation, input, throughGateway ? (input.via ?? []) : undefined);
  }

  /**
   * A retraction (`isRetraction`) goes to the conversation of the message it takes back, wherever
   * it was addressed; only from who wrote it, themselves or the visitor whose conversation continues
   * at the sender's address, while they take part and are not blocked, and once. Of any other,
   * nothing is stored: the store would keep it as an empty message of its own.
   */
  private async retraction(input: InboundMessage & { corrects: string }): Promise<Message | null> {
    const original = await this.deps.store.getMessage(input.corrects);
    // Taken back already (or itself a retraction): once is enough, however often a client repeats it.
    if (!original || saysNothing(original)) return null;
    const conversation = await this.deps.store.getConversation(original.conversationId);
    if (!conversation) return null;
    const writer = original.from === input.from || original.sentFrom === input.from ? original.from : undefined;
    if (!writer || !conversation.participants.includes(writer)) return null;
    // A blocked customer does not take back what they were blocked for.
    for (const address of new Set([input.from, writer])) if (await this.deps.customers.isBlocked(address, conversation.siteKey)) return null;
    const via = this.deps.interop?.isGatewayConversation(conversation) ? (input.via ?? []) : undefined;
    return this.post(conversation, { ...input, from: writer }, via, writer === input.from ? undefined : input.from);
  }

  /**
   * Stores a network's message (a retransmission, by its remote id, returns the stored one);
   * `sentFrom`: the address a visitor's message came through.
   */
  private async post(conversation: ConversationRecord, input: InboundMessage, via?: readonly string[], sentFrom?: Address): Promise<Message> {
    const result = await this.deps.pipeline.post({
      conversation,
      from: input.from,
      text: input.text,
      ...(input.files && input.files.length > 0 ? { files: input.files } : {}),
      ...(sentFrom !== undefined ? { sentFrom } : {}),
      ...(input.remoteId !== undefined ? { remote: { network: input.network, id: input.remoteId } } : {}),
      ...(input.corrects !== undefined ? { corrects: input.corrects } : {}),
      ...(via ? { via } : {}),
      ...(input.reached && input.reached.length > 0 ? { reached: input.reached } : {}),
      ...(input.onQueued ? { onQueued: input.onQueued } : {}),
    });
    return result.message;
  }

  /**
   * A visitor's answer by mail to a conversation closed meanwhile opens it again, as their message
   * from the widget would (its agent gets it back), rather than lying unread in a closed one; so
   * does an agent's message in it.
   */
  private reopened(conversation: ConversationRecord): Promise<ConversationRecord> {
    return conversation.state === 'closed' ? reopen(this.deps, conversation) : Promise.resolve(conversation);
  }

  private typing(input: InboundTyping): void {
    void (async () => {
      // Typing from the address a visitor continues at: the visitor's, in their conversation.
      const continued = input.team ? await this.deps.continuations?.typingIn(input.from, input.team) : undefined;
      if (continued) {
        if (await this.deps.customers.isBlocked(input.from, continued.conversation.siteKey)) return;
        return this.deps.fanOut.typing(continued.conversation, continued.visitor, input.state);
      }
      const conversation = input.team
        ? await this.deps.customers.typingConversation(input.from, input.team)
        : await this.conversationOf(input.from, input.to, input.conversationId);
      if (conversation?.participants.includes(input.from)) this.deps.fanOut.typing(conversation, input.from, input.state);
    })().catch((error: unknown) => this.deps.logger.debug({ err: error }, 'inbound typing dropped'));
  }

  /**
   * Whether `to` is a customer of the desk on a site `from` is an agent of (they took part in a
   * conversation of a team there; a fellow agent is none): the address an agent's IM client shows
   * for a customer is the one the gateway reads as that user's, so what the agent writes there
   * outside an open conversation is the desk's, refused as the desk refuses it, not a gateway
   * conversation from the agent's own address. Anyone else the agent reaches through the gateway.
   */
  private async deskCustomerOfAgent(from: Address, to: Address | undefined): Promise<boolean> {
    const { teams, store } = this.deps;
    if (to === undefined || teams.teamsOf(to).length > 0) return false;
    const sites = new Set(teams.teamsOf(from).flatMap((team) => teams.sitesOf(team)));
    if (sites.size === 0) return false; // not an agent
    const teamIds = teams.all().map((team) => team.id);
    for (const siteKey of sites) if ((await store.listConversations({ siteKey, participant: to, teams: teamIds, limit: 1 })).length > 0) return true;
    return false;
  }

  /**
   * The conversation a network's traffic belongs to: the one it names, else the most recent open
   * conversation of the addressed party (a visitor's puppet) that the sender takes part in.
   */
  private async conversationOf(from: Address, to: Address | undefined, conversationId?: string): Promise<ConversationRecord | null> {
    const { store } = this.deps;
    if (conversationId) return store.getConversation(conversationId);
    return to ? store.openConversationBetween(to, from) : null;
  }

  /** A command to the bridge's own address: the gateway's `/to` for anyone, the desk's for agents. */
  private async command(from: Address, text: string): Promise<string> {
    const { interop: gateway } = this.deps;
    if (gateway && this.deps.teams.teamsOf(from).length === 0) {
      const answer = await gateway.command(from, text);
      if (answer !== null) return answer;
    }
    return this.deps.commands.run(from, text);
  }

  private networkStatus(network: string, status: NetworkStatus): void {
    this.deps.metrics.networkUp.set({ network }, status.state === 'online' ? 1 : 0);
    // Each attempt of a network that cannot connect goes through `connecting`: only where it ends is news.
    this.deps.logger[status.state === 'connecting' ? 'debug' : 'info']({ network, ...status }, 'network status');
    const before = this.networkStates.get(network);
    this.networkStates.set(network, status.state);
    if (status.state !== 'online') return;
    this.deps.outbox.kick(network);
    // Presence that changed while the network was away is shown now (gateway users only: agents
    // see visitors' presence on their next message). Only when it comes back: shown again while
    // it stays online, the presence of a user not known yet (offline) would mark a puppet that
    // just connected for them away, though they are writing.
    if (before !== 'online')
      this.deps.interop?.reshare(network).catch((error: unknown) => this.deps.logger.debug({ err: error }, 'gateway presence not shown again'));
    this.deps.servedVisitors.restore(network).catch((error: unknown) => this.deps.logger.debug({ err: error }, 'visitors not brought back'));
  }
}

/**
 * A refusal as a network's user reads it (an IRC NOTICE, an XMPP error's text, a SIP Warning): the
 * store's `unavailable` speaks of the API's clientId, which means nothing to them.
 */
export function forNetworkUsers(error: unknown): never {
  if (error instanceof BridgeError && error.code === 'unavailable')
    throw new BridgeError('unavailable', 'The bridge could not store the message just now: send it again in a moment.', { cause: error });
  throw error;
}
