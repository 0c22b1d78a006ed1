/** A MIME part's body as bytes, its Content-Transfer-Encoding undone (RFC 2045 section 6). */

/** The bytes of a base64 or quoted-printable body (lowercased `encoding`); any other is the bytes as they are. */
export function transferDecoded(body: Buffer, encoding: string | undefined): Buffer {
  // Section 6.8: characters outside the alphabet (line breaks, stray ones) are ignored.
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding !== 'quoted-printable') return body;
  // Section 6.7: a soft line break (`=` at a line's end) joins the lines; `=XX` is a byte.
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  return Buffer.from(
    text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}
