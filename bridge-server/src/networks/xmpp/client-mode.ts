/**
 * Client mode: for XMPP servers where no component can be added, the bridge logs in as one bot
 * account (RFC 6120 client). Each visitor's message reaches the agent from the bot, prefixed
 * `[name #ref]`. The agent answers the latest visitor by simply replying, or any visitor with
 * `#ref text`. Fewer features than component mode: visitors are not contacts of their own and have
 * no presence; typing and receipts apply to the agent's latest conversation.
 *
 * With `customers` configured, whoever else writes to the bot is a customer of the network's
 * default team (ClientCustomers, docs/customers.md), and the presence customers share with the bot
 * is the desk's (CustomerPresence).
 *
 * The bot answers disco#info (XEP-0030) with what it implements (client-discovery.ts), so that
 * clients send it chat states, receipt requests and markers. A server's own messages (its MOTD, an
 * admin's announcement), group chat and headlines are no one's words to the bot: ignored.
 */
import { type Address, type Message, isRetraction } from '@switchboard/protocol';
import { client } from '@xmpp/client';
import { type Element, xml } from '@xmpp/component';
import { newId } from '../../util/ids.js';
import { lruCache } from '../../util/lru.js';
import { SerialQueues } from '../../util/serial.js';
import { isCommand } from '../kit/inbound.js';
import { Relay, relayedName } from '../kit/relay.js';
import type {
  CustomerDoorFeature,
  DeskFeature,
  GatewayFeature,
  NetworkContext,
  NetworkCore,
  OutboundMessage,
  PresenceFeature,
  ReceiptsFeature,
  SendResult,
  TypingFeature,
} from '../network.js';
import { addressOfJid, jidOfAddress } from './addresses.js';
import { BotChat } from './bot-chat.js';
import { AgentPresence } from './agents.js';
import { ClientCustomers } from './client-customers.js';
import { clientDiscoInfo } from './client-discovery.js';
import type { XmppClientConfig } from './config.js';
import { CustomerPresence } from './customer-presence.js';
import { encryptedRefusal, encryptionOf } from './encrypted.js';
import { InboundFiles, hasContent, refusedFilesError } from './inbound-files.js';
import { type Reaction, reactedTo, reactionOf, reactionText } from './reactions.js';
import { SentParts, chatStanza, fileNames, outboundParts } from './outbound-files.js';
import { XmppSession } from './session.js';
import { TrustedLinks, discoverUploadPrefixes } from './upload-services.js';
import { TypingRepeats } from '../typing-repeats.js';
import {
  NS,
  bodyOf,
  bounce,
  replyOf,
  chatStateOf,
  confirmationsOf,
  errorReply,
  isBroadcast,
  isMarkable,
  receiptOf,
  reportConfirmations,
  xmlSafe,
} from './stanzas.js';
import { InboundCorrections, rememberable } from './corrections.js';
import { retransmissionId } from './retransmission.js';

/** A JID without a localpart: a server's, or a service's on it (RFC 7622 section 3.3). */
const isServerJid = (jid: string) => !jid.split('/')[0]!.includes('@');

type ClientNetwork = NetworkCore &
  TypingFeature &
  ReceiptsFeature &
  PresenceFeature &
  DeskFeature &
  Pick<GatewayFeature, 'ownsAddress' | 'reportStatus'> &
  CustomerDoorFeature;

export function createClientNetwork({ config, sink, logger, refs, hosted, teams, files, records }: NetworkContext<XmppClientConfig>): ClientNetwork {
  const entity = client({ service: config.service, domain: config.domain, username: config.username, password: config.password, resource: config.resource });
  const botJid = `${config.username}@${config.domain}`;
  const botAddress = `xmpp:${botJid.toLowerCase()}` as Address;
  const relay = new Relay({ network: 'xmpp', sink, refs, bot: botAddress });
  const botChat = new BotChat();
  const sentParts = new SentParts();
  /** Stanza ids of messages agents and customers sent, for the read markers they get (recent ones are enough). */
  const stanzaIds = lruCache<string, string>(10_000);
  const rememberStanzaId = (messageId: string, stanzaId: string): void => {
    if (rememberable(stanzaId)) stanzaIds.set(messageId, stanzaId);
  };
  /** The stanza ids of agents' last messages, for their corrections (XEP-0308). */
  const corrections = new InboundCorrections(records);
  /** Files linked from messages, fetched from the upload services of the bot's server (or `files.fetchFrom`). */
  const trusted = new TrustedLinks(config.files?.fetchFrom ?? [], logger);
  const inboundFiles = new InboundFiles({ trusted, files, logger });
  /** Each sender's messages are handled in the order they came, however long fetching a file takes. */
  const senders = new SerialQueues();
  const customers =
    config.customers &&
    new ClientCustomers({
      config: config.customers,
      teams: teams ?? [],
      sink,
      hosted,
      botJid,
      files: inboundFiles,
      send: (stanza) => session.trySend(stanza),
      stored: rememberStanzaId,
      ...(records ? { records } : {}),
    });

  entity.iqCallee.get(NS.discoInfo, 'query', ({ element }) => clientDiscoInfo(element.attrs.node, { customers: Boolean(customers) }));

  const session: XmppSession = new XmppSession(entity, {
    service: config.service,
    domain: config.domain,
    connectTimeoutSeconds: config.connectTimeoutSeconds,
    sink,
    logger,
    onOnline: () => {
      logger.info({ jid: botJid }, 'xmpp bot online');
      session.trySend(xml('presence')); // RFC 6121 section 4.2: initial presence, so the bot gets presence
      trusted.refresh(() => discoverUploadPrefixes((iq) => session.request(iq), { server: config.domain }, logger));
      agents.onOnline();
      customersPresence?.online();
    },
    onOffline: () => {
      agents.onOffline();
      customersPresence?.offline();
    },
    onStanza: (stanza) => {
      if (stanza.is('message')) {
        const sender = (stanza.attrs.from ?? '').split('/')[0]!.toLowerCase();
        senders
          .run(sender, () => onMessage(stanza))
          .catch((error: unknown) => {
            logger.info({ err: error, from: stanza.attrs.from }, 'xmpp message refused');
            const { from, id } = stanza.attrs;
            if (from) session.trySend(errorReply(stanza, error, { to: from, ...(id ? { id } : {}) }));
          });
      } else if (stanza.is('presence')) onPresence(stanza);
    },
  });
  const agents = new AgentPresence(sink, (stanza) => session.trySend(stanza));
  /** Customers' own presence, shared with the bot in return of their subscription to it. */
  const customersPresence = customers && new CustomerPresence({ sink, send: (stanza) => session.trySend(stanza), teamJidsOf: () => [] });

  function onPresence(stanza: Element): void {
    const { from, type } = stanza.attrs;
    if (type === 'subscribe' && from) {
      session.trySend(xml('presence', { type: 'subscribed', to: from }));
      if (customers?.isCustomer(from)) customersPresence?.subscribed(from.split('/')[0]!, undefined, customers.teamName);
      // An agent adding the bot back, after denying its request: asked again.
      else agents.subscribedBy(from);
      return;
    }
    if (!agents.handle(stanza) && customers?.isCustomer(from)) customersPresence?.handle(stanza);
  }

  const reply = (to: string, text: string) => session.trySend(xml('message', { type: 'chat', to }, xml('body', {}, xmlSafe(text))));

  async function onMessage(stanza: Element): Promise<void> {
    const { from, id } = stanza.attrs;
    if (!from) return;
    // A marker in an agent's chat with the bot covers the other conversations' messages before it too.
    const { read } = confirmationsOf(stanza);
    if (read && stanza.attrs.type !== 'error') {
      const reader = addressOfJid(from);
      for (const covered of botChat.coveredBy(reader, read)) sink.receipt({ messageId: covered, status: 'read', reader });
    }
    if (reportConfirmations(stanza, sink)) return;
    // No person wrote it to the bot: nothing to relay, and no refusal to send back (RFC 6121 section 5.2.2).
    if (isServerJid(from) || isBroadcast(stanza)) return;
    const encryption = hasContent(stanza) ? encryptionOf(stanza) : undefined;
    if (encryption) {
      session.trySend(bounce(stanza, encryptedRefusal(encryption)));
      return;
    }
    if (customers?.takes(stanza)) return customers.receive(stanza);
    const agent = addressOfJid(from);
    // A reaction (XEP-0444), whatever fallback body it carries: as words quoting what it is about.
    const reaction = reactionOf(stanza);
    if (reaction) return react(stanza, agent, reaction);
    if (!hasContent(stanza)) {
      const state = chatStateOf(stanza);
      const conversationId = relay.latestOf(agent);
      if (state && conversationId) sink.typing({ from: agent, conversationId, state });
      return;
    }
    const body = bodyOf(stanza) ?? '';
    if (isCommand(body)) {
      const answer = await sink.command({ from: agent, text: body });
      const receipt = receiptOf(stanza);
      if (receipt) session.trySend(receipt);
      reply(from, answer);
      return;
    }
    const originId = stanza.getChild('origin-id', NS.sid)?.attrs.id ?? id;
    const amendment = await corrections.amended(stanza, agent);
    // A retraction of nothing the bridge has (its fallback body is for clients that cannot retract): nothing to store.
    if (amendment?.retracts && !amendment.original) return;
    // A reply (XEP-0461) to a message the bot relayed goes to that message's conversation, without
    // the quote of it (the bot's line, another visitor's words maybe) that clients add as a fallback.
    const replying = replyOf(stanza);
    const { text, files: linked } = amendment?.retracts ? { text: '', files: [] } : await inboundFiles.read(stanza, replying?.body);
    const remoteId = await retransmissionId(stanza, agent, records);
    // A correction goes to the conversation of the message it corrects, whichever the agent wrote to last.
    const original = amendment?.original;
    const answering = replying ? botChat.conversationOf(agent, replying.to) : undefined;
    const outcome = await corrections.store(
      stanza,
      agent,
      relay.receive({
        from: agent,
        text,
        files: linked,
        remoteId,
        answering,
        ...(original ? { corrects: original.id, conversationId: original.conversationId } : {}),
      }),
      (result) => ('refusal' in result ? null : result.stored),
    );
    if ('refusal' in outcome) {
      // A retraction the bridge did not store (of a message taken back already): nothing to say.
      if (!amendment?.retracts) reply(from, outcome.refusal);
      return;
    }
    // A file the site refused was not delivered: the agent is told so, and gets no receipt nor marker.
    const filesRefused = refusedFilesError(outcome.stored, linked.length);
    if (filesRefused) return session.trySend(bounce(stanza, filesRefused));
    if (originId && isMarkable(stanza)) rememberStanzaId(outcome.stored.id, originId);
    const receipt = receiptOf(stanza);
    if (receipt) session.trySend(receipt);
  }

  /** An agent's reaction to a line the bot relayed: their words in that line's conversation (reactions.ts), or an error. */
  async function react(stanza: Element, agent: Address, reaction: Reaction): Promise<void> {
    const reacted = await reactedTo(records, reaction, agent);
    if ('refusal' in reacted) return session.trySend(bounce(stanza, reacted.refusal));
    const outcome = await relay.receive({
      from: agent,
      text: reactionText(reaction, reacted.original),
      remoteId: await retransmissionId(stanza, agent, records),
      conversationId: reacted.conversation.id,
    });
    if ('refusal' in outcome) return reply(stanza.attrs.from!, outcome.refusal);
    const receipt = receiptOf(stanza);
    if (receipt) session.trySend(receipt);
  }

  /** XEP-0333: the writer of a markable message hears it was displayed, named by their own stanza id. */
  async function displayed(message: Pick<Message, 'id' | 'from'>): Promise<void> {
    // Of type chat, so that the server copies it to each of the user's devices (XEP-0280 section 6).
    const stanzaId = stanzaIds.get(message.id);
    if (stanzaId) await session.send(xml('message', { type: 'chat', to: jidOfAddress(message.from) }, xml('displayed', { xmlns: NS.markers, id: stanzaId })));
  }

  async function sendMessage({ message, to, conversation, fromName, delayedSince }: OutboundMessage): Promise<SendResult> {
    if (isRetraction(message)) {
      for (const stanza of sentParts.retractions({ to: jidOfAddress(to), messageId: message.id, retracts: message.corrects! })) await session.send(stanza);
      return { remoteId: message.id, status: 'sent' };
    }
    // The text, then each file (outbound-files.ts): one result for all.
    if (customers?.isCustomerOf(conversation, to)) {
      const parts = outboundParts(message.text, message.attachments, files, to);
      for (const [index, part] of parts.entries()) await session.send(customers.messageTo(message, to, fromName, part, index, delayedSince));
      sentParts.sent(message.id, parts.length);
      return { remoteId: message.id, status: 'sent' };
    }
    const name = relayedName(message.from, fromName, hosted, fromName ?? hosted.idOf(message.from) ?? message.from);
    // An agent reads which conversation a file is of in the line before it: the text, or the files' names.
    const heading = message.text.trim().length > 0 || !message.attachments?.length ? message.text : fileNames(message.attachments);
    const parts = outboundParts(heading, message.attachments, files, to);
    // The agent's plain reply answers this conversation from the moment its first line can reach
    // them, not once every part is acknowledged (a quick reply would go to the conversation before).
    relay.heardFrom(to, conversation.id);
    // In the chat's order from then on too: with stream management the agent's client can mark a
    // later line displayed before the server acknowledged this one (XEP-0198, XEP-0333 section 6).
    botChat.sent(to, message.id, conversation.id);
    try {
      for (const [index, part] of parts.entries()) {
        const body = index === 0 ? `${relay.prefix(conversation.id, name)}${part.body}` : part.body;
        await session.send(
          chatStanza({ to: jidOfAddress(to), messageId: message.id, index, part: { ...part, body }, corrects: message.corrects, delayedSince }),
        );
      }
    } catch (error) {
      botChat.unsent(to, message.id);
      throw error;
    }
    sentParts.sent(message.id, parts.length);
    return { remoteId: message.id, status: 'sent' };
  }

  // XEP-0085 section 5.2: a chat state once, not again in succession; every visitor writes from the one JID.
  const typing = new TypingRepeats(Infinity);

  return {
    scheme: 'xmpp',
    deliversFromStore: false,
    retracts: true,
    corrects: true,
    status: () => session.status,
    start: () => session.start(),
    stop: () => session.stop(),
    send(outbound: OutboundMessage): Promise<SendResult> {
      // The message ends the composing before it as it goes out, not once the server acknowledged
      // it (stream management): a composing said meanwhile is a new one (XEP-0085 section 5.2).
      typing.messageSent(botAddress, outbound.to);
      return sendMessage(outbound);
    },
    async setTyping({ to, state }) {
      await typing.typing(botAddress, to, state, (said) =>
        session.send(xml('message', { type: 'chat', to: jidOfAddress(to) }, xml(said, { xmlns: NS.chatStates }), xml('no-store', { xmlns: NS.hints }))),
      );
    },
    markRead: ({ message }) => displayed(message),
    // Another reader's marker (an XMPP agent's client displaying a customer's line): the writer is told as for a web reader.
    reportStatus: ({ message, status }) => (status === 'read' ? displayed(message) : Promise.resolve()),
    subscribePresence(addresses: Address[]) {
      agents.watch(addresses, session.status.state === 'online');
      return Promise.resolve();
    },
    ownsAddress: (address) => address.toLowerCase() === botAddress,
    // Every visitor writes from the bot's JID: a plain reply to a closed conversation is refused, not reopened.
    conversationChanged: (conversation) => relay.conversationChanged(conversation),
    // The bot's JID takes customers' messages for the configured team only.
    customerDoor: (team) => customers?.doorFor(team) ?? null,
    async notice({ to, text, about }) {
      if (about) relay.heardFrom(to, about.conversation.id);
      const line = about ? relay.tagged(about.conversation.id, text) : text;
      await session.send(xml('message', { type: 'chat', to: jidOfAddress(to), id: newId('n') }, xml('body', {}, xmlSafe(line))));
    },
  };
}
