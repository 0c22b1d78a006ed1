/**
 * The stream is UTF-8 (RFC 6120 section 11.6), read in chunks that may end inside a character.
 * xmpp.js (@xmpp/connection 0.13) decodes each chunk on its own (`data.toString('utf8')`), so such
 * a character becomes replacement characters and a long non-ASCII message arrives damaged. Its
 * `_onData` is replaced by one that decodes through a StringDecoder kept per socket (a STARTTLS
 * upgrade brings a new one), which holds the first bytes of a character until the rest come.
 */
import { StringDecoder } from 'node:string_decoder';

/** What of xmpp.js's Connection the replacement uses. */
interface Reading {
  socket?: unknown;
  /** Null once the stream ended (the server's `</stream:stream>`, a parse error) while the socket is still attached. */
  parser: { write(text: string): void } | null;
  emit(event: string, ...args: unknown[]): unknown;
  _onData?: (data: Buffer | string) => void;
}

/** Makes `entity` (an xmpp.js Component or Client, before it connects) decode whole characters; a stand-in without `_onData` is left as it is. */
export function decodeWholeCharacters(entity: object): void {
  const reading = entity as Reading;
  if (typeof reading._onData !== 'function') return;
  const decoders = new WeakMap<object, StringDecoder>();
  // Bound to the entity when a socket is attached (`_attachSocket`), so set before `connect`.
  reading._onData = function (this: Reading, data: Buffer | string) {
    // What comes after the stream's end, before the socket closes, has nothing to read it: xmpp.js
    // writes it to the detached parser (null), a TypeError thrown from the socket's event, which
    // would take the whole process down.
    if (this.parser === null) return;
    let text: string;
    if (typeof data === 'string' || typeof this.socket !== 'object' || this.socket === null) text = String(data);
    else {
      let decoder = decoders.get(this.socket);
      if (!decoder) decoders.set(this.socket, (decoder = new StringDecoder('utf8')));
      text = decoder.write(data);
    }
    this.emit('input', text);
    this.parser.write(text);
  };
}
