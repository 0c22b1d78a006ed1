/**
 * Where a request was sent, as the client saw it: its scheme, with `X-Forwarded-Proto` believed
 * only from a proxy `server.trustProxy` trusts, exactly as Express reads `req.protocol`. One
 * reading for the HTTP routes and the socket.io requests alike.
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
