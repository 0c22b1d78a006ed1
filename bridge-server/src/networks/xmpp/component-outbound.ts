/**
 * What the component sends XMPP users: RFC 6121 `chat` messages from the sender's JID carrying
 * XEP-0359 origin-id (the bridge's message id), XEP-0184 receipt requests, XEP-0333 markable,
 * XEP-0085 chat states and the sender's XEP-0172 nick (from a team's JID on each message, from a party's
 * own JID when it was not the last one sent to that recipient), then each file of the message
 * as its link with an XEP-0066 out-of-band element; typing notices and the bridge's own notices. Text reaches XML only through the library's escaping.
 */
import { type Address, actionLine, isRetraction, networkOf } from '@switchboard/protocol';
import { xml } from '@xmpp/component';
import type { Network, NetworkFiles, OutboundMessage, SendResult } from '../network.js';
import { type JidMap, jidOfAddress, userPart } from './addresses.js';
import type { ComponentLinks } from './component-links.js';
import type { ComponentPresence } from './component-presence.js';
import type { CapabilitiesOf } from './gateway-discovery.js';
import { SentParts, chatStanza, outboundParts } from './outbound-files.js';
import { NS, xmlSafe } from './stanzas.js';
import { TypingRepeats } from '../typing-repeats.js';
import { newId } from '../../util/ids.js';
import { lruCache } from '../../util/lru.js';

/** JID pairs whose last nick is remembered (one forgotten gets the nick again: harmless). */
const NICKS_KEPT = 10_000;

/** A line of someone else's in the conversation's chat: `[Alice] text`, or `* Alice checks` for an action (XEP-0245). */
const named = (name: string, text: string): string => actionLine(name, text) ?? `[${name}] ${text}`;

type TypingInput = Parameters<NonNullable<Network['setTyping']>>[0];
type NoticeInput = Parameters<NonNullable<Network['notice']>>[0];

export interface ComponentOutboundParts {
  map: JidMap;
  links: ComponentLinks;
  presence: ComponentPresence;
  capabilitiesOf: CapabilitiesOf;
  mainDomain: string;
  /** The bridge's files: links signed for each recipient. */
  files?: NetworkFiles | undefined;
  /** Whether an address is an agent of a team. */
  isAgent(address: Address): boolean;
}

export class ComponentOutbound {
  /**
   * The nick last sent from each JID to each recipient: a team's JID carries its agents' names as
   * well as its own (its greeting, queue and close messages), and a client shows the nick it last
   * received, so a name is sent again whenever it is not the one the recipient last saw.
   */
  private readonly nicknamed = lruCache<string, string>(NICKS_KEPT);
  private readonly sentParts = new SentParts();
  /** XEP-0085 section 5.2: a chat state once, not again in succession. */
  private readonly typing = new TypingRepeats(Infinity);

  constructor(private readonly parts: ComponentOutboundParts) {}

  async send({ message, to, conversation, fromName, via, delayedSince }: OutboundMessage): Promise<SendResult> {
    const { map, links, presence, capabilitiesOf } = this.parts;
    // The team's own words (its greeting) to an agent, and another agent's to the conversation's
    // agent (the history a transfer brings, a colleague stepping in), come in the conversation's
    // chat, named: from their own JID they would open a chat of its own, where the agent's answer
    // reaches no customer.
    const customer = conversation.openedBy;
    const desk = message.from.startsWith('team:') || (to === conversation.assignee && message.from !== customer && this.parts.isAgent(message.from));
    const chat = desk && customer !== undefined && customer !== to ? customer : undefined;
    const from = chat ? map.jidOf(chat) : map.senderJid(message.from, to, conversation);
    // From a team's JID, each message names who of the team wrote it; a party's own JID, once.
    const asTeam = chat === undefined && from !== map.jidOf(message.from);
    if (!asTeam && !chat) await presence.introduce(message.from, to);
    const pair = `${from} ${to}`;
    const introduce = !chat && fromName !== undefined && (asTeam || this.nicknamed.get(pair) !== fromName);
    // XEP-0085 section 5.1: an `active` says chat states are supported; not for a network without typing.
    const capabilities = capabilitiesOf(networkOf(message.from));
    const active = capabilities?.typing !== false;
    // A team's JID announces receipts; a gateway JID only where its network has them (gateway-discovery.ts).
    const receipts = asTeam || capabilities?.receipts !== false;
    if (isRetraction(message)) {
      for (const stanza of this.sentParts.retractions({ from, to: jidOfAddress(to), messageId: message.id, retracts: message.corrects! }))
        await links.send(stanza);
      return { remoteId: message.id, status: 'sent' };
    }
    const common = {
      from,
      to: jidOfAddress(to),
      messageId: message.id,
      active,
      receipts,
      nick: introduce ? fromName : undefined,
      via,
      corrects: message.corrects,
      delayedSince,
      delayedBy: this.parts.mainDomain,
    };
    // The text, then each file (outbound-files.ts): one result for all.
    const text = chat ? named(fromName ?? userPart(message.from), message.text) : message.text;
    const parts = outboundParts(text, message.attachments, this.parts.files, to);
    for (const [index, part] of parts.entries()) await links.send(chatStanza({ ...common, index, part }));
    this.sentParts.sent(message.id, parts.length);
    this.typing.messageSent(from, to);
    if (introduce) this.nicknamed.set(pair, fromName);
    return { remoteId: message.id, status: 'sent' };
  }

  async setTyping({ conversation, from, to, state }: TypingInput): Promise<void> {
    const { map, links } = this.parts;
    const sender = map.senderJid(from, to, conversation);
    await this.typing.typing(sender, to, state, (said) =>
      links.send(
        xml('message', { type: 'chat', from: sender, to: jidOfAddress(to) }, xml(said, { xmlns: NS.chatStates }), xml('no-store', { xmlns: NS.hints })),
      ),
    );
  }

  /**
   * In the visitor's own chat when it is about a conversation; else from the bridge's JID. Stored
   * like any message (no XEP-0334 `<no-store/>`): a context line or a failure is what an agent
   * offline now, or reading on another device from the archive (XEP-0313), needs to find.
   */
  async notice({ to, text, about }: NoticeInput): Promise<void> {
    const { map, links, mainDomain } = this.parts;
    const from = about ? map.jidOf(about.visitor) : mainDomain;
    await links.send(xml('message', { type: 'chat', from, to: jidOfAddress(to), id: newId('n') }, xml('body', {}, xmlSafe(text))));
    this.typing.messageSent(from, to);
  }
}
