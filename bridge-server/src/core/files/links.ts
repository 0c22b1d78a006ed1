/**
 * Signed links to files (docs/protocol.md, "Files", "Reading"): `GET /v1/files/:id/:name?p&e&s`
 * opens the file for the party `p` until `e` (epoch seconds), under an HMAC of the bridge's that
 * binds the file, its variant, the party and the expiry. The signature is checked in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Address } from '@switchboard/protocol';

export type FileVariant = 'original' | 'thumbnail';

export interface LinkClaims {
  fileId: string;
  variant: FileVariant;
  party: Address;
  /** Epoch seconds. */
  expires: number;
}

/** The query of a signed link. */
export interface LinkQuery {
  p: string;
  e: string;
  s: string;
  variant?: string;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/** Longest name part of a link: IRC lines and SIP messages keep a link whole on one line. */
const LINK_NAME_LENGTH = 40;

/**
 * The name part of a link, which only looks nice (the download's name comes with the file): ASCII
 * letters, digits, `.`, `-` and `_`, at most 40 characters, the extension kept; `file` when nothing is left.
 */
export function linkName(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_');
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(ascii)?.[0] ?? '';
  const base = ascii.slice(0, ascii.length - extension.length).replace(/^[._-]+|[._-]+$/g, '') || 'file';
  return base.slice(0, LINK_NAME_LENGTH - extension.length) + extension;
}

export class FileLinks {
  constructor(private readonly secret: string) {}

  private mac(claims: LinkClaims): Buffer {
    return createHmac('sha256', this.secret)
      .update(['switchboard-file-link', claims.fileId, claims.variant, claims.party, String(claims.expires)].join('\n'))
      .digest();
  }

  /** The path and query of a link (to put under the bridge's public URL). */
  path(claims: LinkClaims, name: string): string {
    const query = new URLSearchParams({ p: claims.party, e: String(claims.expires), s: this.mac(claims).toString('base64url') });
    if (claims.variant === 'thumbnail') query.set('variant', 'thumbnail');
    return `/v1/files/${encodeURIComponent(claims.fileId)}/${linkName(name)}?${query.toString()}`;
  }

  /** Checks a link's signature, then its expiry. */
  verify(fileId: string, query: Partial<LinkQuery>, now: number): LinkCheck {
    const { p, e, s } = query;
    const variant = query.variant === undefined ? 'original' : query.variant;
    if (typeof p !== 'string' || typeof e !== 'string' || typeof s !== 'string' || !/^\d{1,12}$/.test(e)) return { ok: false, reason: 'malformed' };
    if (variant !== 'original' && variant !== 'thumbnail') return { ok: false, reason: 'malformed' };
    const claims: LinkClaims = { fileId, variant, party: p as Address, expires: Number(e) };
    const given = Buffer.from(s, 'base64url');
    const expected = this.mac(claims);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
    if (claims.expires * 1000 <= now) return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }
}
