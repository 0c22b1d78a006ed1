/**
 * Session tokens: `base64url(JSON payload).base64url(HMAC-SHA256)`, signed with the bridge's token
 * secret. A token names its site, so one site's token is refused by another ("foreign"), and
 * expires: a visitor's after the site's `tokenTtlDays` (renewed on each connection), an agent's
 * after `agentTokenTtlHours` (not renewed).
 */
import { type KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { Address, Role } from '@switchboard/protocol';

export interface TokenClaims {
  /** Site key. */
  s: string;
  /** Address of the party. */
  a: Address;
  r: Exclude<Role, 'integration'>;
  /** Expiry, epoch seconds. */
  e: number;
  /**
   * The console session the token was issued for (an agent signed in with a password): the hex
   * SHA-256 of its id, the key the store keeps it under. The token works while that session does
   * (docs/security.md, "Agent sign-in"); tokens without it are not tied to a session.
   */
  c?: string;
}

export class TokenSigner {
  /** Imported once: every handshake signs a token and most verify one. */
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }

  sign(claims: TokenClaims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The claims of a well-signed, unexpired token; null otherwise. */
  verify(token: string, now = Date.now()): TokenClaims | null {
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    // Signed by this secret, yet read as the claims it says it holds only in their shape.
    if (!isClaims(claims) || claims.e * 1000 <= now) return null;
    return claims;
  }
}

const ROLES: readonly unknown[] = ['visitor', 'agent'] satisfies TokenClaims['r'][];

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { s, a, r, e, c } = value as Record<string, unknown>;
  return typeof s === 'string' && typeof a === 'string' && ROLES.includes(r) && typeof e === 'number' && (c === undefined || typeof c === 'string');
}

/** The identity hash a website's backend computes: hex HMAC-SHA256(secret, `${role}:${userId}`). */
export function identityHash(secret: string, role: 'visitor' | 'agent', userId: string): string {
  return createHmac('sha256', secret).update(`${role}:${userId}`).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function hashesEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
