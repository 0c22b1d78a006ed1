// Uploads on their own: the request the bridge gets (URL, bearer, bytes), progress, and the
// bridge's answers mapped to SwitchboardError, through XMLHttpRequest (a stand-in, as browsers have
// it) and through fetch (Node, against a local HTTP server).
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Attachment } from '@switchboard/protocol';
import { SwitchboardError } from '../../src/errors.js';
import { fileName, upload, uploadOutcome, uploadUrl } from '../../src/upload.js';

const attachment: Attachment = { id: 'f_1', name: 'cat.png', type: 'image/png', size: 4, sha256: 'ab', width: 1, height: 1 };

/** What a fake XMLHttpRequest was asked, and how the test makes it answer. */
interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  xhr: FakeXhr;
}

const sent: Sent[] = [];

class FakeXhr {
  status = 0;
  responseText = '';
  upload: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  private request: Partial<Sent> = { headers: {} };

  open(method: string, url: string): void {
    Object.assign(this.request, { method, url });
  }

  setRequestHeader(name: string, value: string): void {
    this.request.headers![name] = value;
  }

  send(body: unknown): void {
    sent.push({ ...(this.request as Sent), body, xhr: this });
  }

  abort(): void {
    this.onabort?.();
  }

  answer(status: number, body: unknown): void {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.onload?.();
  }
}

/** Runs `work` with the fake as the global XMLHttpRequest. */
async function withXhr<T>(work: () => Promise<T>): Promise<T> {
  const global = globalThis as { XMLHttpRequest?: unknown };
  const previous = global.XMLHttpRequest;
  global.XMLHttpRequest = FakeXhr;
  try {
    return await work();
  } finally {
    global.XMLHttpRequest = previous;
  }
}

const rejectsWith = (promise: Promise<unknown>, code: string, message: RegExp) =>
  assert.rejects(promise, (error: unknown) => error instanceof SwitchboardError && error.code === code && message.test(error.message));

describe('SDK uploads: the request and the answer', () => {
  it('posts to /v1/files with the conversation and the name in the query', () => {
    assert.equal(
      uploadUrl('https://chat.example.com/', 'c_1', 'my file é.png'),
      'https://chat.example.com/v1/files?conversationId=c_1&name=my+file+%C3%A9.png',
    );
  });

  it("names a file by the name given, else the File's own, else `file`", () => {
    const blob = new Blob(['x']);
    assert.equal(fileName(blob), 'file');
    assert.equal(fileName(new File(['x'], 'a.txt')), 'a.txt');
    assert.equal(fileName(new File(['x'], 'a.txt'), 'b.txt'), 'b.txt');
  });

  it("maps the bridge's answers: the file on 201, the contract's error, else the status's code", () => {
    assert.deepEqual(uploadOutcome(201, JSON.stringify({ ok: true, file: attachment })), attachment);
    const refused = { error: { code: 'too_large', message: 'the file is larger than 1 MiB' } };
    assert.throws(
      () => uploadOutcome(413, JSON.stringify(refused)),
      (error: unknown) => error instanceof SwitchboardError && error.code === 'too_large' && error.message === 'the file is larger than 1 MiB',
    );
    assert.throws(
      () => uploadOutcome(413, '<html>nginx</html>'),
      (error: SwitchboardError) => error.code === 'too_large',
    );
    assert.throws(
      () => uploadOutcome(502, ''),
      (error: SwitchboardError) => error.code === 'unavailable' && error.retryable,
    );
    assert.throws(
      () => uploadOutcome(200, '{}'),
      (error: SwitchboardError) => error.code === 'internal',
    );
  });
});

describe('SDK uploads through XMLHttpRequest', () => {
  it('sends the bytes with the bearer, reports progress and resolves with the file', async () => {
    const file = new File(['abcd'], 'cat.png', { type: 'image/png' });
    const progress: [number, number][] = [];
    const done = withXhr(() =>
      upload({ url: 'http://bridge', bearer: 'tok', conversationId: 'c_1', file, options: { onProgress: (s, t) => progress.push([s, t]) } }),
    );
    const request = sent.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, 'http://bridge/v1/files?conversationId=c_1&name=cat.png');
    assert.equal(request.headers.Authorization, 'Bearer tok');
    assert.equal(request.body, file);
    request.xhr.upload.onprogress?.({ loaded: 2, total: 4, lengthComputable: true });
    request.xhr.upload.onprogress?.({ loaded: 4, total: 0, lengthComputable: false });
    request.xhr.answer(201, { ok: true, file: attachment });
    assert.deepEqual(await done, attachment);
    assert.deepEqual(progress, [
      [2, 4],
      [4, 4],
    ]);
  });

  it("rejects with the bridge's code and message, and with unavailable when the bridge is not reached", async () => {
    const refused = withXhr(() => upload({ url: 'http://bridge', bearer: 't', conversationId: 'c', file: new Blob(['x']), options: {} }));
    sent.at(-1)!.xhr.answer(400, { error: { code: 'bad_request', message: 'type: text/html is not accepted here' } });
    await rejectsWith(refused, 'bad_request', /^type: text\/html is not accepted here$/);
    const unreached = withXhr(() => upload({ url: 'http://bridge', bearer: 't', conversationId: 'c', file: new Blob(['x']), options: {} }));
    sent.at(-1)!.xhr.onerror?.();
    await rejectsWith(unreached, 'unavailable', /did not reach/);
  });

  it('aborts with the signal, before or during the upload', async () => {
    const controller = new AbortController();
    const during = withXhr(() => upload({ url: 'http://b', bearer: 't', conversationId: 'c', file: new Blob(['x']), options: { signal: controller.signal } }));
    const count = sent.length;
    controller.abort();
    await assert.rejects(during, { name: 'AbortError' });
    await assert.rejects(
      withXhr(() => upload({ url: 'http://b', bearer: 't', conversationId: 'c', file: new Blob(['x']), options: { signal: controller.signal } })),
      { name: 'AbortError' },
    );
    assert.equal(sent.length, count, 'nothing sent once aborted');
  });

  it('rejects with an AbortError when the request is aborted from elsewhere, with or without a signal', async () => {
    const withoutSignal = withXhr(() => upload({ url: 'http://b', bearer: 't', conversationId: 'c', file: new Blob(['x']), options: {} }));
    sent.at(-1)!.xhr.abort();
    await assert.rejects(withoutSignal, { name: 'AbortError' });
    const withSignal = withXhr(() =>
      upload({ url: 'http://b', bearer: 't', conversationId: 'c', file: new Blob(['x']), options: { signal: new AbortController().signal } }),
    );
    sent.at(-1)!.xhr.abort();
    await assert.rejects(withSignal, { name: 'AbortError' });
  });
});

describe('SDK uploads through fetch (Node)', () => {
  let server: ReturnType<typeof createServer>;
  let url: string;
  const received: { url: string; authorization: string; body: string }[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        received.push({ url: req.url ?? '', authorization: req.headers.authorization ?? '', body });
        res.setHeader('Content-Type', 'application/json');
        if (body === 'too big') {
          res.statusCode = 413;
          res.end(JSON.stringify({ error: { code: 'too_large', message: 'files on this site are at most 1 KiB' } }));
        } else {
          res.statusCode = 201;
          res.end(JSON.stringify({ ok: true, file: { ...attachment, size: body.length } }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('uploads the bytes and maps refusals', async () => {
    const progress: number[] = [];
    const file = await upload({
      url,
      bearer: 'key',
      conversationId: 'c_9',
      file: new Blob(['hello']),
      options: { name: 'hi.txt', onProgress: (s) => progress.push(s) },
    });
    assert.equal(file.size, 5);
    assert.deepEqual(received.at(-1), { url: '/v1/files?conversationId=c_9&name=hi.txt', authorization: 'Bearer key', body: 'hello' });
    assert.deepEqual(progress, [5]);
    await rejectsWith(upload({ url, bearer: 'key', conversationId: 'c_9', file: new Blob(['too big']), options: {} }), 'too_large', /at most 1 KiB/);
    await rejectsWith(
      upload({ url: 'http://127.0.0.1:1', bearer: 'key', conversationId: 'c', file: new Blob(['x']), options: {} }),
      'unavailable',
      /did not reach/,
    );
  });
});
