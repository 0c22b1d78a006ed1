/**
 * The bytes of MESSAGE bodies as they arrived. SIP.js reads every WebSocket frame as UTF-8 text
 * (a binary frame through a TextDecoder) and cuts the body by character, which spoils a body that
 * is not text: a JPEG sent as the body of a MESSAGE (RFC 3428 section 9 lets it be any MIME type).
 * Kamailio relays a request that is not valid UTF-8 in a binary frame (RFC 7118 section 5); this
 * transport keeps the body of each such MESSAGE, by Call-ID and CSeq, for the network to take.
 */
import { Web } from 'sip.js';
import { unreadableContentTypeAnswer } from './unreadable-requests.js';

/** Bodies kept at most: each is taken as soon as its request is handled, so a few are plenty. */
const KEPT = 16;
const HEADER_END = Buffer.from('\r\n\r\n');

export class RawBodies {
  private readonly bodies = new Map<string, Buffer>();

  /** Keeps the body of a MESSAGE frame; anything else is ignored. */
  keep(frame: Buffer): void {
    const end = frame.indexOf(HEADER_END);
    if (end < 0 || !frame.subarray(0, 8).equals(Buffer.from('MESSAGE '))) return;
    const headers = frame.subarray(0, end).toString('latin1');
    const header = (...names: string[]) => {
      const pattern = new RegExp(`^(?:${names.join('|')})[ \\t]*:[ \\t]*(.*)$`, 'im');
      return pattern.exec(headers)?.[1]?.trim();
    };
    const callId = header('call-id', 'i');
    const cseq = Number.parseInt(header('cseq') ?? '', 10);
    if (!callId || !Number.isSafeInteger(cseq)) return;
    const length = Number.parseInt(header('content-length', 'l') ?? '', 10);
    const start = end + HEADER_END.length;
    const body = frame.subarray(start, Number.isSafeInteger(length) && length >= 0 ? start + length : undefined);
    this.bodies.delete(key(callId, cseq));
    this.bodies.set(key(callId, cseq), Buffer.from(body));
    while (this.bodies.size > KEPT) this.bodies.delete(this.bodies.keys().next().value!);
  }

  /** The body of the MESSAGE with this Call-ID and CSeq, if it came in a binary frame (then forgotten). */
  take(callId: string, cseq: number): Buffer | undefined {
    const body = this.bodies.get(key(callId, cseq));
    this.bodies.delete(key(callId, cseq));
    return body;
  }
}

const key = (callId: string, cseq: number) => `${cseq} ${callId}`;

/** A frame's start line and headers as text (the whole frame when it has no blank line). */
function headOf(frame: Buffer): string {
  const end = frame.indexOf(HEADER_END);
  return frame.subarray(0, end < 0 ? frame.length : end + HEADER_END.length).toString('utf8');
}

/** SIP.js' WebSocket handler, as the transport calls it for each frame. */
interface FrameHandler {
  onWebSocketMessage(event: { data: unknown }, socket: unknown): void;
}

/**
 * SIP.js' WebSocket transport, keeping the binary frames' MESSAGE bodies in `bodies` before SIP.js
 * reads them as text, and answering a request SIP.js would drop unanswered for its Content-Type
 * (unreadable-requests.ts); `warningHost` names the bridge in that answer's Warning.
 */
export function rawBodyTransport(bodies: RawBodies, warningHost: string): typeof Web.Transport {
  return class RawBodyTransport extends Web.Transport {
    constructor(...args: ConstructorParameters<typeof Web.Transport>) {
      super(...args);
      const handler = this as unknown as FrameHandler;
      const read = handler.onWebSocketMessage.bind(this);
      handler.onWebSocketMessage = (event, socket) => {
        const { data } = event;
        const frame = data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.isBuffer(data) ? data : undefined;
        if (frame) bodies.keep(frame);
        // Only the head is read for the Content-Type: a file's body (MiBs) is not decoded twice.
        const text = typeof data === 'string' ? data : frame && headOf(frame);
        const answer = text === undefined ? undefined : unreadableContentTypeAnswer(text, warningHost);
        if (answer === undefined) return read(event, socket);
        this.send(answer).catch(() => undefined); // the connection went: the sender's proxy answers
      };
    }
  };
}
