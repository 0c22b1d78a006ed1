/**
 * The bridge's own HTTP answers compressed where it pays: JSON, /metrics, the static site, brotli
 * or gzip as the request accepts, from 1 KB up (`compression`; it adds `Vary: Accept-Encoding`).
 * Left alone: the bundles (precompressed at build time, bundles.ts), files (`/v1/files`: stored
 * bytes, sent as they are; their answers also say `no-transform`) and socket.io (its own server,
 * before Express). Express matches routes whatever the case, so the paths are compared lowercased.
 */
import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';
import { isBundlePath } from './bundles.js';

/** Smaller answers gain less than the headers and the CPU cost. */
const THRESHOLD_BYTES = 1024;

const compressible = (req: Request, res: Response): boolean => {
  const path = req.path.toLowerCase();
  return !isBundlePath(path) && path !== '/v1/files' && !path.startsWith('/v1/files/') && compression.filter(req, res);
};

export function compressedResponses(): RequestHandler {
  return compression({ threshold: THRESHOLD_BYTES, filter: compressible });
}
