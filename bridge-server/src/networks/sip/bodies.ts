/**
 * The bodies SIMPLE carries besides text: RFC 3994 isComposing, RFC 3863 PIDF (with RFC 4480 RPID
 * activities) and RFC 5438 IMDN inside RFC 3862 CPIM. Built and parsed with ltx (which escapes
 * every text and attribute); read leniently (any namespace prefix), since clients differ.
 */
import type { PresenceStatus, TypingState } from '@switchboard/protocol';
import { Element, parse } from 'ltx';
import { xmlSafe } from '../../util/text.js';

export const CONTENT_TYPES = {
  text: 'text/plain;charset=UTF-8',
  isComposing: 'application/im-iscomposing+xml',
  pidf: 'application/pidf+xml',
  imdn: 'message/imdn+xml',
  cpim: 'message/cpim',
} as const;

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
const document = (root: Element) => `${DECLARATION}${root.toString()}`;

/** A character reference to no character (beyond U+10FFFF, a surrogate) reads as U+FFFD, as a lenient reader does. */
const validReferences = (body: string) =>
  body.replace(/&#(x[0-9a-f]+|[0-9]+);/gi, (reference, value: string) => {
    const point = value[0] === 'x' || value[0] === 'X' ? Number.parseInt(value.slice(1), 16) : Number(value);
    return point <= 0x10ffff && !(point >= 0xd800 && point <= 0xdfff) ? reference : '&#xFFFD;';
  });

/** A body parsed leniently: malformed XML reads as nothing, never an exception (bodies are remote input). */
function parsed(body: string): Element | undefined {
  try {
    return parse(validReferences(body));
  } catch {
    return undefined;
  }
}

/** Elements with this local name, whatever their prefix, the root included. */
function named(root: Element, name: string): Element[] {
  const lower = name.toLowerCase();
  const matches = (node: unknown): node is Element => node instanceof Element && node.getName().toLowerCase() === lower;
  return [...(matches(root) ? [root] : []), ...root.getChildrenByFilter(matches, true)];
}

/** The text of the first element with this local name, whatever its prefix. */
function elementText(root: Element, name: string): string | undefined {
  return named(root, name)[0]?.getText().trim();
}

const hasElement = (root: Element, name: string) => named(root, name).length > 0;

// --- RFC 3994 isComposing ------------------------------------------------------------------------

/** The refresh interval the bridge's `active` states announce (RFC 3994 section 3.2 advises no fewer than 60 s). */
export const COMPOSING_REFRESH_SECONDS = 60;

export function isComposingBody(state: TypingState): string {
  const composing = state === 'composing' ? 'active' : 'idle';
  const root = new Element('isComposing', { xmlns: 'urn:ietf:params:xml:ns:im-iscomposing' });
  root.c('state').t(composing).up().c('contenttype').t('text/plain');
  if (composing === 'active') root.c('refresh').t(String(COMPOSING_REFRESH_SECONDS));
  return document(root);
}

/** An isComposing's state, and for `active` the refresh interval it announces in seconds (RFC 3994 section 3.3), if any. */
export function composingOf(xml: string): { state: TypingState; refreshSeconds?: number } | undefined {
  const root = parsed(xml);
  const state = root && elementText(root, 'state')?.toLowerCase();
  if (state === 'idle') return { state: 'paused' };
  if (state !== 'active') return undefined;
  const refresh = Number(elementText(root!, 'refresh') ?? '');
  return { state: 'composing', ...(Number.isInteger(refresh) && refresh > 0 ? { refreshSeconds: refresh } : {}) };
}

// --- RFC 3863 PIDF, RFC 4480 RPID ------------------------------------------------------------------

export function pidfBody(entity: string, status: PresenceStatus, note?: string): string {
  const root = new Element('presence', {
    xmlns: 'urn:ietf:params:xml:ns:pidf',
    'xmlns:dm': 'urn:ietf:params:xml:ns:pidf:data-model',
    'xmlns:rpid': 'urn:ietf:params:xml:ns:pidf:rpid',
    entity: xmlSafe(entity),
  });
  const tuple = root.c('tuple', { id: 'switchboard' });
  tuple
    .c('status')
    .c('basic')
    .t(status === 'offline' ? 'closed' : 'open');
  if (note) tuple.c('note').t(xmlSafe(note));
  if (status === 'away' || status === 'busy') root.c('dm:person', { id: 'p' }).c('rpid:activities').c(`rpid:${status}`);
  return document(root);
}

/** A PIDF document's status: closed (or none open) is offline; RPID away/busy-like activities. */
export function presenceOfPidf(xml: string): { status: PresenceStatus; text?: string } {
  const root = parsed(xml);
  if (!root) return { status: 'offline' };
  const basics = named(root, 'basic').map((basic) => basic.getText().trim().toLowerCase());
  const note = elementText(root, 'note');
  const withNote = (status: PresenceStatus) => (note ? { status, text: note } : { status });
  if (!basics.includes('open')) return withNote('offline');
  if (['busy', 'on-the-phone', 'meeting', 'performance', 'presentation'].some((a) => hasElement(root, a))) return withNote('busy');
  if (['away', 'vacation', 'sleeping', 'steering', 'travel'].some((a) => hasElement(root, a))) return withNote('away');
  return withNote('available');
}

// --- RFC 3862 CPIM, RFC 5438 IMDN ---------------------------------------------------------------

export interface Cpim {
  /** Header names lowercased; the last of each. */
  headers: Map<string, string>;
  /** The prefix the message gives the IMDN namespace (`imdn` when it declares none). */
  imdnPrefix: string;
  contentType: string;
  body: string;
}

/**
 * A CPIM message wrapping a text body, asking for delivery and display notifications unless
 * `notify` is false (a long text's parts but its last, docs/networks/sip.md "Long texts").
 */
export function cpimWithImdn(input: { from: string; to: string; messageId: string; text: string; date: Date; notify?: boolean }): string {
  return [
    `From: <${input.from}>`,
    `To: <${input.to}>`,
    `DateTime: ${input.date.toISOString()}`,
    'NS: imdn <urn:ietf:params:imdn>',
    `imdn.Message-ID: ${input.messageId}`,
    ...(input.notify === false ? [] : ['imdn.Disposition-Notification: positive-delivery, display']),
    '',
    `Content-Type: ${CONTENT_TYPES.text}`,
    '',
    input.text,
  ].join('\r\n');
}

/**
 * An IMDN as RFC 5438 section 7.2.1.1 carries it: in CPIM, with an `imdn.Message-ID` of its own and
 * the inner `Content-Disposition: notification`, so a client that asked in CPIM (Linphone) reads it.
 */
export function cpimOfImdn(input: { from: string; to: string; notificationId: string; imdn: string; date: Date }): string {
  return [
    `From: <${input.from}>`,
    `To: <${input.to}>`,
    `DateTime: ${input.date.toISOString()}`,
    'NS: imdn <urn:ietf:params:imdn>',
    `imdn.Message-ID: ${input.notificationId}`,
    '',
    `Content-Type: ${CONTENT_TYPES.imdn}`,
    'Content-Disposition: notification',
    '',
    input.imdn,
  ].join('\r\n');
}

/** Parses a CPIM message (headers, blank line, MIME headers, blank line, body). */
export function parseCpim(raw: string): Cpim | undefined {
  const split = (text: string) => {
    const end = text.search(/\r?\n\r?\n/);
    if (end < 0) return undefined;
    const rest = text.slice(end).replace(/^\r?\n\r?\n/, '');
    return { head: text.slice(0, end), rest };
  };
  const outer = split(raw);
  if (!outer) return undefined;
  const inner = split(outer.rest);
  if (!inner) return undefined;
  const headers = new Map<string, string>();
  // RFC 3862 section 3.2: the sender names the prefix of each namespace (`NS: im <urn:ietf:params:imdn>`).
  let imdnPrefix = 'imdn';
  for (const line of `${outer.head}\n${inner.head}`.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const namespace = name === 'ns' ? /^([A-Za-z0-9_-]+)\s*<urn:ietf:params:imdn>$/i.exec(value) : null;
    if (namespace) imdnPrefix = namespace[1]!.toLowerCase();
    headers.set(name, value);
  }
  return { headers, imdnPrefix, contentType: (headers.get('content-type') ?? CONTENT_TYPES.text).toLowerCase(), body: inner.rest };
}

/** The IMDN a recipient sends back: which message, and delivered or displayed. */
export function receiptOfImdn(xml: string): { messageId: string; status: 'delivered' | 'read' | 'failed' } | undefined {
  const root = parsed(xml);
  const messageId = root && elementText(root, 'message-id');
  if (!root || !messageId) return undefined;
  if (hasElement(root, 'display-notification')) return hasElement(root, 'displayed') ? { messageId, status: 'read' } : undefined;
  if (hasElement(root, 'delivery-notification')) {
    if (hasElement(root, 'delivered')) return { messageId, status: 'delivered' };
    if (hasElement(root, 'failed')) return { messageId, status: 'failed' };
  }
  return undefined;
}

/** An IMDN from the bridge on a visitor's behalf (display notification when the visitor read it). */
export function imdnBody(input: { messageId: string; recipient: string; status: 'delivered' | 'displayed'; date: Date }): string {
  const root = new Element('imdn', { xmlns: 'urn:ietf:params:xml:ns:imdn' });
  root.c('message-id').t(xmlSafe(input.messageId)).up().c('datetime').t(input.date.toISOString()).up().c('recipient-uri').t(xmlSafe(input.recipient));
  root
    .c(input.status === 'delivered' ? 'delivery-notification' : 'display-notification')
    .c('status')
    .c(input.status);
  return document(root);
}
