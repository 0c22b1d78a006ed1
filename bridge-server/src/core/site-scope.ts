/**
 * Web identities that a site vouches for are the site's own: site one's `web:a_alice` and site
 * two's `web:a_alice` are two people. Inside the bridge (rooms, presence, routing, the store,
 * the networks' puppets) such an address carries its site: `web:a_alice@shop`. Clients of the
 * site see and write it without the site (`web:a_alice`, docs/protocol.md "Addresses"): the
 * gateway adds the site of the connection on the way in and takes it off on the way out.
 *
 * Anonymous visitors (`web:v_<12 hex>`) are made by the bridge and unique across sites already;
 * they keep one form everywhere, and a site reaches one only when it is that site's visitor.
 */
import type { Address } from '@switchboard/protocol';
import { isSiteScoped, siteOfAddress, withSite, withoutSite } from '../util/site-address.js';

export { isSiteScoped, siteOfAddress, withSite, withoutSite };

/** Whether a party can act in a conversation of `siteKey`: any network's user, or a web party of that site. */
export function usableOnSite(address: Address, siteKey: string): boolean {
  const site = siteOfAddress(address);
  return site === undefined || site === siteKey;
}

/** Keys of the contract's objects (and webhook bodies) whose values are addresses. */
const ADDRESS_KEYS = new Set(['from', 'address', 'participants', 'assignee', 'self', 'openedBy', 'to', 'agent']);

/**
 * A payload as a site's clients see it: every address under an address key without its site.
 * Returns the same object when nothing changes (the common case costs a walk, not a copy).
 */
export function toClientForm<T>(value: T): T {
  return rewrite(value, false) as T;
}

function rewrite(value: unknown, isAddress: boolean): unknown {
  if (typeof value === 'string') return isAddress ? withoutSite(value as Address) : value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = rewrite(item, isAddress);
      if (next !== item) (copy ??= [...value])[i] = next;
    });
    return copy ?? value;
  }
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = rewrite(item, ADDRESS_KEYS.has(key));
    if (next !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return copy ?? value;
}

/** Command answers for a web agent of `siteKey`: its site's addresses written as the agent knows them. */
export function textForSite(text: string, siteKey: string): string {
  const suffix = `@${siteKey}`;
  return text.replace(/web:[uai]_\S+/g, (address) => {
    // Trailing punctuation of the sentence is not part of the address.
    const trail = /[).,;:]*$/.exec(address)![0];
    const bare = address.slice(0, address.length - trail.length);
    return (bare.endsWith(suffix) ? bare.slice(0, -suffix.length) : bare) + trail;
  });
}
