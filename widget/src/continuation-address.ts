/**
 * The address a visitor types to continue a conversation on another network, checked before the
 * bridge is asked: one `user@host` on the network the visitor picked (docs/protocol.md,
 * "Continuing on another network"). The bridge checks it for real; this only catches typos early.
 */

import type { Address } from '@switchboard/sdk';

/** `name@server` (XMPP, a bare JID), `user@host[:port]` (SIP) or `name@example.com` (email). */
const USER_AT_HOST = /^[^\s@:/<>]+@[^\s@/<>:]+(?::\d{1,5})?$/;

/**
 * The address to ask for: the network's scheme and what the visitor typed (with or without that
 * scheme); null when it cannot be an address there.
 */
export function continuationAddress(network: string, typed: string): Address | null {
  const trimmed = typed.trim();
  const bare = trimmed.toLowerCase().startsWith(`${network}:`) ? trimmed.slice(network.length + 1) : trimmed;
  if (!USER_AT_HOST.test(bare) || (network !== 'sip' && bare.includes(':'))) return null;
  return `${network}:${bare}`;
}

/** What a code field holds once only its digits are kept (people paste `123 456`). */
export function codeDigits(typed: string): string {
  return typed.replace(/\D/g, '');
}

/** An address kept apart from the text around it (Unicode isolates), so a right-to-left sentence cannot reorder it. */
export function isolate(address: string): string {
  return `\u2068${address}\u2069`;
}
