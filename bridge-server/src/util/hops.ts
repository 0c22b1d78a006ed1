/**
 * The gateway's hop marker (docs/gateway.md, "Policy and loops"): the ids of the bridges a message
 * went through, carried by each protocol that can (an XMPP extension element, a SIP header). Ids
 * are short tokens that need no escaping in any of them; anything else read from the wire is dropped.
 */
export const BRIDGE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** A marker longer than this is cut: no real chain of gateways is that long. */
export const MAX_HOPS_READ = 16;

/** The valid ids of a marker read from (or written to) the wire, in order, at most MAX_HOPS_READ. */
export function cleanHops(ids: Iterable<string>): string[] {
  const clean: string[] = [];
  for (const id of ids) {
    if (clean.length >= MAX_HOPS_READ) break;
    const trimmed = id.trim();
    if (BRIDGE_ID.test(trimmed)) clean.push(trimmed);
  }
  return clean;
}
