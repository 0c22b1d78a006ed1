/**
 * `POST /v1/files` through fetch, where there is no XMLHttpRequest (Node): no upload progress, the
 * whole file reported once sent. The chat chunk of /widget.js, which runs in pages only, carries a
 * stub in its place (rollup.config.mjs).
 */
import type { Attachment } from '@switchboard/protocol';
import { SwitchboardError } from './errors.js';
import { type UploadRequest, aborted, fileName, uploadOutcome, uploadUrl } from './upload-request.js';

export async function uploadWithFetch({ url, bearer, conversationId, file, options }: UploadRequest): Promise<Attachment> {
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
