/**
 * How large a MESSAGE may be, and how much of it its headers take. RFC 3428 section 8: a MESSAGE
 * request MUST NOT exceed 1300 bytes unless the path is known to be congestion-controlled; RFC
 * 3261 section 18.1.1: above the path MTU (1300 bytes when it is unknown) a request goes over TCP.
 * The bridge speaks WebSocket to its proxy, but the proxy may relay to a phone registered over UDP
 * (Linphone, Baresip), where a larger request is fragmented, and often lost.
 */
import type { Core } from 'sip.js';

export const MAX_REQUEST_BYTES = 1300;

/**
 * What a proxy may add to the request before the phone gets it: its own Via (about 70 bytes, more
 * with IPv6), `received` and `rport` on the bridge's Via (about 40), and a Request-URI rewritten to
 * the phone's registered contact (`;transport=udp`, an alias, a GRUU).
 */
export const PROXY_ALLOWANCE = 200;

/** A challenge's nonce and opaque, echoed in the credentials (Kamailio's nonce is 32 characters, without opaque). */
const NONCE_AND_OPAQUE = 128;

/** The body a request is written with to be measured: 4 digits of Content-Length, as any part has. */
export const PLACEHOLDER_BODY = 'x'.repeat(1000);

/** The bridge's account as its credentials show it. */
export interface Account {
  /** SIP.js's Via host (`<random>.invalid`). */
  viaHost: string;
  username: string;
  realm: string;
}

/** The bytes of a request besides its body. */
export interface Frame {
  /** Its headers as SIP.js sends them, the Via included. */
  headers: number;
  /** The credentials it carries once the proxy challenged it (Kamailio challenges every MESSAGE). */
  credentials: number;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The frame of a request SIP.js built with PLACEHOLDER_BODY. */
export function frameOf(request: Core.OutgoingRequestMessage, account: Account): Frame {
  const written = bytes(request.toString()) - bytes(PLACEHOLDER_BODY);
  // RFC 3261 section 8.1.1.7: the transport's name, SIP.js's host, a branch of at most 7 digits.
  const via = bytes(`SIP/2.0/WSS ${account.viaHost};branch=z9hG4bK9999999;rport`);
  // RFC 3261 section 22.3 (qop=auth), as SIP.js writes it, the nonce and opaque left to the allowance.
  const credentials = bytes(
    `Proxy-Authorization: Digest algorithm=MD5, username="${account.username}", realm="${account.realm}", nonce="", ` +
      `uri="${request.ruri.toString()}", response="${'0'.repeat(32)}", qop=auth, cnonce="${'0'.repeat(12)}", nc=00000001\r\n`,
  );
  return { headers: written + via, credentials: credentials + NONCE_AND_OPAQUE };
}

/**
 * The room for a body. To the proxy, the request carries its credentials; from the proxy on, it
 * carries what the proxy adds instead, since the proxy that checked the credentials removes them
 * (Kamailio's `consume_credentials()`, in the shipped kamailio.cfg): each hop's request fits.
 */
export function bodyRoom(frame: Frame): number {
  return MAX_REQUEST_BYTES - frame.headers - Math.max(frame.credentials, PROXY_ALLOWANCE);
}
