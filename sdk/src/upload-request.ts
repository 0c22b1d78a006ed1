/**
 * `POST /v1/files` (docs/protocol.md, "Files"): what both ways of uploading share, the request's
 * URL and the bridge's answer read as the uploaded file or its error.
 */
import type { Attachment, ErrorBody, ErrorCode } from '@switchboard/protocol';
import { isErrorCode } from '@switchboard/protocol';
import { SwitchboardError } from './errors.js';

export interface UploadOptions {
  /** The file's name as the bridge keeps it (it cleans it); default the `File`'s name, else `file`. */
  name?: string;
  /** Bytes sent so far and the total, as the upload goes (browsers only). */
  onProgress?: (sent: number, total: number) => void;
  /** Aborts the upload; the promise then rejects with the signal's reason (an `AbortError`). */
  signal?: AbortSignal;
}

export interface UploadRequest {
  /** The bridge's base URL (the client's `url`). */
  url: string;
  /** The session token or API key for `Authorization: Bearer`. */
  bearer: string;
  conversationId: string;
  file: Blob;
  options: UploadOptions;
}

/** The code a bare HTTP status means when the answer carries no contract error (a proxy's 413, ...). */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/** The endpoint with the conversation and the file's name as query parameters. */
export function uploadUrl(url: string, conversationId: string, name: string): string {
  const query = new URLSearchParams({ conversationId, name });
  return `${url.replace(/\/+$/, '')}/v1/files?${query.toString()}`;
}

/** The name an upload goes by: the one given, the `File`'s own, or `file`. */
export function fileName(file: Blob, name?: string): string {
  return name || (file as Partial<File>).name || 'file';
}

/**
 * The bridge's answer as the uploaded file, or the SwitchboardError it stands for: the contract's
 * `{ error: { code, message } }` when there is one, else the status's code.
 */
export function uploadOutcome(status: number, body: string): Attachment {
  let parsed: { ok?: boolean; file?: Attachment; error?: Partial<ErrorBody> } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300 && parsed?.file) return parsed.file;
  const error = parsed?.error;
  if (error && isErrorCode(error.code) && typeof error.message === 'string') throw new SwitchboardError({ code: error.code, message: error.message });
  const code = STATUS_CODES[status] ?? (status >= 500 || status === 0 ? 'unavailable' : 'internal');
  throw new SwitchboardError({ code, message: status === 0 ? 'the upload did not reach the bridge' : `the bridge answered the upload with HTTP ${status}` });
}

/** The signal's reason when it aborted, else (an abort from elsewhere: the browser, a page leaving) an `AbortError`. */
export function aborted(signal?: AbortSignal): Error {
  return signal?.aborted && signal.reason instanceof Error ? signal.reason : new DOMException('The upload was aborted', 'AbortError');
}
