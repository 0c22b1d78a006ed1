/**
 * Agent commands, the same on every network (docs/support-desk.md, "Commands"): a message starting
 * with `/` sent to the bridge's own address on the agent's network. Each command answers with text;
 * nothing typed here ever reaches a visitor, except through `/canned`. A conversation is named by
 * its ref: the end of its id (`#3fa9c`, or any longer tail, or the whole id).
 */
import { type Address, type Attachment, type Message, actionLine, isRetraction, networkOf } from '@switchboard/protocol';
import type { AgentConfig } from '../../config.js';
import { type CustomerIdentity, type HostedParties, NAMELESS_VISITOR } from '../../networks/network.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { MAX_NOTES } from '../../store/inbox-store.js';
import type { PresenceService } from '../presence.js';
import { BlockCommands, type BlockScope } from './block-commands.js';
import { CommandError } from './command-error.js';
import type { Router } from './router.js';
import { type TeamDirectory, agentLabel } from './teams.js';
import { agentTarget, checkTeamTransfer, checkTransfer, teamTarget, userPart } from './transfer-target.js';
import { oneLine } from '../../util/text.js';
import { agentUserId } from '../../networks/web/site-scope.js';
import type { RefBook } from '../../networks/refs.js';
import type { Actor } from '../actor.js';
import { BridgeError } from '../errors.js';
import { customerEmail } from '../customer-names.js';
import type { OutreachRequest, OutreachResult } from '../outreach/outreach.js';

const HISTORY_DEFAULT = 10;
const HISTORY_MAX = 50;
const LIST_MAX = 30;

/**
 * A message's line in /history: its text and its files (each with a link for the agent asking, when
 * links can be made: one seen days ago has expired since), else "(deleted)" (one a retraction emptied).
 */
const shownText = (message: Message, linkOf?: (file: Attachment) => string): string => {
  const files = (message.attachments ?? []).map((file) => `(file: ${oneLine(file.name)}${linkOf ? ` ${linkOf(file)}` : ''})`);
  return [message.text, ...files].filter((part) => part !== '').join(' ') || '(deleted)';
};

export const COMMANDS_HELP = [
  'Commands (send them to this address):',
  "/list: your open conversations and those waiting in your teams' queues",
  '/claim ID: take a waiting conversation',
  "/transfer ID AGENT|TEAM: hand a conversation to another agent (by id, address or short name) or to a team's queue",
  "/close ID: close a conversation (a website visitor's chat shows it closed)",
  "/history [ID [N]]: the last N messages (default 10), with the desk's notes among them marked [note] (your latest conversation without ID)",
  '/note ID TEXT: a private note on a conversation: only the desk sees it, never the customer',
  '/whois [ID]: who the visitor is and where, their addresses on other networks and their other conversations (your latest conversation without ID)',
  '/canned NAME [ID]: send a canned reply (to your latest conversation without ID); /canned alone lists them',
  '/to ADDRESS TEXT: start a conversation of your team with a customer on their network (xmpp:carol@example.com, sip:..., irc:...)',
  '/invite ID NETWORK: offer the visitor to continue the conversation on their xmpp, sip or mailto address (shown in the widget)',
  '/away, /back: your availability, for networks without presence',
  '/block ID|ADDRESS, /unblock ID|ADDRESS: drop (or take again) the messages of a customer on their own network; /blocked lists them',
  'ID is the #ref shown with each conversation (e.g. 3fa9c).',
].join('\n');

export interface CommandDeps {
  store: Store;
  router: Router;
  teams: TeamDirectory;
  presence: PresenceService;
  /** Stores a message from the agent in a conversation and delivers it (as if the agent wrote it). */
  sendAs(agent: Address, conversationId: string, text: string): Promise<Message | null>;
  /** Closes a conversation and tells its parties; `by`: the agent who asked. */
  close(conversationId: string, by: Address): Promise<void>;
  /** Moves a conversation to another agent, or to a team's queue. */
  /** `by`: who asked (told nothing of a conversation they moved away themselves). */
  transfer(conversationId: string, to: { agent: Address } | { team: string }, by?: Address): Promise<ConversationRecord>;
  /** The conversation the agent dealt with last (for `/canned` without an id). */
  latestOf(agent: Address): string | undefined;
  /** The bridge's refs, the same an agent reads in context lines and relayed messages. */
  refs: RefBook;
  /** Starts (or finds) a team conversation with a customer on their network (outreach). */
  reachOut(actor: Actor, request: OutreachRequest): Promise<OutreachResult>;
  /** The parties the bridge hosts itself (website visitors are not blocked by `/block`). */
  hosted: Pick<HostedParties, 'isHosted' | 'isVisitor'>;
  /** A customer's address as an agent typed it, in its network's canonical form (`/block ADDRESS`). */
  readAddress(typed: string): Address | { error: string };
  /** What the customer's network says of their address (`/whois`), when it can say. */
  identityOf(address: Address): Promise<CustomerIdentity | undefined>;
  /** `/whois`: the lines about the customer's contact (its addresses, its other conversations). */
  aboutContact?(conversation: ConversationRecord): Promise<string[]>;
  /** Shows the conversation's visitor an offer to continue on a network (`/invite`); throws why not. */
  invite(agent: Address, conversation: ConversationRecord, network: string): unknown;
  /** Stops the site's conversations continuing at an address an agent just blocked. */
  addressBlocked?(siteKey: string, address: Address): Promise<void>;
  /** A link to a file for `agent`, fresh (what `/history` lists: links sent days ago have expired). */
  fileLink?(file: Attachment, agent: Address): string;
  /** Stores a private note by the agent on the conversation (`/note`); throws a BridgeError why not. */
  note?(agent: Address, conversation: ConversationRecord, text: string): Promise<unknown>;
}

/** The agent's teams, and for a web agent the one site it signed in for (web addresses are per site). */
type Scope = BlockScope;

export class AgentCommands {
  private readonly blocks: BlockCommands;

  constructor(private readonly deps: CommandDeps) {
    this.blocks = new BlockCommands({ ...deps, resolve: (teams, ref, usage) => this.resolve(teams, ref, usage) });
  }

  /**
   * Runs a command from `from`; resolves with the answer to send back. `siteKey`: the site a web
   * agent signed in for (web addresses are per site): only that site's teams and conversations.
   */
  async run(from: Address, text: string, siteKey?: string): Promise<string> {
    const [name = '', ...args] = text.trim().slice(1).split(/\s+/);
    const teams: Scope = Object.assign(
      this.deps.teams.teamsOf(from).filter((team) => siteKey === undefined || team.sites === undefined || team.sites.includes(siteKey)),
      { siteKey },
    );
    if (teams.length === 0) return 'Commands are for the agents of a team; this address is not one.';
    try {
      switch (name.toLowerCase()) {
        case 'list':
          return await this.list(from, teams);
        case 'claim':
          return await this.claim(from, teams, args);
        case 'transfer':
          return await this.transfer(from, teams, args);
        case 'close':
          return await this.close(from, teams, args);
        case 'history':
          return await this.history(from, teams, args);
        case 'note':
          return await this.note(from, teams, text);
        case 'whois':
          return await this.whois(from, teams, args);
        case 'canned':
          return await this.canned(from, teams, args);
        case 'to':
          return await this.reachOut(from, teams, text);
        case 'invite':
          return await this.invite(from, teams, args);
        case 'block':
          return await this.blocks.block(from, teams, args);
        case 'unblock':
          return await this.blocks.unblock(teams, args);
        case 'blocked':
          return await this.blocks.list(teams);
        case 'away':
        case 'back':
          return this.availability(from, name.toLowerCase() === 'away', args.join(' '));
        case 'help':
          return COMMANDS_HELP;
        default:
          return `Unknown command "/${name}".\n${COMMANDS_HELP}`;
      }
    } catch (error) {
      if (error instanceof CommandError) return error.message;
      throw error;
    }
  }

  private agentsOf(teams: Scope, address: Address): AgentConfig | undefined {
    for (const team of teams) for (const agent of team.agents) if (agent.addresses.includes(address)) return agent;
    return undefined;
  }

  /** The conversation a ref names among the agent's teams' conversations. */
  private async resolve(teams: Scope, ref: string | undefined, usage: string): Promise<ConversationRecord> {
    // The whole id as the API and the console give it starts `c_`: its end is what refs are.
    const cleaned = ref?.replace(/^#/, '').toLowerCase().replace(/^c_/, '');
    if (!cleaned || !/^[0-9a-z]{4,40}$/.test(cleaned)) throw new CommandError(`Usage: ${usage}`);
    const teamIds = teams.map((team) => team.id);
    // The conversation this bridge showed with that ref, read by its id: no search of the site's
    // conversations by the end of their ids (which reads them all when the ref names a closed one).
    const shown = this.deps.refs.resolve(cleaned);
    if (shown !== undefined) {
      const conversation = await this.ofScope(teams, shown);
      if (conversation) return conversation;
    }
    const query = { teams: teamIds, idSuffix: cleaned, limit: 2, ...(teams.siteKey !== undefined ? { siteKey: teams.siteKey } : {}) };
    // An open conversation wins over closed ones with the same ref.
    let found = await this.deps.store.listConversations({ ...query, state: 'open' });
    if (found.length === 0) found = await this.deps.store.listConversations(query);
    if (found.length === 0) throw new CommandError(`No conversation of your teams has the ref #${cleaned}.`);
    if (found.length > 1) throw new CommandError(`#${cleaned} names several conversations; give more of its id.`);
    return found[0]!;
  }

  /** The conversation a ref names; without one, the agent's latest (as `/canned` takes it), when it is of their teams. */
  private async resolveOrLatest(from: Address, teams: Scope, ref: string | undefined, usage: string): Promise<ConversationRecord> {
    if (ref !== undefined) return this.resolve(teams, ref, usage);
    const latest = this.deps.latestOf(from);
    const conversation = latest === undefined ? null : await this.ofScope(teams, latest);
    if (!conversation) throw new CommandError(`Usage: ${usage} (no conversation of yours to take without an ID yet)`);
    return conversation;
  }

  /** The conversation with this id, when it is of one of the agent's teams (and of the site, from the console). */
  private async ofScope(teams: Scope, conversationId: string): Promise<ConversationRecord | null> {
    const conversation = await this.deps.store.getConversation(conversationId);
    const ours = conversation?.team !== undefined && teams.some((team) => team.id === conversation.team);
    return conversation && ours && (teams.siteKey === undefined || conversation.siteKey === teams.siteKey) ? conversation : null;
  }

  private async describe(conversation: ConversationRecord): Promise<string> {
    const visitor = await this.deps.store.getParty(conversation.openedBy);
    const who = oneLine(visitor?.name ?? conversation.openedBy);
    const where = visitor?.pageUrl ? ` on ${oneLine(visitor.pageUrl)}` : '';
    const state = conversation.state === 'closed' ? 'closed' : conversation.assignee ? `with ${conversation.assignee}` : 'waiting';
    return `#${this.deps.refs.refOf(conversation.id)} ${who}${where} (${state}, ${conversation.lastSeq} ${conversation.lastSeq === 1 ? 'message' : 'messages'})`;
  }

  private async list(from: Address, teams: Scope): Promise<string> {
    const agent = this.agentsOf(teams, from);
    const mine: ConversationRecord[] = [];
    const site = teams.siteKey !== undefined ? { siteKey: teams.siteKey } : {};
    for (const address of agent?.addresses ?? [from])
      mine.push(...(await this.deps.store.listConversations({ participant: address, state: 'open', limit: LIST_MAX, ...site })));
    const waiting = (await Promise.all(teams.map((team) => this.deps.store.queuedConversations(team.id, LIST_MAX))))
      .flat()
      .filter((c) => teams.siteKey === undefined || c.siteKey === teams.siteKey);
    const lines = ['Your open conversations:'];
    lines.push(...(mine.length ? await Promise.all(mine.filter((c) => c.team !== undefined).map((c) => this.describe(c))) : ['  none']));
    lines.push("Waiting in your teams' queues:");
    lines.push(...(waiting.length ? await Promise.all(waiting.map((c) => this.describe(c))) : ['  none']));
    return lines.join('\n');
  }

  private async claim(from: Address, teams: Scope, args: string[]): Promise<string> {
    const conversation = await this.resolve(teams, args[0], '/claim ID');
    const outcome = await this.deps.router.claim(conversation.id, from);
    const ref = this.deps.refs.refOf(conversation.id);
    if (!outcome.ok) return outcome.reason;
    return outcome.already ? `#${ref} is yours already.` : `You have #${ref}; what was said so far follows.`;
  }

  private async transfer(from: Address, teams: Scope, args: string[]): Promise<string> {
    const conversation = await this.resolve(teams, args[0], '/transfer ID AGENT|TEAM');
    const target = args[1];
    if (!target) throw new CommandError('Usage: /transfer ID AGENT|TEAM');
    const ref = this.deps.refs.refOf(conversation.id);
    if (conversation.state === 'closed') throw new CommandError(`#${ref} is closed.`);
    const to = teamTarget(this.deps, conversation, target) ?? agentTarget(this.deps, conversation, target);
    checkTransfer(conversation, to, ref);
    if ('team' in to) {
      await checkTeamTransfer(this.deps.router, conversation, to.team, from, ref);
      await this.deps.transfer(conversation.id, to, from);
      return `#${ref} is in the queue of team ${to.team}.`;
    }
    await this.deps.transfer(conversation.id, to, from);
    const who = agentLabel(this.deps.teams, to.agent);
    const { status } = this.deps.presence.get(to.agent);
    // Handed over all the same (as to an agent on a break): the asker knows the visitor may wait.
    if (status === 'offline') return `#${ref} is now with ${who}, who is offline: they see it when they are back.`;
    if (status !== 'available') return `#${ref} is now with ${who}, who is ${status}.`;
    return `#${ref} is now with ${who}.`;
  }

  private async close(from: Address, teams: Scope, args: string[]): Promise<string> {
    const conversation = await this.resolve(teams, args[0], '/close ID');
    if (conversation.state === 'closed') return `#${this.deps.refs.refOf(conversation.id)} was already closed.`;
    await this.deps.close(conversation.id, from);
    return `#${this.deps.refs.refOf(conversation.id)} is closed.`;
  }

  private async invite(from: Address, teams: Scope, args: string[]): Promise<string> {
    const conversation = await this.resolve(teams, args[0], '/invite ID NETWORK');
    const network = args[1]?.toLowerCase().replace(/:$/, '');
    if (!network) throw new CommandError('Usage: /invite ID NETWORK (xmpp, sip or mailto)');
    const ref = `#${this.deps.refs.refOf(conversation.id)}`;
    if (!this.deps.hosted.isHosted(conversation.openedBy)) throw new CommandError(`${ref} is not a website visitor's conversation.`);
    try {
      this.deps.invite(from, conversation, network);
    } catch (error) {
      if (error instanceof BridgeError) throw new CommandError(`${ref}: ${error.message.replace(/^(network|conversationId): /, '')}.`);
      throw error;
    }
    return `${ref}: the visitor is offered to continue on ${network} (in the widget, if it is open).`;
  }

  private async history(from: Address, teams: Scope, args: string[]): Promise<string> {
    const conversation = await this.resolveOrLatest(from, teams, args[0], '/history ID [N]');
    const count = args[1] === undefined ? HISTORY_DEFAULT : Number(args[1]);
    if (!Number.isInteger(count) || count < 1) throw new CommandError('Usage: /history ID [N] (N: how many messages, 1 to 50)');
    // A retraction says nothing of its own (the message it took back shows as deleted): read twice
    // as many, so that as many as asked are shown.
    const wanted = Math.min(count, HISTORY_MAX);
    const { messages: read } = await this.deps.store.history(conversation.id, { limit: 2 * wanted });
    const messages = read.filter((message) => !isRetraction(message)).slice(-wanted);
    // The desk's notes written after the first message shown, each after the message it followed.
    const since = messages[0]?.seq ?? 0;
    const notes = (await this.deps.store.notes(conversation.id, MAX_NOTES)).filter((note) => note.afterSeq >= since);
    if (messages.length === 0 && notes.length === 0) return `#${this.deps.refs.refOf(conversation.id)} has no messages yet.`;
    const names = new Map<Address, string>();
    for (const from of [...messages, ...notes].map((each) => each.from)) {
      if (!names.has(from)) names.set(from, await this.nameInHistory(from));
    }
    // A message's own line breaks are kept (one message may span lines); each starts with its sender.
    // An action (`/me checks`, an IRC agent's ACTION) reads as one: `* alice checks`.
    const line = (at: string, from: Address, text: string, mark = '') =>
      `[${at.slice(11, 16)}] ${mark}${(mark ? undefined : actionLine(names.get(from)!, text)) ?? `${names.get(from)}: ${text}`}`.replace(
        /\r\n|\r|\n/g,
        '\n    ',
      );
    const noteLines = (afterSeq: (seq: number) => boolean) =>
      notes.filter((note) => afterSeq(note.afterSeq)).map((note) => line(note.createdAt, note.from, note.text, '[note] '));
    return [
      `Last ${messages.length} of #${this.deps.refs.refOf(conversation.id)}:`,
      ...noteLines((seq) => messages.length === 0 || seq < since),
      // Each note after the last message shown at or before the one it followed.
      ...messages.flatMap((m, i) => [
        line(m.sentAt, m.from, shownText(m, this.deps.fileLink && ((file) => this.deps.fileLink!(file, from)))),
        ...noteLines((seq) => seq >= m.seq && seq < (messages[i + 1]?.seq ?? Infinity)),
      ]),
    ].join('\n');
  }

  /**
   * Who wrote a /history line: their name, else an agent's user part (`alice`, as relayed lines
   * name them), a website visitor's "Visitor" (as the context line does), else a customer's address.
   */
  private async nameInHistory(from: Address): Promise<string> {
    const name = (await this.deps.store.getParty(from))?.name ?? this.deps.teams.agentNameOf(from);
    if (name !== undefined) return oneLine(name);
    if (this.deps.teams.teamsOf(from).length > 0 || agentUserId(from) !== undefined) return userPart(from);
    return this.deps.hosted.isVisitor(from) ? NAMELESS_VISITOR : from;
  }

  /** `/note ID TEXT`: a private note, kept for the desk; it never reaches the customer. */
  private async note(from: Address, teams: Scope, text: string): Promise<string> {
    const match = /^\/\S+\s+(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(text.trim());
    if (!match || !this.deps.note) throw new CommandError('Usage: /note ID TEXT');
    const conversation = await this.resolve(teams, match[1], '/note ID TEXT');
    const ref = `#${this.deps.refs.refOf(conversation.id)}`;
    try {
      await this.deps.note(from, conversation, match[2]!.trim());
    } catch (error) {
      if (error instanceof BridgeError) throw new CommandError(`Not noted on ${ref}: ${error.message}`);
      throw error;
    }
    return `Noted on ${ref} (only the desk sees it).`;
  }

  private async whois(from: Address, teams: Scope, args: string[]): Promise<string> {
    const conversation = await this.resolveOrLatest(from, teams, args[0], '/whois ID');
    const visitor = await this.deps.store.getParty(conversation.openedBy);
    const identity = await this.deps.identityOf(conversation.openedBy);
    return [
      `#${this.deps.refs.refOf(conversation.id)}: ${oneLine(visitor?.name ?? 'no name given')}`,
      // A customer by mail has their address as their email.
      `email: ${oneLine(visitor?.email ?? customerEmail(conversation.openedBy) ?? 'not given')}`,
      `page: ${oneLine(visitor?.pageUrl ?? 'unknown')}`,
      `identity: ${visitor?.verified ? 'verified by the website' : 'not verified'}`,
      `network: ${networkOf(conversation.openedBy)} (${conversation.openedBy})`,
      ...(identity ? [`vouched: ${identity.vouched ? 'yes' : 'no'}, ${identity.how}`] : []),
      ...((await this.deps.aboutContact?.(conversation)) ?? []),
    ].join('\n');
  }

  private async canned(from: Address, teams: Scope, args: string[]): Promise<string> {
    const replies = new Map<string, string>();
    for (const team of teams) for (const [name, text] of Object.entries(team.canned)) if (!replies.has(name)) replies.set(name, text);
    const name = args[0];
    if (!name) return replies.size ? `Canned replies: ${[...replies.keys()].join(', ')}` : 'Your teams have no canned replies.';
    const text = replies.get(name);
    if (!text) throw new CommandError(`No canned reply "${name}". Canned replies: ${[...replies.keys()].join(', ') || 'none'}`);
    const conversationId = args[1] ? (await this.resolve(teams, args[1], '/canned NAME [ID]')).id : this.deps.latestOf(from);
    if (!conversationId) throw new CommandError('No conversation to send it to: give its ID (/canned NAME ID).');
    const sent = await this.deps.sendAs(from, conversationId, text);
    if (!sent) throw new CommandError(`You are not in #${this.deps.refs.refOf(conversationId)}; claim it first.`);
    return `Sent "${name}" to #${this.deps.refs.refOf(conversationId)}.`;
  }

  /**
   * `/to ADDRESS TEXT`: outreach for the agent's first team, on the site the agent signed in for
   * (a web agent), else the team's first site.
   */
  private async reachOut(from: Address, teams: Scope, text: string): Promise<string> {
    const match = /^\/\S+\s+(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(text.trim());
    if (!match) throw new CommandError('Usage: /to ADDRESS TEXT (for example /to xmpp:carol@example.com Hello)');
    const [, to, message] = match as unknown as [string, string, string];
    const team = teams[0]!;
    const siteKey = teams.siteKey ?? this.deps.teams.sitesOf(team)[0];
    if (siteKey === undefined) throw new CommandError(`Team ${team.id} serves no site.`);
    try {
      const { conversation, opened } = await this.deps.reachOut({ address: from, role: 'agent', siteKey }, { to, team: team.id, text: message.trim() });
      const ref = `#${this.deps.refs.refOf(conversation.id)}`;
      return opened
        ? `Opened ${ref} with ${conversation.openedBy} for team ${team.id} (id ${conversation.id}); their replies come to it.`
        : `Sent in ${ref}, the open conversation of team ${team.id} with ${conversation.openedBy} (id ${conversation.id}).`;
    } catch (error) {
      if (error instanceof BridgeError) throw new CommandError(`Not sent to ${to}: ${error.message}`);
      throw error;
    }
  }

  private availability(from: Address, away: boolean, text: string): string {
    this.deps.presence.update({ address: from, status: away ? 'away' : 'available', ...(text ? { text } : {}) });
    return away ? 'You are away: no new conversations will be given to you.' : 'You are back: new conversations can be given to you.';
  }
}
