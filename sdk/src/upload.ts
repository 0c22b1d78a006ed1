/**
 * `POST /v1/files` (docs/protocol.md, "Files"): one file's bytes into a conversation, with the
 * party's session token (or an integration's API key). In browsers it goes through XMLHttpRequest,
 * the one request API that reports upload progress; elsewhere (Node) through fetch.
 */
import type { Attachment } from '@switchboard/protocol';
import { SwitchboardError } from './errors.js';
import { uploadWithFetch } from './upload-fetch.js';
import { type UploadRequest, aborted, fileName, uploadOutcome, uploadUrl } from './upload-request.js';

export { type UploadOptions, type UploadRequest, fileName, uploadOutcome, uploadUrl } from './upload-request.js';

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
