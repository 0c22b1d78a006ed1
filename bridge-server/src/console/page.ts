/**
 * The console's page (docs/protocol.md, "HTTP"): its built files from `console/dist`, found like
 * the widget's bundles (gateway/bundles.ts); `index.html` for `<path>` and every client route under
 * it, with a strict Content-Security-Policy. Until the console is built: 503 `unavailable`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { BridgeError } from '../core/errors.js';

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Scripts and connections from the bridge only (and the site backend's identityUrl, when it is
 * elsewhere); Lit's styles are constructed, some inline; no plugins, no framing, no base change.
 */
export function consolePolicy(req: Request, identityUrl: string | undefined): string {
  const host = req.get('host');
  const connect = ["'self'"];
  // 'self' covers the WebSocket in CSP 3 browsers; older ones need the ws(s): origin named.
  if (host !== undefined && HOST.test(host)) connect.push(`${req.secure ? 'wss' : 'ws'}://${host}`);
  if (identityUrl !== undefined && !identityUrl.startsWith('/')) connect.push(new URL(identityUrl).origin);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src ${connect.join(' ')}`,
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function consolePage(app: Express, base: string, dist: string | null, identityUrl: string | undefined): void {
  const index = dist === null ? null : join(dist, 'index.html');
  const page = (req: Request, res: Response, next: (error?: unknown) => void) => {
    // A file the build does not have is missing, not a client route.
    if (/\.[A-Za-z0-9]+$/.test(req.path)) return next();
    if (index === null || !existsSync(index)) return next(new BridgeError('unavailable', 'The agent console is not built; run npm run build'));
    res.set('Content-Security-Policy', consolePolicy(req, identityUrl));
    // The page names the hashed modules of the current build: always asked again.
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index, { etag: true, lastModified: true });
  };
  // Hashed modules and assets: cached for good (a new build has new names).
  if (dist !== null) app.use(base, express.static(dist, { index: false, redirect: false, immutable: true, maxAge: '365d', fallthrough: true }));
  app.get(base, page);
  app.get(`${base}/{*route}`, page);
}
