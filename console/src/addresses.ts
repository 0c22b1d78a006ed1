/** How the console shows an address: its network (the scheme) and the rest, e.g. `xmpp:` + `carol@example.com`. */
export function networkOf(address: string): string {
  const colon = address.indexOf(':');
  return colon > 0 ? address.slice(0, colon) : 'web';
}

export function withoutScheme(address: string): string {
  const colon = address.indexOf(':');
  return colon > 0 ? address.slice(colon + 1) : address;
}

/** A small glyph per network, beside its name (the name is what screen readers read). */
export const NETWORK_ICONS: Record<string, string> = { web: '🌐', xmpp: '💬', irc: '#', sip: '📞', mailto: '✉' };

export const networkIcon = (network: string): string => NETWORK_ICONS[network] ?? '•';
