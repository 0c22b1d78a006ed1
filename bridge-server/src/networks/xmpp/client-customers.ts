/**
 * Customers in client mode (docs/customers.md, "XMPP, client mode"): whoever writes to the bot's
 * JID and is not an agent of a team is a customer of the network's default team. Their message
 * opens or continues their conversation with the team (stored once, by its XEP-0359 origin-id, and
 * acknowledged with a XEP-0184 receipt once stored); their chat states reach its agents. What the
 * desk writes them comes from the bot's JID as plain `chat` messages, each naming who of the team
 * wrote it (XEP-0172 nick), never the `[name #ref]` lines agents read.
 *
 * `/help` is the one command a customer has (it tells them where their words go); any other text,
 * `/` or not, is a message for the team.
 */
import type { Address, Message } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { ConfigError } from '../../config-error.js';
import type { DeskTeam, HostedParties, InboundFile, InboundSink, InboundTeam, NetworkConversation } from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { teamAddress } from './component-teams.js';
import { type InboundFiles, hasContent, refusedFilesError } from './inbound-files.js';
import { type OutboundPart, chatStanza } from './outbound-files.js';
import { InboundCorrections } from './corrections.js';
import { type RemoteIds, retransmissionId } from './retransmission.js';
import { type Reaction, type ReactedRecords, reactedTo, reactionOf, reactionText } from './reactions.js';
import { NS, bodyOf, bounce, chatStateOf, isMarkable, nickOf, receiptOf, refusal, xmlSafe } from './stanzas.js';

export interface ClientCustomersParts {
  /** The configuration's `customers`: the team and, for a team of several sites, the site. */
  config: { team: string; site?: string | undefined };
  /** The desk's teams (the configured one must be among them). */
  teams: readonly DeskTeam[];
  sink: InboundSink;
  hosted: HostedParties;
  /** The bot's bare JID: its own messages (carbons, echoes) are no customer's. */
  botJid: string;
  /** The files customers' messages link to (without it, links stay text). */
  files?: InboundFiles;
  /**
   * The messages stored, by remote id: a reused stanza id's copies are told from new messages
   * (retransmission.ts); by id, with their conversations: the messages reactions name.
   */
  records?: RemoteIds & ReactedRecords;
  send(stanza: Element): void;
  /** A customer's message was stored under this id, sent with this stanza id (for read markers). */
  stored(messageId: string, stanzaId: string): void;
}

/** A customer's only command: anything else they write goes to the team. */
const isHelp = (text: string) => /^\s*\/help\s*$/i.test(text);

export class ClientCustomers {
  private readonly team: DeskTeam;

  /** The name the bot asks for a customer's presence under (XEP-0172). */
  get teamName(): string {
    return this.team.name;
  }
  /** Customers' last messages, for their corrections (XEP-0308). */
  private readonly corrections: InboundCorrections;

  constructor(private readonly parts: ClientCustomersParts) {
    this.corrections = new InboundCorrections(parts.records);
    const team = parts.teams.find((candidate) => candidate.id === parts.config.team);
    if (!team) throw new ConfigError(`XMPP client mode: customers.team "${parts.config.team}" is no team of the configuration`);
    this.team = team;
  }

  /**
   * Whether a message stanza is a customer's: from a user's JID (not a server's, not the bot's
   * own) who is not an agent, of a type a person writes (RFC 6121 section 5.2.2: not groupchat or
   * headline; errors are confirmations, read before).
   */
  takes(stanza: Element): boolean {
    const { from, type = 'normal' } = stanza.attrs;
    return ['chat', 'normal'].includes(type) && this.isCustomer(from);
  }

  /** Whether a JID is a customer's: a user's (not a server's, not the bot's own) who is not an agent. */
  isCustomer(from: string | undefined): from is string {
    if (!from?.includes('@')) return false;
    const bare = from.split('/')[0]!.toLowerCase();
    return bare !== this.parts.botJid.toLowerCase() && !this.parts.sink.isAgent(addressOfJid(from));
  }

  async receive(stanza: Element): Promise<void> {
    const { sink } = this.parts;
    const { from = '', id } = stanza.attrs;
    const customer = addressOfJid(from);
    const team = this.addressed();
    // A reaction (XEP-0444), whatever fallback body it carries: as words quoting what it is about.
    const reaction = reactionOf(stanza);
    if (reaction) return this.react(stanza, customer, reaction);
    if (!hasContent(stanza)) {
      const state = chatStateOf(stanza);
      if (state) sink.typing({ from: customer, to: teamAddress(team.id), state, team });
      return;
    }
    const body = bodyOf(stanza) ?? '';
    if (isHelp(body)) {
      const receipt = receiptOf(stanza);
      if (receipt) this.parts.send(receipt);
      return this.reply(from, `Write here and the ${this.team.name} team answers you here.`);
    }
    // XEP-0359: the sender's origin-id survives retransmission; else the stanza id, per sender.
    const originId = stanza.getChild('origin-id', NS.sid)?.attrs.id ?? id;
    const remoteId = await retransmissionId(stanza, customer, this.parts.records);
    const amendment = await this.corrections.amended(stanza, customer);
    // A retraction of nothing the bridge has (its fallback body is for clients that cannot retract): nothing to store.
    if (amendment?.retracts && !amendment.original) return;
    const corrects = amendment?.original?.id;
    const nick = nickOf(stanza);
    const { text, files } = amendment?.retracts ? { text: '', files: [] } : await this.content(stanza, body);
    const stored = await this.corrections.store(
      stanza,
      customer,
      sink.message({
        network: 'xmpp',
        from: customer,
        to: teamAddress(team.id),
        text,
        ...(files.length > 0 ? { files } : {}),
        team,
        ...(remoteId ? { remoteId } : {}),
        ...(corrects ? { corrects } : {}),
        ...(nick !== undefined ? { fromName: nick } : {}),
      }),
    );
    if (!stored) {
      // A retraction the bridge did not store (of a message taken back already): nothing to say.
      if (amendment?.retracts) return;
      this.parts.send(bounce(stanza, refusal('not-allowed', 'This team takes no messages from this network')));
      return;
    }
    // A file the site refused was not delivered: the customer is told so, and gets no receipt nor marker.
    const filesRefused = refusedFilesError(stored, files.length);
    if (filesRefused) return this.parts.send(bounce(stanza, filesRefused));
    if (originId && isMarkable(stanza)) this.parts.stored(stored.id, originId);
    // XEP-0184: the bridge stored it for the team; acknowledge on the team's behalf.
    const receipt = receiptOf(stanza);
    if (receipt) this.parts.send(receipt);
  }

  /** A customer's reaction to a message of their open conversation: their words in it (reactions.ts), or an error. */
  private async react(stanza: Element, customer: Address, reaction: Reaction): Promise<void> {
    const error = (condition: Element) => this.parts.send(bounce(stanza, condition));
    const reacted = await reactedTo(this.parts.records, reaction, customer);
    if ('refusal' in reacted) return error(reacted.refusal);
    const remoteId = await retransmissionId(stanza, customer, this.parts.records);
    const stored = await this.parts.sink.message({
      network: 'xmpp',
      from: customer,
      to: teamAddress(this.team.id),
      text: reactionText(reaction, reacted.original),
      team: this.addressed(),
      ...(remoteId ? { remoteId } : {}),
    });
    if (!stored) return error(refusal('not-allowed', 'This team takes no messages from this network'));
    const receipt = receiptOf(stanza);
    if (receipt) this.parts.send(receipt);
  }

  /** Whether `to` is the customer who opened this team conversation on XMPP (not a hosted party). */
  isCustomerOf(conversation: NetworkConversation, to: Address): boolean {
    return conversation.team !== undefined && conversation.openedBy === to && !this.parts.hosted.isHosted(to);
  }

  /** A customer's words and the files they link to (links stay text without `files`). */
  private async content(stanza: Element, body: string): Promise<{ text: string; files: InboundFile[] }> {
    return this.parts.files ? this.parts.files.read(stanza) : { text: body, files: [] };
  }

  /**
   * A message of the conversation for its customer: the text alone (or one `part` of it, the
   * `index`th stanza: outbound-files.ts), with who wrote it as the nick.
   */
  messageTo(
    message: Message,
    to: Address,
    fromName: string | undefined,
    part: OutboundPart = { body: message.text },
    index = 0,
    delayedSince?: string,
  ): Element {
    return chatStanza({ to: jidOfAddress(to), messageId: message.id, index, part, active: true, nick: fromName, corrects: message.corrects, delayedSince });
  }

  /** The team as a customer's message to the bot reaches it, when `team` is the configured one. */
  doorFor(team: string): InboundTeam | null {
    return team === this.team.id ? this.addressed() : null;
  }

  private addressed(): InboundTeam {
    const { team, site } = this.parts.config;
    return { id: team, ...(site !== undefined ? { site } : {}) };
  }

  private reply(to: string, text: string): void {
    this.parts.send(xml('message', { type: 'chat', to }, xml('body', {}, xmlSafe(text))));
  }
}
