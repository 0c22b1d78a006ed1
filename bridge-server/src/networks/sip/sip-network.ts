/**
 * The SIP/SIMPLE network (docs/networks/sip.md): agents on any SIP account (Linphone, Jitsi, Zoiper,
 * enterprise UC) talk with visitors, each visitor a SIP URI of its own under a domain the proxy
 * routes to the bridge's registration. RFC 3428 MESSAGE both ways, RFC 3994 isComposing, RFC 3856
 * presence (SUBSCRIBE to agents, PUBLISH for visitors), RFC 5438 IMDN where enabled. Text travels
 * only in bodies; nothing a visitor writes reaches a header but its display name, quoted.
 */
import type { Address, TypingState } from '@switchboard/protocol';
import { type Message as IncomingMessage, Messager, Publisher, PublisherState, UserAgent } from 'sip.js';
import { type Network, type NetworkCapabilities, type NetworkContext, NetworkError, type OutboundMessage, type SendResult } from '../network.js';
import { addressOfUri, partyOfUser, partyUri, quotedDisplayName, uriOfAddress, warningHeader } from './addresses.js';
import { SipAgentPresence } from './agents.js';
import { CONTENT_TYPES, cpimWithImdn, imdnBody, isComposingBody, parseCpim, pidfBody, receiptOfImdn, typingOfIsComposing } from './bodies.js';
import type { SipNetworkConfig } from './config.js';
import { SipSession } from './session.js';
import { bounded } from '../../util/bounded.js';
import { cleanHops } from '../../util/hops.js';
import { LRUCache } from 'lru-cache';
import { commandOrHelp } from '../kit/inbound.js';

export { sipNetworkConfigSchema, type SipNetworkConfig } from './config.js';

/** Agents' messages whose sender asked for IMDN, kept to answer when the visitor reads them. */
const IMDN_REQUESTS_KEPT = 10_000;
/** How long each goodbye to the proxy (unsubscribe, unpublish, unregister) may take at shutdown. */
const STOP_STEP_MS = 2_000;

/**
 * Withdraws a publication and disposes of it, waiting for the proxy's answer first (bounded): SIP.js
 * re-arms its refresh timer from the answer, so disposing before it would leave that timer running.
 */
async function withdraw(publisher: Publisher): Promise<void> {
  if (publisher.state === PublisherState.Published) {
    const answered = new Promise<void>((resolve) => {
      const listener = (state: PublisherState) => {
        if (state === PublisherState.Published) return;
        publisher.stateChange.removeListener(listener);
        resolve();
      };
      publisher.stateChange.addListener(listener);
    });
    await publisher.unpublish().catch(() => undefined);
    await bounded(answered, STOP_STEP_MS);
  }
  await publisher.dispose().catch(() => undefined);
  clearTimeout((publisher as unknown as { publishRefreshTimer?: NodeJS.Timeout }).publishRefreshTimer);
}

/** The contract's refusal codes as SIP final responses. */
const REFUSALS: Record<string, { statusCode: number; reasonPhrase: string; extraHeaders?: string[] }> = {
  forbidden: { statusCode: 403, reasonPhrase: 'Forbidden' },
  rate_limited: { statusCode: 503, reasonPhrase: 'Rate Limited', extraHeaders: ['Retry-After: 60'] },
  too_large: { statusCode: 413, reasonPhrase: 'Message Too Large' },
  bad_request: { statusCode: 400, reasonPhrase: 'Bad Request' },
};
/** Final responses worth another try (the outbox retries with backoff); anything else fails the message. */
const RETRYABLE = new Set([408, 480, 500, 503, 504]);

function failure(statusCode: number, reason: string): NetworkError {
  const code =
    statusCode === 404 || statusCode === 604
      ? 'not_found'
      : statusCode === 403 || statusCode === 603
        ? 'forbidden'
        : statusCode === 413 || statusCode === 513
          ? 'too_large'
          : RETRYABLE.has(statusCode)
            ? 'unavailable'
            : 'bad_request';
  return new NetworkError(`SIP ${statusCode} ${reason}`, RETRYABLE.has(statusCode), code);
}

/** The bridge's own URI under the visitor domain, where agents send commands (`/list`, ...). */
/** The gateway hop marker (docs/gateway.md): an extension header (RFC 3261 section 7.3, no `X-` per RFC 6648). */
const HOPS_HEADER = 'Switchboard-Hops';
const BRIDGE = Symbol('bridge');
const BRIDGE_USER = 'switchboard';

export function createSipNetwork({ config, sink, logger }: NetworkContext<SipNetworkConfig>): Network {
  const visitorDomain = config.visitorDomain.toLowerCase();
  const bridgeUri = `sip:${BRIDGE_USER}@${visitorDomain}`;
  /** Messages whose SIP sender asked for IMDN: answered when the visitor (or the other network) confirms. */
  const imdnRequests = new LRUCache<string, { imdnId: string; agentUri: string; visitorUri: string; party: Address; delivery: boolean; display: boolean }>({
    max: IMDN_REQUESTS_KEPT,
  });
  const publishers = new Map<Address, { publisher: Publisher; status: string }>();

  const session: SipSession = new SipSession({
    config,
    sink,
    logger,
    onMessage: (message) => {
      onIncoming(message).catch((error: unknown) => {
        logger.info({ err: error }, 'sip message not handled');
        // Answer with an error only if no final answer went out yet (reject throws after accept).
        try {
          void message.reject({ statusCode: 500, reasonPhrase: 'Not Delivered' }).catch(() => undefined);
        } catch {
          /* already answered */
        }
      });
    },
    onOnline: () => agents.onOnline(),
    onOffline: () => {
      agents.onOffline();
      publishers.clear(); // the proxy forgot them; the next presence change publishes again
    },
  });
  const agents = new SipAgentPresence(session.ua, sink, config.presenceExpiresSeconds, logger);

  /** Sends one MESSAGE as a party of the bridge's domain (or as the bridge itself); resolves on a 2xx. */
  function sendMessage(input: {
    from: Address | typeof BRIDGE;
    fromName?: string;
    to: string;
    body: string;
    contentType: string;
    via?: readonly string[];
  }): Promise<void> {
    session.assertOnline();
    const target = UserAgent.makeURI(input.to);
    const fromUri = UserAgent.makeURI(input.from === BRIDGE ? bridgeUri : partyUri(input.from, visitorDomain));
    if (!target || !fromUri) return Promise.reject(new NetworkError(`not a SIP URI: ${input.to}`, false, 'bad_request'));
    const displayName = input.fromName ? quotedDisplayName(input.fromName) : '';
    const hops = cleanHops(input.via ?? []);
    return new Promise<void>((resolve, reject) => {
      const extraHeaders = hops.length > 0 ? [`${HOPS_HEADER}: ${hops.join(', ')}`] : [];
      new Messager(session.ua, target, input.body, input.contentType, {
        extraHeaders,
        params: { fromUri, ...(displayName ? { fromDisplayName: displayName } : {}) },
      })
        .message({
          requestDelegate: {
            onAccept: () => resolve(),
            onReject: (response) => reject(failure(response.message.statusCode ?? 500, response.message.reasonPhrase ?? 'Error')),
          },
        })
        .catch((error: unknown) => reject(new NetworkError((error as Error).message, true)));
    });
  }

  async function onIncoming(message: IncomingMessage): Promise<void> {
    const request = message.request;
    const toUri = request.to.uri;
    if (toUri.host.toLowerCase() === visitorDomain && toUri.user === BRIDGE_USER) {
      await onCommand(message);
      return;
    }
    const party = toUri.host.toLowerCase() === visitorDomain ? partyOfUser(toUri.user ?? '') : null;
    if (!party) {
      await message.reject({ statusCode: 404, reasonPhrase: 'No Such Visitor' });
      return;
    }
    const from = addressOfUri(request.from.uri.user, request.from.uri.host);
    let contentType = (request.getHeader('Content-Type') ?? CONTENT_TYPES.text).split(';')[0]!.trim().toLowerCase();
    let body = request.body;
    let imdn: { id: string; display: boolean; delivery: boolean } | undefined;
    if (contentType === CONTENT_TYPES.cpim) {
      const cpim = parseCpim(body);
      if (!cpim) {
        await message.reject({ statusCode: 400, reasonPhrase: 'Bad CPIM' });
        return;
      }
      const id = cpim.headers.get('imdn.message-id');
      const wanted = cpim.headers.get('imdn.disposition-notification') ?? '';
      if (id) imdn = { id, display: /display/i.test(wanted), delivery: /positive-delivery/i.test(wanted) };
      contentType = cpim.contentType.split(';')[0]!.trim();
      body = cpim.body;
    }
    if (contentType === CONTENT_TYPES.isComposing) {
      const state = typingOfIsComposing(body);
      if (state) sink.typing({ from, to: party, state });
      await message.accept();
      return;
    }
    if (contentType === CONTENT_TYPES.imdn) {
      const receipt = receiptOfImdn(body);
      if (receipt)
        sink.receipt(
          receipt.status === 'failed'
            ? { messageId: receipt.messageId, status: 'failed', error: "the recipient's client could not deliver the message" }
            : receipt,
        );
      await message.accept();
      return;
    }
    if (contentType !== 'text/plain') {
      await message.reject({
        statusCode: 415,
        reasonPhrase: 'Unsupported Media Type',
        extraHeaders: [`Accept: text/plain, ${CONTENT_TYPES.isComposing}, ${CONTENT_TYPES.imdn}, ${CONTENT_TYPES.cpim}`],
      });
      return;
    }
    // Retransmissions of one request are absorbed by the transaction layer; a client's own resend
    // keeps its IMDN Message-ID, or else its Call-ID and CSeq.
    const remoteId = imdn ? `${from}/${imdn.id}` : `${from}/${request.callId}/${request.cseq}`;
    let stored;
    try {
      const via = cleanHops((request.getHeaders(HOPS_HEADER) ?? []).flatMap((value) => value.split(',')));
      stored = await sink.message({ network: 'sip', from, to: party, text: body, remoteId, ...(via.length > 0 ? { via } : {}) });
    } catch (error) {
      // The bridge's refusals become the SIP answers that say the same (RFC 3261 section 21), with
      // the bridge's explanation in a Warning header, as XMPP and IRC users get it in text.
      const answer = REFUSALS[(error as { code?: string }).code ?? ''];
      if (!answer) throw error;
      await message.reject({ ...answer, extraHeaders: [...(answer.extraHeaders ?? []), warningHeader(visitorDomain, (error as Error).message)] });
      return;
    }
    if (!stored) {
      const reason = party.startsWith('web:') ? 'This visitor is not in a conversation with you.' : 'No conversation joins you and this user.';
      await message.reject({ statusCode: 403, reasonPhrase: 'Not In A Conversation With This Visitor', extraHeaders: [warningHeader(visitorDomain, reason)] });
      return;
    }
    await message.accept();
    if (!imdn) return;
    const agentUri = `sip:${request.from.uri.user ? `${request.from.uri.user}@` : ''}${request.from.uri.host}`;
    const visitorUri = partyUri(party, visitorDomain);
    // RFC 5438: for a visitor, the bridge stored it and says so on the visitor's behalf; for a user
    // of another network (gateway), only that network's own confirmation counts.
    const deliveredNow = imdn.delivery && party.startsWith('web:');
    if (imdn.display || (imdn.delivery && !deliveredNow)) {
      imdnRequests.set(stored.id, { imdnId: imdn.id, agentUri, visitorUri, party, delivery: imdn.delivery && !deliveredNow, display: imdn.display });
    }
    if (deliveredNow) {
      const notice = imdnBody({ messageId: imdn.id, recipient: visitorUri, status: 'delivered', date: new Date() });
      sendMessage({ from: party, to: agentUri, body: notice, contentType: CONTENT_TYPES.imdn }).catch((error: unknown) =>
        logger.debug({ err: error }, 'imdn not sent'),
      );
    }
  }

  /** Sends the IMDN a SIP sender asked for about one of its messages, once. */
  async function answerImdn(messageId: string, status: 'delivered' | 'displayed'): Promise<void> {
    const request = imdnRequests.get(messageId);
    if (!request || !(status === 'delivered' ? request.delivery : request.display)) return;
    if (status === 'delivered') request.delivery = false;
    else imdnRequests.delete(messageId);
    const body = imdnBody({ messageId: request.imdnId, recipient: request.visitorUri, status, date: new Date() });
    await sendMessage({ from: request.party, to: request.agentUri, body, contentType: CONTENT_TYPES.imdn });
  }

  /** A text to the bridge's URI: an agent command, answered from that URI. */
  async function onCommand(message: IncomingMessage): Promise<void> {
    const request = message.request;
    const contentType = (request.getHeader('Content-Type') ?? CONTENT_TYPES.text).split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'text/plain') {
      await message.accept(); // typing or receipts for the bridge itself: nothing to do
      return;
    }
    await message.accept();
    const from = addressOfUri(request.from.uri.user, request.from.uri.host);
    const text = commandOrHelp(request.body);
    const answer = await sink.command({ from, text });
    const agentUri = `sip:${request.from.uri.user ? `${request.from.uri.user}@` : ''}${request.from.uri.host}`;
    await sendMessage({ from: BRIDGE, fromName: 'Switchboard', to: agentUri, body: answer, contentType: CONTENT_TYPES.text });
  }

  return {
    scheme: 'sip',
    capabilities: { typing: true, presence: true, receipts: config.imdn, maxTextBytes: null, markup: 'plain' } satisfies NetworkCapabilities,
    deliversFromStore: false,
    status: () => session.status,
    start: () => session.start(),
    async stop() {
      // Goodbyes to the proxy are polite, not required: none may hold the shutdown up.
      await bounded(agents.stop(), STOP_STEP_MS);
      await Promise.all([...publishers.values()].map(({ publisher }) => withdraw(publisher)));
      publishers.clear();
      await session.stop();
    },
    async send({ message, to, fromName, via }: OutboundMessage): Promise<SendResult> {
      const target = uriOfAddress(to);
      if (!target) throw new NetworkError(`${to} is not a SIP address`, false, 'bad_request');
      const body = config.imdn
        ? cpimWithImdn({ from: partyUri(message.from, visitorDomain), to: target, messageId: message.id, text: message.text, date: new Date(message.sentAt) })
        : message.text;
      await sendMessage({
        from: message.from,
        ...(fromName ? { fromName } : {}),
        ...(via ? { via } : {}),
        to: target,
        body,
        contentType: config.imdn ? CONTENT_TYPES.cpim : CONTENT_TYPES.text,
      });
      return { remoteId: message.id, status: 'sent' };
    },
    async setTyping({ from, to, state }: { from: Address; to: Address; state: TypingState }) {
      const target = uriOfAddress(to);
      if (target) await sendMessage({ from, to: target, body: isComposingBody(state), contentType: CONTENT_TYPES.isComposing });
    },
    async markRead({ message }) {
      await answerImdn(message.id, 'displayed');
    },
    async sharePresence({ from, status, text }) {
      // RFC 3903 PUBLISH of the visitor's presence, once per change, whoever it is shown to.
      const known = publishers.get(from);
      if (known?.status === status) return;
      session.assertOnline();
      if (status === 'offline' && known) {
        // The visitor left: withdraw its publication (RFC 3903 section 4.5) instead of refreshing it forever.
        publishers.delete(from);
        await withdraw(known.publisher);
        return;
      }
      if (status === 'offline') return;
      const entity = partyUri(from, visitorDomain);
      const uri = UserAgent.makeURI(entity)!;
      const entry = known ?? { publisher: new Publisher(session.ua, uri, 'presence', { contentType: CONTENT_TYPES.pidf, params: { fromUri: uri } }), status };
      entry.status = status;
      publishers.set(from, entry);
      await entry.publisher.publish(pidfBody(entity, status, text));
    },
    async subscribePresence(addresses: Address[]) {
      agents.watch(addresses.filter((address) => uriOfAddress(address) !== null));
    },
    normalizeAddress(address) {
      const uri = /^sips?:/i.test(address) ? UserAgent.makeURI(address) : undefined;
      return uri?.user && uri.host && !/[\s\u0000-\u001f\u007f]/.test(address) ? addressOfUri(uri.user, uri.host) : null;
    },
    ownsAddress: (address) => address.toLowerCase().endsWith(`@${visitorDomain}`) || address.toLowerCase() === `sip:${visitorDomain}`,
    async reportStatus({ message, status }) {
      await answerImdn(message.id, status === 'read' ? 'displayed' : 'delivered');
    },
    async notice({ to, text, about }) {
      const target = uriOfAddress(to);
      // From the visitor's URI when it is about a conversation (the agent's chat with it); else from the bridge's.
      // With the visitor's display name, as its messages have.
      const fromName = about ? about.visitorName : 'Switchboard';
      if (target)
        await sendMessage({ from: about ? about.visitor : BRIDGE, ...(fromName ? { fromName } : {}), to: target, body: text, contentType: CONTENT_TYPES.text });
    },
  };
}
