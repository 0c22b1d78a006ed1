/**
 * Body types a recipient refused with 415 (RFC 3261 section 8.1.3.5: a client then uses the types
 * the answer's Accept names): a client that takes only plain text (Baresip) gets its messages
 * without the CPIM wrapping of IMDN and no isComposing, instead of failing each message or
 * answering each typing change with a refusal. Remembered a while, so a client that learns the
 * type is tried again.
 */
import { lruCache } from '../../util/lru.js';

/** Recipients remembered, at most. */
const KEPT = 10_000;
/** How long a refusal stands. */
const REFUSAL_TTL_MS = 6 * 3_600_000;

export class RefusedBodyTypes {
  private readonly refused = lruCache<string, Set<string>>(KEPT, { ttl: REFUSAL_TTL_MS });

  refuse(recipient: string, type: string): void {
    const types = this.refused.get(recipient) ?? new Set<string>();
    types.add(type);
    this.refused.set(recipient, types);
  }

  refuses(recipient: string, type: string): boolean {
    return this.refused.get(recipient)?.has(type) === true;
  }
}
