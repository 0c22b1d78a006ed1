/**
 * End-to-end encrypted messages, which the bridge cannot read: OMEMO (XEP-0384, its first and
 * current namespaces), OpenPGP for XMPP (XEP-0373), legacy OpenPGP (XEP-0027), OTR (XEP-0364: the
 * body is OTR's own data, `?OTR...`), and any message declaring its encryption (XEP-0380). Their
 * body is a fallback ("I sent you an OMEMO encrypted message but your client doesn't seem to
 * support that"): relayed, it would give the agent words the customer never wrote, while the
 * customer believes they were read. Such a message is refused instead, saying how to send it.
 */
import type { Element } from '@xmpp/component';
import { NS, bodyOf, refusal } from './stanzas.js';

/** Elements that carry an encrypted payload, with the name users know the encryption by. */
const PAYLOADS: ReadonlyArray<readonly [name: string, element: string, xmlns: string]> = [
  ['OMEMO', 'encrypted', 'eu.siacs.conversations.axolotl'],
  ['OMEMO', 'encrypted', 'urn:xmpp:omemo:2'],
  ['OpenPGP', 'openpgp', 'urn:xmpp:openpgp:0'],
  ['OpenPGP', 'x', 'jabber:x:encrypted'],
];

/** XEP-0380 section 4: the names of the well-known namespaces a message declares. */
const DECLARED: Readonly<Record<string, string>> = {
  'eu.siacs.conversations.axolotl': 'OMEMO',
  'urn:xmpp:omemo:1': 'OMEMO',
  'urn:xmpp:omemo:2': 'OMEMO',
  'urn:xmpp:openpgp:0': 'OpenPGP',
  'jabber:x:encrypted': 'OpenPGP',
  'urn:xmpp:otr:0': 'OTR',
};

/** The encryption a message is sent with (`OMEMO`, `OpenPGP`, `OTR`, ...), or undefined for a readable one. */
export function encryptionOf(stanza: Element): string | undefined {
  for (const [name, element, xmlns] of PAYLOADS) if (stanza.getChild(element, xmlns)) return name;
  const declared = stanza.getChild('encryption', NS.eme);
  if (declared) return DECLARED[declared.attrs.namespace ?? ''] ?? (declared.attrs.name || 'end-to-end');
  return /^\?OTR/.test(bodyOf(stanza) ?? '') ? 'OTR' : undefined;
}

/** The error an encrypted message is refused with (RFC 6120 section 8.3.3.12): resend it unencrypted. */
export function encryptedRefusal(encryption: string): Element {
  return refusal('not-acceptable', `This address cannot read ${encryption} encrypted messages: turn ${encryption} off for this chat and send it again`);
}
