/** The console's cookies (docs/security.md, "Agent sign-in"): read from a `Cookie` header, written as `Set-Cookie` values. */

/** The session id (HttpOnly: page scripts never read it). */
export const SESSION_COOKIE = 'sb_agent';
/** The CSRF token, sent back in `X-CSRF-Token` (double submit). */
export const CSRF_COOKIE = 'sb_csrf';

export interface CookieNames {
  session: string;
  csrf: string;
}

/**
 * The cookies' names for a console served over https or plain http. Over https the `__Host-`
 * prefix (RFC 6265bis, "Cookie Name Prefixes"): browsers keep such a cookie only when it is Secure,
 * has `Path=/` and no `Domain`, so no other host (a sibling subdomain) and no plain-http page can
 * set or shadow it. Over plain http (local development) browsers refuse the prefix: the bare names.
 */
export function cookieNames(secure: boolean): CookieNames {
  return secure ? { session: `__Host-${SESSION_COOKIE}`, csrf: `__Host-${CSRF_COOKIE}` } : { session: SESSION_COOKIE, csrf: CSRF_COOKIE };
}

/** A cookie of a `Cookie` header (the first of that name); undefined when absent or malformed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    // The bridge's own values are base64url: anything else is not one of them.
    return /^[A-Za-z0-9_-]{1,200}$/.test(value) ? value : undefined;
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge?: number;
  httpOnly: boolean;
  secure: boolean;
}

/** A `Set-Cookie` value: always SameSite=Strict, so no other site's page sends it along; never a `Domain`. */
export function cookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    ...(options.maxAge !== undefined ? [`Max-Age=${Math.max(0, Math.floor(options.maxAge))}`] : []),
    ...(options.httpOnly ? ['HttpOnly'] : []),
    ...(options.secure ? ['Secure'] : []),
    'SameSite=Strict',
  ].join('; ');
}
