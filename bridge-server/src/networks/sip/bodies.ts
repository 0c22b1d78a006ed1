/**
 * The bodies SIMPLE carries besides text: RFC 3994 isComposing, RFC 3863 PIDF (with RFC 4480 RPID
 * activities) and RFC 5438 IMDN inside RFC 3862 CPIM. Built from fixed templates with every
 * variable part XML-escaped; parsed leniently (any namespace prefix), since clients differ.
 */
import type { PresenceStatus, TypingState } from '@switchboard/protocol';

export const CONTENT_TYPES = {
  text: 'text/plain;charset=UTF-8',
  isComposing: 'application/im-iscomposing+xml',
  pidf: 'application/pidf+xml',
  imdn: 'message/imdn+xml',
  cpim: 'message/cpim',
} as const;

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\uFFFD');
const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[entity.toLowerCase()]) return named[entity.toLowerCase()]!;
    const point = entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
    // A reference to no character (beyond U+10FFFF, a surrogate) reads as U+FFFD, never an exception.
    return Number.isInteger(point) && point >= 0 && point <= 0x10ffff && !(point >= 0xd800 && point <= 0xdfff) ? String.fromCodePoint(point) : '\uFFFD';
  });

/** The text of the first element with this local name, whatever its prefix. */
function elementText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}\\s*>`, 'i').exec(xml);
  return match ? unescapeXml(match[1]!.trim()) : undefined;
}

const hasElement = (xml: string, name: string) => new RegExp(`<(?:[\\w.-]+:)?${name}[\\s/>]`, 'i').test(xml);

// --- RFC 3994 isComposing ------------------------------------------------------------------------

export function isComposingBody(state: TypingState): string {
  const composing = state === 'composing' ? 'active' : 'idle';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>${composing}</state><contenttype>text/plain</contenttype>${composing === 'active' ? '<refresh>60</refresh>' : ''}</isComposing>`;
}

export function typingOfIsComposing(xml: string): TypingState | undefined {
  const state = elementText(xml, 'state')?.toLowerCase();
  return state === 'active' ? 'composing' : state === 'idle' ? 'paused' : undefined;
}

// --- RFC 3863 PIDF, RFC 4480 RPID ------------------------------------------------------------------

export function pidfBody(entity: string, status: PresenceStatus, note?: string): string {
  const basic = status === 'offline' ? 'closed' : 'open';
  const activity = status === 'away' ? '<rpid:away/>' : status === 'busy' ? '<rpid:busy/>' : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${escapeXml(entity)}">` +
    `<tuple id="switchboard"><status><basic>${basic}</basic></status>${note ? `<note>${escapeXml(note)}</note>` : ''}</tuple>` +
    (activity ? `<dm:person id="p"><rpid:activities>${activity}</rpid:activities></dm:person>` : '') +
    '</presence>'
  );
}

/** A PIDF document's status: closed (or none open) is offline; RPID away/busy-like activities. */
export function presenceOfPidf(xml: string): { status: PresenceStatus; text?: string } {
  const basics = [...xml.matchAll(/<(?:[\w.-]+:)?basic\s*>\s*(open|closed)\s*</gi)].map((m) => m[1]!.toLowerCase());
  const note = elementText(xml, 'note');
  const withNote = (status: PresenceStatus) => (note ? { status, text: note } : { status });
  if (!basics.includes('open')) return withNote('offline');
  if (['busy', 'on-the-phone', 'meeting', 'performance', 'presentation'].some((a) => hasElement(xml, a))) return withNote('busy');
  if (['away', 'vacation', 'sleeping', 'steering', 'travel'].some((a) => hasElement(xml, a))) return withNote('away');
  return withNote('available');
}

// --- RFC 3862 CPIM, RFC 5438 IMDN ---------------------------------------------------------------

export interface Cpim {
  headers: Map<string, string>;
  contentType: string;
  body: string;
}

/** A CPIM message wrapping a text body, asking for delivery and display notifications. */
export function cpimWithImdn(input: { from: string; to: string; messageId: string; text: string; date: Date }): string {
  return [
    `From: <${input.from}>`,
    `To: <${input.to}>`,
    `DateTime: ${input.date.toISOString()}`,
    'NS: imdn <urn:ietf:params:imdn>',
    `imdn.Message-ID: ${input.messageId}`,
    'imdn.Disposition-Notification: positive-delivery, display',
    '',
    `Content-Type: ${CONTENT_TYPES.text}`,
    '',
    input.text,
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
  for (const line of `${outer.head}\n${inner.head}`.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, contentType: (headers.get('content-type') ?? CONTENT_TYPES.text).toLowerCase(), body: inner.rest };
}

/** The IMDN a recipient sends back: which message, and delivered or displayed. */
export function receiptOfImdn(xml: string): { messageId: string; status: 'delivered' | 'read' | 'failed' } | undefined {
  const messageId = elementText(xml, 'message-id');
  if (!messageId) return undefined;
  if (hasElement(xml, 'display-notification')) return hasElement(xml, 'displayed') ? { messageId, status: 'read' } : undefined;
  if (hasElement(xml, 'delivery-notification')) {
    if (hasElement(xml, 'delivered')) return { messageId, status: 'delivered' };
    if (hasElement(xml, 'failed')) return { messageId, status: 'failed' };
  }
  return undefined;
}

/** An IMDN from the bridge on a visitor's behalf (display notification when the visitor read it). */
export function imdnBody(input: { messageId: string; recipient: string; status: 'delivered' | 'displayed'; date: Date }): string {
  const kind = input.status === 'delivered' ? 'delivery-notification' : 'display-notification';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>${escapeXml(input.messageId)}</message-id>` +
    `<datetime>${input.date.toISOString()}</datetime><recipient-uri>${escapeXml(input.recipient)}</recipient-uri>` +
    `<${kind}><status><${input.status}/></status></${kind}></imdn>`
  );
}
