/**
 * The console's page (docs/protocol.md, "HTTP"): its built files from `console/dist`, found like
 * the widget's bundles (gateway/bundles.ts); `index.html` for `<path>` and every client route under
 * it, with a strict Content-Security-Policy, its module named under `<path>`, revalidated by ETag.
 * Until the console is built: 503 `unavailable`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { BridgeError } from '../core/errors.js';
import { type TrustProxy, requestOrigin } from '../gateway/request-origin.js';

/** Where the build names the console's files (rollup.config.mjs, `consolePage`). */
const BUILT_BASE = '/agent/';

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Scripts and connections from the bridge only (and the site backend's identityUrl, when it is
 * elsewhere); Lit's styles are constructed, some inline; no plugins, no framing, no base change.
 */
export function consolePolicy(req: Request, trust: TrustProxy, identityUrl: string | undefined, publicUrl?: string): string {
  const connect = ["'self'"];
  // 'self' covers the WebSocket in CSP 3 browsers; older ones need the ws(s): origin named: the
  // page's own origin as the handshake reads it (scheme and host through a trusted proxy).
  const own = requestOrigin(req, trust);
  // Only a plain host: a header's `;` must not start another directive.
  if (own !== undefined && HOST.test(new URL(own).host)) connect.push(own.replace(/^http/, 'ws'));
  if (identityUrl !== undefined && !identityUrl.startsWith('/')) connect.push(new URL(identityUrl).origin);
  // Files' links start with server.publicUrl, which may be another origin than the page's (a proxy's name).
  const files = publicUrl === undefined ? '' : ` ${new URL(publicUrl).origin}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${files}`,
    `media-src 'self' blob:${files}`,
    `connect-src ${connect.join(' ')}`,
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export interface ConsolePageOptions {
  /** `console.path`. */
  base: string;
  /** The console's built files; null when not built. */
  dist: string | null;
  identityUrl?: string | undefined;
  /** `server.publicUrl`, when configured. */
  publicUrl?: string | undefined;
  /** `server.trustProxy`, compiled: the page's own origin for its WebSocket. */
  trust: TrustProxy;
}

/** `index.html` as served under `base`: its files named there; read again when the build changes. */
function builtPage(index: string, base: string): () => { body: string; etag: string } | null {
  let cached: { stamp: string; body: string; etag: string } | undefined;
  return () => {
    if (!existsSync(index)) return null;
    const { mtimeMs, size } = statSync(index);
    const stamp = `${mtimeMs}:${size}`;
    if (cached?.stamp !== stamp) {
      const body = readFileSync(index, 'utf8').replaceAll(`="${BUILT_BASE}`, `="${base}/`);
      cached = { stamp, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    return cached;
  };
}

export function consolePage(app: Express, { base, dist, identityUrl, publicUrl, trust }: ConsolePageOptions): void {
  const built = dist === null ? () => null : builtPage(join(dist, 'index.html'), base);
  const page = (req: Request, res: Response, next: (error?: unknown) => void) => {
    // A file the build does not have is missing, not a client route.
    if (/\.[A-Za-z0-9]+$/.test(req.path) && !req.path.endsWith('/index.html')) return next();
    const current = built();
    if (current === null) return next(new BridgeError('unavailable', 'The agent console is not built; run npm run build'));
    res.set('Content-Security-Policy', consolePolicy(req, trust, identityUrl, publicUrl));
    // The page names the hashed modules of the current build: always asked again, 304 while unchanged.
    res.set('Cache-Control', 'no-cache');
    res.set('ETag', current.etag);
    // express answers 304 itself when If-None-Match names this ETag (req.fresh).
    res.type('html').send(current.body);
  };
  // Hashed modules and assets: cached for good (a new build has new names).
  if (dist !== null) {
    const files = express.static(dist, { index: false, redirect: false, immutable: true, maxAge: '365d', fallthrough: true });
    // The page itself only as the page (named under `base`, revalidated), never as a file cached for good.
    app.use(base, (req, res, next) => (req.path === '/index.html' ? next() : files(req, res, next)));
  }
  app.get(base, page);
  app.get(`${base}/{*route}`, page);
}
