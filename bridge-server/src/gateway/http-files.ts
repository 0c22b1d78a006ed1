/**
 * Files over HTTP (docs/protocol.md, "Files"): `POST /v1/files` (the body the file's bytes,
 * streamed), `GET /v1/files/:id` with a party's session or an API key, and the signed links
 * `GET /v1/files/:id/:name?p&e&s`. Browsers on the sites' origins reach them by CORS. Every file
 * is answered so that nothing in it runs: its found type, `nosniff`, a sandboxing CSP, and
 * `attachment` for all but the images browsers show.
 */
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LIMITS } from '@switchboard/protocol';
import type express from 'express';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { SiteConfig } from '../config.js';
import type { Actor } from '../core/actor.js';
import { BridgeError, badRequest } from '../core/errors.js';
import type { ByteRange } from '../core/files/blob-store.js';
import { byteRangeOf } from './byte-range.js';
import type { FileService, ServedFile } from '../core/files/file-service.js';
import type { FileVariant } from '../core/files/links.js';
import { type Authenticator, originAllowed } from './auth.js';

export interface FileRoutesDeps {
  files: FileService;
  authenticator: Authenticator;
  sites: readonly SiteConfig[];
  logger: Logger;
  isDraining: () => boolean;
}

/** Images browsers show rather than run: answered `inline`; everything else is saved. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
/** What a page's script may read of a file answer (CORS). */
const EXPOSED_HEADERS = 'Content-Disposition, Content-Range, ETag, Retry-After';
/** Bytes of a refused upload still read before the connection is cut (so the client reads the refusal). */
const DRAIN_LIMIT = 2 * LIMITS.maxFileBytes;
/** And for this long at most. */
const DRAIN_MS = 30_000;
/** Where files are uploaded. */
const UPLOAD_PATH = '/v1/files';

/** Whether a request's URL is the upload route as express routes it (any case, a trailing slash, a query). */
export function isUploadPath(url: string): boolean {
  return url.split('?')[0]!.toLowerCase().replace(/\/+$/, '') === UPLOAD_PATH;
}

export function fileRoutes(app: express.Express, deps: FileRoutesDeps): void {
  const knownOrigin = (origin: string) => deps.sites.some((site) => site.origins.includes('*') || site.origins.includes(origin));

  /** CORS: an origin some site lists may read the answer; the token's site decides once it is known. */
  const allowOrigin = (req: Request, res: Response) => {
    const origin = req.get('origin');
    if (origin === undefined || !knownOrigin(origin)) return;
    res.vary('Origin');
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSED_HEADERS });
  };

  const authenticate = async (req: Request): Promise<Actor> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match) throw new BridgeError('unauthorized', 'Authorization: send "Bearer <token>": the token of your session, or an API key');
    const actor = await deps.authenticator.bearer(match[1]!);
    if (!actor)
      throw new BridgeError(
        'unauthorized',
        'Authorization: unknown API key, or a session token that is invalid or expired (or of a console session that ended)',
      );
    const origin = req.get('origin');
    const site = deps.authenticator.site(actor.siteKey);
    // The console on the bridge's own origin uploads and reads its agent's files, whatever the site lists.
    if (origin !== undefined && site && !originAllowed(site, origin) && !(actor.role === 'agent' && deps.authenticator.fromOwnPages(req)))
      throw new BridgeError('forbidden', `Origin ${origin} is not allowed for site "${site.key}"; add it to the site's origins`);
    return actor;
  };

  app.options(['/v1/files', '/v1/files/:id'], (req, res) => {
    const origin = req.get('origin');
    if (origin === undefined || !knownOrigin(origin)) {
      res.status(403).json({ error: { code: 'forbidden', message: `Origin ${origin ?? '(none)'} is not allowed by any site` } });
      return;
    }
    allowOrigin(req, res);
    res
      .set({
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Range, If-Range, If-None-Match',
        'Access-Control-Max-Age': '600',
      })
      .status(204)
      .end();
  });

  // A signed link's preflight (a script asking for a range with If-Range): any origin, as the link itself.
  app.options('/v1/files/:id/:name', (_req, res) => {
    res
      .set({
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET',
        'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match',
        'Access-Control-Max-Age': '600',
      })
      .status(204)
      .end();
  });

  app.post(UPLOAD_PATH, async (req, res, next) => {
    const body = requestBody(req);
    let askedForBody = false;
    try {
      allowOrigin(req, res);
      if (deps.isDraining()) throw new BridgeError('unavailable', 'The bridge is shutting down; retry in a moment.');
      const actor = await authenticate(req);
      const conversationId = queryString(req, 'conversationId');
      const name = queryString(req, 'name');
      const file = await deps.files.upload(actor, {
        conversationId,
        name,
        content: body,
        declaredBytes: declaredLength(req),
        // A client that waits to be asked for the body (`Expect: 100-continue`) is asked once the upload may go on.
        admitted: () => {
          if (!awaitsContinue(req)) return;
          res.writeContinue();
          askedForBody = true;
        },
      });
      res.status(201).json({ ok: true, file });
    } catch (error) {
      body.destroy();
      if (awaitsContinue(req) && !askedForBody) {
        // A body never asked for is not coming: the refusal goes at once, and the connection closes.
        res.set('Connection', 'close');
      } else if (declaredLength(req) > DRAIN_LIMIT) {
        // One longer than the bridge reads after a refusal: the refusal goes at once, and what the
        // client still sends is read (within DRAIN_LIMIT and DRAIN_MS) before the connection is cut,
        // so that the client reads the refusal rather than a reset (a lingering close).
        res.once('finish', () => void drained(req));
      } else await drained(req);
      next(error);
    }
  });

  app.get('/v1/files/:id', async (req, res, next) => {
    try {
      allowOrigin(req, res);
      const actor = await authenticate(req);
      await send(req, res, await deps.files.openFor(actor, req.params.id, variantOf(req)), deps.logger);
    } catch (error) {
      next(error);
    }
  });

  app.get('/v1/files/:id/:name', async (req, res, next) => {
    try {
      // Anyone holding the link may read it (as with `<img src>`): the signature is the credential.
      res.set({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED_HEADERS });
      const query = req.query as Record<string, unknown>;
      const text = (key: string) => (typeof query[key] === 'string' ? query[key] : undefined);
      const link = { p: text('p'), e: text('e'), s: text('s'), variant: text('variant') };
      await send(req, res, await deps.files.openSigned(req.params.id, link), deps.logger);
    } catch (error) {
      next(error);
    }
  });
}

function queryString(req: Request, key: string): string {
  const value = (req.query as Record<string, unknown>)[key];
  if (typeof value !== 'string' || value === '') throw badRequest(`${key}: give it in the query (POST /v1/files?conversationId=...&name=...)`);
  return value;
}

function variantOf(req: Request): FileVariant {
  const variant = (req.query as Record<string, unknown>).variant;
  if (variant === undefined || variant === 'original') return 'original';
  if (variant === 'thumbnail') return 'thumbnail';
  throw badRequest('variant: original or thumbnail');
}

/** Whether the client waits for `100 Continue` before it sends the body (RFC 9110 section 10.1.1); the server does not send it for uploads (server.ts, isUploadPath). */
function awaitsContinue(req: Request): boolean {
  return req.get('expect')?.toLowerCase() === '100-continue';
}

/** The body's length as the request declares it (`Content-Length`); 0 when it declares none (chunked). */
function declaredLength(req: Request): number {
  const declared = Number(req.get('content-length'));
  return Number.isFinite(declared) ? declared : 0;
}

/**
 * The request's bytes as a stream of their own: the store may stop reading (too large) without
 * cutting the connection, so the refusal still reaches the client. A client that goes away
 * mid-upload fails the stream.
 */
function requestBody(req: Request): PassThrough {
  const body = new PassThrough();
  req.on('data', (chunk: Buffer) => {
    if (!body.destroyed && !body.write(chunk)) req.pause();
  });
  body.on('drain', () => req.resume());
  req.on('end', () => body.end());
  req.on('close', () => {
    if (!req.complete) body.destroy(new BridgeError('bad_request', 'body: the upload was cut off before its end'));
  });
  return body;
}

/** Reads what is left of a refused upload (within DRAIN_LIMIT and DRAIN_MS; beyond, the connection is cut). */
function drained(req: Request): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const cut = () => {
      clearTimeout(timer);
      req.destroy();
      resolve();
    };
    // A client sending slowly holds the connection no longer than this.
    const timer = setTimeout(cut, DRAIN_MS);
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_LIMIT) cut();
    });
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/** `attachment; filename="..."; filename*=UTF-8''...` (RFC 6266): an ASCII fallback, then the exact name. */
function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

async function send(req: Request, res: Response, served: ServedFile, logger: Logger): Promise<void> {
  const { file, variant } = served;
  const thumbnail = variant === 'thumbnail';
  const etag = `"${file.sha256}${thumbnail ? '.thumb' : ''}"`;
  const name = thumbnail ? `${file.name.replace(/\.[^.]*$/, '')}.webp` : file.name;
  const notModified = noneMatch(req.get('if-none-match'), etag);
  const range = notModified ? undefined : rangeOf(req, etag, served.size);
  // Opened before any header is set, so bytes that are gone answer a plain `not_found`; a HEAD reads none.
  const content = notModified || range === 'unsatisfiable' || req.method === 'HEAD' ? undefined : await served.read(range);
  // A 304 names no type: a cache would replace the stored one, charset included, with it.
  if (!notModified) res.type(served.type.startsWith('text/') ? `${served.type}; charset=${served.charset}` : served.type);
  res.set({
    'X-Content-Type-Options': 'nosniff',
    // Nothing in a file runs, even opened directly (replacing the pages' policy of the app).
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': `private, max-age=${Math.max(0, served.maxAge)}, no-transform`,
    ETag: etag,
    'Accept-Ranges': 'bytes',
    'Content-Disposition': contentDisposition(thumbnail || INLINE_TYPES.has(served.type) ? 'inline' : 'attachment', name),
  });
  if (notModified) {
    res.status(304).end();
    return;
  }
  if (range === 'unsatisfiable') {
    res.status(416).set({ 'Content-Range': `bytes */${served.size}`, 'Content-Type': 'application/json; charset=utf-8' });
    res.send(JSON.stringify({ error: { code: 'bad_request', message: `Range: none of it is within the file's ${served.size} bytes` } }));
    return;
  }
  if (range)
    res.status(206).set({ 'Content-Range': `bytes ${range.start}-${range.end}/${served.size}`, 'Content-Length': String(range.end - range.start + 1) });
  else res.status(200).set('Content-Length', String(served.size));
  if (!content) {
    res.end();
    return;
  }
  await pipeline(content, res).catch((error: unknown) => logger.debug({ err: error, file: file.id }, 'file answer cut off'));
}

/**
 * The one range of bytes a GET asks for (RFC 9110 section 14.2; only a GET: a HEAD answers as the
 * whole file would): undefined for the whole file (no Range, one `byteRangeOf` ignores, an
 * If-Range that is not our current ETag); 'unsatisfiable' when none of it is within the file (416).
 */
function rangeOf(req: Request, etag: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const header = req.get('range');
  if (header === undefined || req.method !== 'GET') return undefined;
  // If-Range compares strongly, and a date never matches: the files answer no Last-Modified (section 13.1.5).
  const ifRange = req.get('if-range');
  if (ifRange !== undefined && ifRange.trim() !== etag) return undefined;
  return byteRangeOf(header, size);
}

/** RFC 9110 section 13.1.2: If-None-Match holds `*`, or one of its entity tags equals ours compared weakly (`W/` ignored). */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
