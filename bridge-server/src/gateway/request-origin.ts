/**
 * Where a request was sent, as the client saw it: its scheme and its origin, with
 * `X-Forwarded-Proto` and `X-Forwarded-Host` believed only from a proxy `server.trustProxy` trusts
 * (Express's own trust function), and the one same-origin check of the
 * bridge's own pages (the agent console), for the socket.io handshake, the origin guard and the
 * console's POST routes alike.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import express from 'express';

/** Whether to believe the proxy at `address`, `hop` proxies away from the bridge (Express's `trust proxy fn`). */
export type TrustProxy = (address: string | undefined, hop: number) => boolean;

/** The trust of `server.trustProxy`, compiled by Express itself, so both readings believe the same proxies. */
export function compileTrust(setting: boolean | number | string | undefined): TrustProxy {
  const app = express();
  if (setting !== undefined) app.set('trust proxy', setting);
  return app.get('trust proxy fn') as TrustProxy;
}

/** What is read of a request: a Node request, Express's or socket.io's handshake's. */
export type RequestLike = Pick<IncomingMessage, 'headers' | 'socket'>;

/** The first value of a header that may be repeated or comma-separated. */
function firstOf(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

/** `https` when the connection is TLS, or a trusted proxy says the client used https; `http` otherwise. */
export function requestScheme(req: RequestLike, trust: TrustProxy): 'http' | 'https' {
  if ((req.socket as Partial<TLSSocket>).encrypted) return 'https';
  if (!trust(req.socket.remoteAddress, 0)) return 'http';
  return firstOf(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https' ? 'https' : 'http';
}

/** The origin the client sent the request to (`scheme://host[:port]`, normalized); none without a usable host. */
export function requestOrigin(req: RequestLike, trust: TrustProxy): string | undefined {
  const forwarded = trust(req.socket.remoteAddress, 0) ? firstOf(req.headers['x-forwarded-host']) : undefined;
  const host = forwarded ?? req.headers.host;
  if (host === undefined || host === '') return undefined;
  return originOf(`${requestScheme(req, trust)}://${host}`);
}

/** A URL's origin as browsers serialize it (lowercase host, no default port); none for anything else. */
function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a request's `Origin` is not its own, when a proxy is the likely cause: same host, another
 * scheme (a proxy that ends TLS, whose X-Forwarded-Proto is not trusted); else nothing.
 */
export function untrustedProxyHint(req: RequestLike, trust: TrustProxy): string {
  const page = req.headers.origin === undefined ? undefined : originOf(req.headers.origin);
  const own = requestOrigin(req, trust);
  if (page === undefined || own === undefined) return '';
  const [pageUrl, ownUrl] = [new URL(page), new URL(own)];
  return pageUrl.protocol !== ownUrl.protocol && pageUrl.hostname === ownUrl.hostname
    ? `; the page is ${pageUrl.protocol.slice(0, -1)} but the request came as ${ownUrl.protocol.slice(0, -1)}: behind a proxy that ends TLS, set server.trustProxy`
    : '';
}

/**
 * Whether a request comes from the bridge's own pages: its `Origin` is the request's own origin,
 * scheme, host and port (RFC 6454). Without an Origin (a browser leaves it out of a same-origin
 * GET, such as socket.io's first polling request), `Sec-Fetch-Site`, when the browser sends it,
 * must say same-origin.
 */
export function sameOrigin(req: RequestLike, trust: TrustProxy): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) {
    const site = req.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin';
  }
  const own = requestOrigin(req, trust);
  return own !== undefined && originOf(origin) === own;
}
