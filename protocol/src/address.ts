/**
 * A party on any network: `<network>:<id>` (docs/protocol.md, "Addresses").
 * The scheme is lowercase letters, digits and dashes; the rest is network-specific.
 */
export type Address = `${string}:${string}`;

export const ADDRESS_PATTERN = /^[a-z][a-z0-9-]{0,31}:[^\s\u0000-\u001f\u007f]+$/;

export function isAddress(value: unknown): value is Address {
  return typeof value === 'string' && ADDRESS_PATTERN.test(value);
}

export interface ParsedAddress {
  network: string;
  id: string;
}

export function parseAddress(address: string): ParsedAddress | null {
  if (!isAddress(address)) return null;
  const colon = address.indexOf(':');
  return { network: address.slice(0, colon), id: address.slice(colon + 1) };
}

export function networkOf(address: Address): string {
  return address.slice(0, address.indexOf(':'));
}
