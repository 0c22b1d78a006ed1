/**
 * The browser bundles (docs/protocol.md, "HTTP"): `/widget.js` (the widget's loader),
 * `/widget/chat-<hash>.js` (the chat it fetches), `/sdk.js` and `/sdk.iife.js`. Public code that
 * pages on any origin load, so sent with `Access-Control-Allow-Origin: *`; precompressed at build
 * time, so each request costs a file read: brotli or gzip as the request accepts, with `Vary` and
 * an ETag. Content-hashed chunks are cached for good; the loader and the SDK for five minutes.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Express, Request, Response } from 'express';

/** Where a package's built bundles are, if it is installed. */
export function distOf(name: string): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)), 'dist');
  } catch {
    return null;
  }
}

const ENCODINGS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

/** Each bundle's path and its file in its package's dist. */
const SDK_BUNDLES = { '/sdk.js': 'switchboard.esm.js', '/sdk.iife.js': 'switchboard.iife.js' } as const;
const LOADER = '/widget.js';
const CHUNKS = '/widget/';

/** Whether a request is for a bundle (sent precompressed, never compressed again). */
export function isBundlePath(path: string): boolean {
  return Object.hasOwn(SDK_BUNDLES, path) || path === LOADER || path.startsWith(CHUNKS);
}

/** A chat chunk's name as the build writes it: nothing else under /widget/ is served. */
const CHUNK = /^chat-[A-Za-z0-9_-]+\.js(\.map)?$/;

type NotBuilt = (res: Response, file: string) => void;

function send(req: Request, res: Response, path: string, cache: { maxAge: string; immutable?: boolean }): void {
  res.set('Access-Control-Allow-Origin', '*');
  // Other sites' pages load these (helmet's default would keep them same-origin).
  res.set('Cross-Origin-Resource-Policy', 'cross-origin');
  res.vary('Accept-Encoding');
  let file = path;
  if (path.endsWith('.js')) {
    const [encoding, extension] = ENCODINGS.find(([name, ext]) => req.acceptsEncodings(name) === name && existsSync(path + ext)) ?? [];
    if (encoding) {
      res.set('Content-Encoding', encoding);
      file = path + extension;
    }
    res.type('text/javascript');
  } else {
    res.type('application/json');
  }
  res.sendFile(file, { ...cache, etag: true, lastModified: true });
}

export function bundleRoutes(app: Express, notBuilt: NotBuilt): void {
  const sdk = distOf('@switchboard/sdk');
  const widget = distOf('@switchboard/widget');
  const fiveMinutes = { maxAge: '5m' };
  const bundle = (dist: string | null, file: string) => (req: Request, res: Response) => {
    const path = dist ? join(dist, file) : null;
    if (!path || !existsSync(path)) return notBuilt(res, file);
    send(req, res, path, fiveMinutes);
  };
  for (const [path, file] of Object.entries(SDK_BUNDLES)) app.get(path, bundle(sdk, file));
  app.get(LOADER, bundle(widget, 'widget.js'));
  app.get(`${CHUNKS}:file`, (req, res, next) => {
    const file = String(req.params.file);
    const path = widget && CHUNK.test(file) ? join(widget, 'chunks', file) : null;
    if (!path || !existsSync(path)) return next();
    send(req, res, path, { maxAge: '365d', immutable: true });
  });
}
