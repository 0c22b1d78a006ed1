/**
 * A request whose Content-Type SIP.js cannot parse (`text/plain; charset="utf-8` with its quote
 * left open, a media type that is not a token) is dropped by SIP.js' parser without an answer: the
 * sender learns nothing until its proxy gives up (a 408 after 32 s, which reads as "try again
 * later"). RFC 3261 section 8.2 wants a final answer for such a request: it gets `400 Bad Request`
 * with a Warning that names the header, built from the request as it reads without that header.
 */
import { Core, Grammar } from 'sip.js';
import { warningHeader } from './addresses.js';

/** `Content-Type` or its compact form `c` (RFC 3261 section 7.3.3), with its value. */
const CONTENT_TYPE_LINE = /^(?:content-type|c)[ \t]*:[ \t]*(.*)$/i;

/** SIP.js' parser logs what it could not read: the bridge answers it instead. */
const silent = { error: () => undefined, warn: () => undefined, log: () => undefined, debug: () => undefined } as unknown as Core.Logger;

/**
 * When `text` is a request (not an ACK, which is never answered) whose Content-Type cannot be read,
 * the 400 to send back; undefined otherwise (SIP.js reads it, or cannot read more than that header).
 */
export function unreadableContentTypeAnswer(text: string, warningHost: string): string | undefined {
  if (text.startsWith('SIP/2.0') || text.startsWith('ACK ')) return undefined;
  const headerEnd = text.indexOf('\r\n\r\n');
  const head = headerEnd < 0 ? text : text.slice(0, headerEnd);
  const lines = head.split('\r\n');
  // Folded header lines (a value going on on the next line after a space) are read as one.
  const fields: string[] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) fields[fields.length - 1] += ` ${line.trim()}`;
    else fields.push(line);
  }
  const unreadable = fields.findIndex((field, index) => {
    if (index === 0) return false;
    const value = CONTENT_TYPE_LINE.exec(field)?.[1];
    return value !== undefined && Grammar.parse(value.trim(), 'Content_Type') === -1;
  });
  if (unreadable < 0) return undefined;
  const without = [...fields.slice(0, unreadable), ...fields.slice(unreadable + 1)].join('\r\n') + '\r\n\r\n';
  const request = Core.Parser.parseMessage(without, silent);
  if (!(request instanceof Core.IncomingRequestMessage)) return undefined;
  // What a response copies (RFC 3261 section 8.2.6.2): without one of them, there is no one to answer.
  if (!['via', 'from', 'to', 'call-id', 'cseq'].every((name) => request.hasHeader(name))) return undefined;
  try {
    return Core.constructOutgoingResponse(request, {
      statusCode: 400,
      reasonPhrase: 'Bad Request',
      extraHeaders: [
        warningHeader(warningHost, 'The Content-Type header cannot be read: nothing was delivered. Send it as a MIME type, e.g. text/plain; charset=UTF-8.'),
      ],
    }).message;
  } catch {
    // A header a response copies that does not read (a To without a URI): nothing to answer.
    return undefined;
  }
}
