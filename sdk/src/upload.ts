/**
 * `POST /v1/files` (docs/protocol.md, "Files"): one file's bytes into a conversation, with the
 * party's session token (or an integration's API key). In browsers it goes through XMLHttpRequest,
 * the one request API that reports upload progress; elsewhere (Node) through fetch.
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
function aborted(signal?: AbortSignal): Error {
  return signal?.aborted && signal.reason instanceof Error ? signal.reason : new DOMException('The upload was aborted', 'AbortError');
}

/** Uploads with XMLHttpRequest where there is one (progress events), else with fetch. */
export function upload(request: UploadRequest): Promise<Attachment> {
  return typeof XMLHttpRequest === 'function' ? uploadWithXhr(request) : uploadWithFetch(request);
}

function uploadWithXhr({ url, bearer, conversationId, file, options }: UploadRequest): Promise<Attachment> {
  const { signal, onProgress } = options;
  return new Promise<Attachment>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    const done = (settle: () => void) => {
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    xhr.open('POST', uploadUrl(url, conversationId, fileName(file, options.name)));
    xhr.setRequestHeader('Authorization', `Bearer ${bearer}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () =>
      done(() => {
        try {
          resolve(uploadOutcome(xhr.status, xhr.responseText));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    xhr.onerror = () => done(() => reject(new SwitchboardError({ code: 'unavailable', message: 'the upload did not reach the bridge' })));
    xhr.onabort = () => done(() => reject(aborted(signal)));
    signal?.addEventListener('abort', onAbort);
    xhr.send(file);
  });
}

async function uploadWithFetch({ url, bearer, conversationId, file, options }: UploadRequest): Promise<Attachment> {
  let response: Response;
  try {
    response = await fetch(uploadUrl(url, conversationId, fileName(file, options.name)), {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/octet-stream' },
      body: file,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw aborted(options.signal);
    throw new SwitchboardError({ code: 'unavailable', message: `the upload did not reach the bridge (${(error as Error).message})` });
  }
  const outcome = uploadOutcome(response.status, await response.text());
  options.onProgress?.(file.size, file.size);
  return outcome;
}
