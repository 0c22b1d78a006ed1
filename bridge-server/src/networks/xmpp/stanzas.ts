/** Namespaces and small stanza helpers shared by both XMPP modes (specs cited beside each). */
import { createHash } from 'node:crypto';
import type { Address, ErrorCode, PresenceStatus, TypingState } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { BRIDGE_ID, cleanHops } from '../../util/hops.js';
import { xmlSafe } from '../../util/text.js';
import type { InboundSink } from '../network.js';
import { addressOfJid } from './addresses.js';

export { xmlSafe };

export const NS = {
  chatStates: 'http://jabber.org/protocol/chatstates', // XEP-0085
  receipts: 'urn:xmpp:receipts', // XEP-0184
  markers: 'urn:xmpp:chat-markers:0', // XEP-0333
  sid: 'urn:xmpp:sid:0', // XEP-0359
  nick: 'http://jabber.org/protocol/nick', // XEP-0172
  hints: 'urn:xmpp:hints', // XEP-0334
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas', // RFC 6120 section 8.3
  discoInfo: 'http://jabber.org/protocol/disco#info', // XEP-0030
  discoItems: 'http://jabber.org/protocol/disco#items', // XEP-0030
  gateway: 'jabber:iq:gateway', // XEP-0100 section 6.3
  oob: 'jabber:x:oob', // XEP-0066 section 4
  upload: 'urn:xmpp:http:upload:0', // XEP-0363
  eme: 'urn:xmpp:eme:0', // XEP-0380
  correct: 'urn:xmpp:message-correct:0', // XEP-0308
  retract: 'urn:xmpp:message-retract:1', // XEP-0424
  retractV0: 'urn:xmpp:message-retract:0', // XEP-0424 before version 0.4, inside a XEP-0422 apply-to
  fasten: 'urn:xmpp:fasten:0', // XEP-0422
  fallback: 'urn:xmpp:fallback:0', // XEP-0428
  reply: 'urn:xmpp:reply:0', // XEP-0461
  delay: 'urn:xmpp:delay', // XEP-0203
  /** The bridge's own hop marker (docs/networks/xmpp.md, "Gateway hops"). */
  hops: 'urn:switchboard:hops:0',
} as const;

/**
 * A refused message's error (RFC 6120 section 8.3): the condition, and why, in words. Only
 * `not-acceptable` is the sender's to mend (type `modify`); the others are final (`cancel`).
 */
/**
 * The error message answering `stanza` to its sender, under its id (RFC 6120 section 8.2), with
 * `error` (an `<error/>` element). `from`: the JID it comes from where the bridge has several.
 */
export function bounce(stanza: Element, error: Element, from?: string): Element {
  const { from: sender = '', id } = stanza.attrs;
  return xml('message', { type: 'error', ...(from ? { from } : {}), to: sender, ...(id ? { id } : {}) }, error);
}

export function refusal(condition: 'not-allowed' | 'item-not-found' | 'not-acceptable', why: string): Element {
  return xml(
    'error',
    { type: condition === 'not-acceptable' ? 'modify' : 'cancel' },
    xml(condition, { xmlns: NS.stanzas }),
    xml('text', { xmlns: NS.stanzas }, `${why}; your message was not delivered.`),
  );
}

/**
 * The bridges a message went through, from its hop marker (`<hops><hop bridge="ID"/>...</hops>`),
 * first hop first: ids of the right form only, at most 16; anything else in the element is ignored.
 */
export function hopsOf(stanza: Element): string[] {
  const ids: string[] = [];
  for (const marker of stanza.children) {
    if (typeof marker === 'string' || marker.name !== 'hops' || marker.attrs.xmlns !== NS.hops) continue;
    for (const hop of marker.children) {
      const id = typeof hop === 'string' || hop.name !== 'hop' || (hop.attrs.xmlns ?? NS.hops) !== NS.hops ? undefined : hop.attrs.bridge;
      if (typeof id === 'string') ids.push(id);
    }
  }
  return cleanHops(ids);
}

/** The hop marker for a message that went through these bridges (null when none). */
export function hopsElement(via: readonly string[] | undefined): Element | null {
  const ids = (via ?? []).filter((id) => BRIDGE_ID.test(id));
  return ids.length > 0 ? xml('hops', { xmlns: NS.hops }, ...ids.map((bridge) => xml('hop', { bridge }))) : null;
}

/**
 * The text of a stanza's own child `name` (RFC 6121: `body`, `subject`, `show`, `status`,
 * `priority` are in the stanza's namespace), not of an extension's element of the same name in
 * another namespace (`<x:body xmlns:x='urn:example'>`), which a client shows nothing of; null when
 * there is none. ltx's getChildText matches the local name alone.
 */
export function ownChildText(stanza: Element, name: string): string | null {
  const ns = stanza.getNS();
  const child = stanza.getChildren(name).find((element) => element.getNS() === ns);
  return child ? child.getText() : null;
}

/** The message's text: its own `body` (RFC 6121 section 5.2.3). */
export const bodyOf = (stanza: Element): string | null => ownChildText(stanza, 'body');

/**
 * A reply (XEP-0461): the id of the message it answers, and its body without the quote of that
 * message that clients add for those without replies (XEP-0428: the ranges of a fallback for
 * replies, in code points of the body, XEP-0426). Undefined for a message that answers none.
 */
export function replyOf(stanza: Element): { to: string; body: string } | undefined {
  const to = stanza.getChild('reply', NS.reply)?.attrs.id;
  if (!to) return undefined;
  const points = [...(bodyOf(stanza) ?? '')];
  const quoted = new Set<number>();
  for (const fallback of stanza.getChildren('fallback', NS.fallback)) {
    if (fallback.attrs.for !== NS.reply) continue;
    for (const range of fallback.getChildren('body')) {
      const start = Number(range.attrs.start ?? 0);
      const end = Number(range.attrs.end ?? points.length);
      // A range that is not one of this body's is ignored, rather than cutting words that are not a quote.
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > points.length || start >= end) continue;
      for (let at = start; at < end; at++) quoted.add(at);
    }
  }
  const body = points
    .filter((_, at) => !quoted.has(at))
    .join('')
    .replace(/^(?:\r?\n)+/, '');
  return { to, body };
}

/** RFC 6121 section 4.7.2.1 `show` -> the uniform presence. */
export function presenceOf(stanza: Element): PresenceStatus {
  if (stanza.attrs.type === 'unavailable') return 'offline';
  switch (ownChildText(stanza, 'show')) {
    case 'away':
    case 'xa':
      return 'away';
    case 'dnd':
      return 'busy';
    default:
      return 'available';
  }
}

/** The uniform presence -> RFC 6121 `show` (null for plain available). */
export function showOf(status: PresenceStatus): string | null {
  return status === 'away' ? 'away' : status === 'busy' ? 'dnd' : null;
}

/**
 * RFC 6121 section 5.2.2: group chat and headlines (news, alerts, a server's announcements) are no
 * one's words to a party, and are never answered (an answer could loop).
 */
export function isBroadcast(stanza: Element): boolean {
  return ['groupchat', 'headline'].includes(stanza.attrs.type ?? 'normal');
}

/** XEP-0172: the nickname the sender's client put on a message, if any (as typed: the core cleans it). */
export function nickOf(stanza: Element): string | undefined {
  return stanza.getChildText('nick', NS.nick) ?? undefined;
}

/** XEP-0085: composing -> composing; active, paused, inactive, gone -> paused. */
export function chatStateOf(stanza: Element): TypingState | null {
  const state = stanza.children.find((child): child is Element => typeof child !== 'string' && child.attrs.xmlns === NS.chatStates);
  if (!state) return null;
  return state.name === 'composing' ? 'composing' : 'paused';
}

/**
 * XEP-0184: the receipt of a message the bridge took (a message stored, a command answered) when
 * its sender asked for one, written from `from` (a component's JID; none from a client session);
 * null otherwise. Of type `chat`, so the sender's other devices get a copy (XEP-0280 section 6).
 */
export function receiptOf(stanza: Element, from?: string): Element | null {
  const { id, from: to } = stanza.attrs;
  if (!id || !to || !stanza.getChild('request', NS.receipts)) return null;
  return xml('message', { type: 'chat', ...(from ? { from } : {}), to, id: `r-${id}` }, xml('received', { xmlns: NS.receipts, id }));
}

/** Whether the sender's client asks for chat markers on this message (XEP-0333 section 4: none is sent for another). */
export function isMarkable(stanza: Element): boolean {
  return stanza.getChild('markable', NS.markers) !== undefined;
}

/**
 * The message id a XEP-0184 receipt, or a XEP-0333 marker (received: delivered; displayed or
 * acknowledged: read, section 3), confirms, if any.
 */
export function confirmationsOf(stanza: Element): { delivered?: string; read?: string } {
  const delivered = stanza.getChild('received', NS.receipts)?.attrs.id ?? stanza.getChild('received', NS.markers)?.attrs.id;
  const read = stanza.getChild('displayed', NS.markers)?.attrs.id ?? stanza.getChild('acknowledged', NS.markers)?.attrs.id;
  return { ...(delivered ? { delivered } : {}), ...(read ? { read } : {}) };
}

/** A readable reason from an error stanza (RFC 6120 section 8.3): condition and text. */
export function errorReasonOf(stanza: Element): string {
  const error = stanza.getChild('error');
  const condition =
    error?.children.find((child): child is Element => typeof child !== 'string' && child.attrs.xmlns === NS.stanzas)?.name ?? 'undefined-condition';
  const text = error?.getChildText('text', NS.stanzas);
  return `${condition}${text ? `: ${text}` : ''}`;
}

/** The contract's code for a bounce: the recipient does not exist or refuses, or it may work later. */
export function errorCodeOf(stanza: Element): ErrorCode {
  const condition = errorReasonOf(stanza).split(':')[0];
  switch (condition) {
    case 'item-not-found':
    case 'service-unavailable':
    case 'recipient-unavailable':
    case 'remote-server-not-found':
      return 'not_found';
    case 'forbidden':
    case 'not-allowed':
    case 'not-authorized':
    case 'policy-violation':
      return 'forbidden';
    default:
      return 'unavailable';
  }
}

/**
 * The error reply (RFC 6120 section 8.3) to a message the bridge could not take: too long ->
 * policy-violation, anything else -> internal-server-error, each with a readable text.
 */
export function errorReply(stanza: Element, error: unknown, attrs: Record<string, string>): Element {
  const code = (error as { code?: string })?.code;
  // RFC 6120 section 8.3.3: the closest defined condition for each of the contract's codes.
  const conditions: Record<string, [condition: string, type: string]> = {
    too_large: ['policy-violation', 'modify'],
    bad_request: ['bad-request', 'modify'],
    forbidden: ['not-allowed', 'cancel'],
    rate_limited: ['resource-constraint', 'wait'],
  };
  const [condition, type] = (code && conditions[code]) || ['internal-server-error', 'wait'];
  const text = code && conditions[code] ? (error as Error).message : 'The bridge could not take this message; try again.';
  return xml(
    'message',
    { type: 'error', ...attrs },
    xml('error', { type }, xml(condition, { xmlns: NS.stanzas }), xml('text', { xmlns: NS.stanzas }, xmlSafe(text))),
  );
}

/**
 * What a retransmission of a message shares with it, to store it once: its XEP-0359 origin-id,
 * stable by that spec; else its stanza id, which section 5 does not promise unique (a client may
 * count from 1 at each start), so with a digest of its words and link: the same id with other words
 * is another message, never dropped as a copy.
 */
export function retransmissionKey(stanza: Element): string | undefined {
  const originId = stanza.getChild('origin-id', NS.sid)?.attrs.id;
  if (originId) return originId;
  const { id } = stanza.attrs;
  if (!id) return undefined;
  const said = [bodyOf(stanza) ?? '', stanza.getChild('x', NS.oob)?.getChildText('url') ?? ''].join('\n');
  return `${id}#${createHash('sha256').update(said).digest('hex').slice(0, 16)}`;
}

/** The sender of a stanza: who confirms, and the reader of the messages its marker covers. */
function senderOf({ attrs: { from } }: Element): Address | undefined {
  return typeof from === 'string' && from !== '' ? addressOfJid(from) : undefined;
}

/**
 * What a message stanza says about the bridge's own messages: a bounce (type error, named by our
 * id) fails it; XEP-0184 `received` and XEP-0333 `displayed` confirm it. True for a bounce, which
 * carries nothing else to handle.
 */
export function reportConfirmations(stanza: Element, sink: InboundSink): boolean {
  const { type, id } = stanza.attrs;
  // A bounce comes from the address it was sent to (RFC 6120 section 8.3.1), a confirmation from its reader.
  const sender = senderOf(stanza);
  const from = sender ? { from: sender } : {};
  if (type === 'error') {
    if (id) sink.receipt({ messageId: id, status: 'failed', error: errorReasonOf(stanza), code: errorCodeOf(stanza), ...from });
    return true;
  }
  const { delivered, read } = confirmationsOf(stanza);
  if (delivered) sink.receipt({ messageId: delivered, status: 'delivered', ...from });
  // XEP-0333 section 6: a marker covers every message up to the one it names, for its sender.
  if (read) sink.receipt({ messageId: read, status: 'read', ...from, ...(sender ? { reader: sender } : {}) });
  return false;
}
