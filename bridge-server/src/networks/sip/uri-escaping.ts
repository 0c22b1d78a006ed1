/**
 * How the bridge writes the user part of a SIP URI, and a process-wide patch of SIP.js so that SIP.js
 * writes every URI that way too.
 *
 * Why the patch exists: SIP.js writes a URI's user part through `URI.prototype.escapeUser`, which
 * leaves `:` as it is. RFC 3261's user part has no `:` (section 25.1): in a SIP URI it ends the
 * user and starts a password (section 19.1.1), so a proxy reads `sip:irc:bob%40libera@web.example.org`
 * as the user `irc` with a password, and routes it nowhere. The bridge gives another network's
 * party a user part holding its whole address (`irc%3Abob%40libera`, addresses.ts); SIP.js decodes
 * user parts when it parses a URI (the To of a reply, a target the bridge builds) and would write
 * them back with the `:` bare. SIP.js has no option for this, so its method is replaced, once, when
 * this module is loaded (addresses.ts imports it, so every part of the SIP network has it).
 *
 * bridge-server/test/unit/sip-uri-escaping.test.ts guards it: it fails when a SIP.js version no
 * longer writes user parts through that method (the patch would do nothing), or when SIP.js's own
 * escaping changes (the patch may no longer be needed, or may now disagree with it).
 */
import { URI } from 'sip.js';

/**
 * A user part as it travels: %HH-escaped (UTF-8) except the unreserved marks and `+` `?` `/`
 * (RFC 3261 section 25.1 allows them in a user part), `:` included (`%3A`). Spellings that differ
 * only in escaping name the same URI (section 19.1.4), so reading decodes whatever the sender wrote,
 * the older unescaped `scheme:` form included.
 */
export function escapeUser(text: string): string {
  return encodeURIComponent(text).replace(/%2B/gi, '+').replace(/%3F/gi, '?').replace(/%2F/gi, '/');
}

// A URI's user as SIP.js holds it is decoded (it decodes what it parses, and the bridge makes every
// URI by parsing one): escaped once here. SIP.js's own method decodes it again first, which reads a
// `%` of the user (a web id's, a JID's `user%domain`) as the start of an escape.
(URI.prototype as unknown as { escapeUser(user: string): string }).escapeUser = escapeUser;
