/**
 * A MESSAGE body's content coding (RFC 3261 section 20.12, `Content-Encoding`, compact form `e`),
 * undone before the body is read: liblinphone sends its delivery notifications deflated, and any
 * client may gzip a long text. A coding the bridge does not know is refused with 415 and the ones it
 * does in `Accept-Encoding` (section 8.2.3), never stored as if it were text.
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** The codings undone here, as an `Accept-Encoding` header lists them. */
export const ACCEPTED_ENCODINGS = 'gzip, deflate, identity';

/** A decoded body at most: a few kilobytes inflating to gigabytes is a bomb, not a message. */
export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

export type DecodedBody = { bytes: Buffer } | { refused: 'unsupported' | 'corrupt' | 'too_large'; coding: string };

/** The codings of a `Content-Encoding` value, in the order they were applied, lowercased; identity left out. */
function codingsOf(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/** The body with its codings undone, last applied first. */
export function decodedBody(bytes: Buffer, contentEncoding: string | undefined): DecodedBody {
  let body = bytes;
  for (const coding of codingsOf(contentEncoding).reverse()) {
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== 'deflate') return { refused: 'unsupported', coding };
    try {
      body = undone(body, coding);
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      return { refused: tooLarge ? 'too_large' : 'corrupt', coding };
    }
  }
  return { bytes: body };
}

function undone(body: Buffer, coding: string): Buffer {
  const options = { maxOutputLength: MAX_DECODED_BYTES };
  if (coding !== 'deflate') return gunzipSync(body, options);
  // `deflate` is the zlib format (RFC 1950 around RFC 1951); some senders write the bare RFC 1951 stream.
  try {
    return inflateSync(body, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    return inflateRawSync(body, options);
  }
}
