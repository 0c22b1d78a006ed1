/**
 * The Origin check for every socket.io request past the handshake (docs/protocol.md, "Origin
 * rules"). engine.io calls `allowRequest` only for requests without a `sid`, so long-polling
 * requests and WebSocket upgrades of an open session are checked here, on the HTTP server, before
 * engine.io sees them: one whose `Origin` no site allows gets 403 `forbidden`.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@switchboard/protocol';
import { type TrustProxy, sameOrigin } from './request-origin.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The origin a request carries, when it is on `path` with a session id and no site allows it. */
function refusedOrigin(req: IncomingMessage, path: string, known: (origin: string) => boolean, trust: TrustProxy): string | undefined {
  const url = req.url ?? '';
  if (!url.startsWith(path)) return undefined;
  const origin = req.headers.origin;
  // The bridge's own pages (the agent console) connect from its own origin, which no site need list.
  if (origin === undefined || known(origin) || sameOrigin(req, trust)) return undefined;
  return /[?&]sid=/.test(url) ? origin : undefined;
}

function forbidden(origin: string): string {
  const error: ErrorBody = { code: 'forbidden', message: `Origin ${origin.slice(0, 200)} is not allowed by any site` };
  return JSON.stringify({ error });
}

/**
 * Wraps the `request` and `upgrade` listeners already on `http` (socket.io's among them): call it
 * after socket.io is attached. `path` is socket.io's path with its trailing slash.
 */
export function guardOrigins(http: HttpServer, path: string, known: (origin: string) => boolean, trust: TrustProxy): void {
  const requests = http.listeners('request') as RequestListener[];
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const origin = refusedOrigin(req, path, known, trust);
    if (origin === undefined) {
      for (const listener of requests) listener.call(http, req, res);
      return;
    }
    // No CORS header: a page on that origin may not read the answer either.
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(forbidden(origin));
  });

  const upgrades = http.listeners('upgrade') as UpgradeListener[];
  http.removeAllListeners('upgrade');
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = refusedOrigin(req, path, known, trust);
    if (origin === undefined) {
      for (const listener of upgrades) listener.call(http, req, socket, head);
      return;
    }
    const body = forbidden(origin);
    socket.end(
      `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}
