/**
 * How the bytes of an IRC line become text. IRC has no charset (RFC 2812 section 2.2 leaves it to
 * the clients): most send UTF-8, but clients set to Latin-1 or windows-1252 (irssi with a latin1
 * `term_charset`, old mIRC) still write to networks, and read as UTF-8 their accents become U+FFFD.
 * As HexChat and WeeChat do, a line that is not valid UTF-8 is read as windows-1252, line by line.
 * What the bridge writes stays UTF-8.
 */
import NetTransport from 'irc-framework/src/transports/net.js';
import { decodeWindows1252 } from '../../util/windows-1252.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** A line's text: UTF-8 when it is valid UTF-8 (but for one character a server cut), windows-1252 otherwise. */
export function decodeIrcLine(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return utf8CutOnce(bytes) ?? decodeWindows1252(bytes);
  }
}

/**
 * A line of UTF-8 whose one broken character is where a server cut it at 512 bytes (RFC 2812
 * section 2.3; ngircd then adds `[CUT]`): the rest of the line, without that character. A line in
 * windows-1252 has no valid multi-byte UTF-8 character, or breaks more than once.
 */
function utf8CutOnce(bytes: Buffer): string | undefined {
  const text = lenientUtf8.decode(bytes);
  const broken = text.indexOf('\uFFFD');
  if (broken === -1 || text.indexOf('\uFFFD', broken + 1) !== -1 || !/[^\x00-\x7f\uFFFD]/.test(text)) return undefined;
  return text.slice(0, broken) + text.slice(broken + 1);
}

/**
 * irc-framework's TCP/TLS transport with lines decoded by `decodeIrcLine` (its own reads every
 * line as the one charset it is set to). Lines are cut on the bytes, before decoding, so a
 * character split across two reads arrives whole.
 */
export class LineDecodingTransport extends NetTransport {
  private pending: Buffer = Buffer.alloc(0);

  override onSocketData(data: Buffer): void {
    let buffered = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    let end: number;
    while ((end = buffered.indexOf(0x0a)) !== -1) {
      this.emit('line', decodeIrcLine(buffered.subarray(0, end + 1)));
      buffered = buffered.subarray(end + 1);
    }
    this.pending = Buffer.from(buffered); // a copy: the rest of a large read is not kept alive by it
  }
}
