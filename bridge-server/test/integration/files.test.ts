// Files of messages on a real bridge and SQLite file (docs/protocol.md, "Files"): uploads over
// HTTP with the party's session, sending them with a message, reading them through signed links
// and sessions, with the headers that keep their content from running; the limits and refusals;
// who may read what; erasure and retention deleting the bytes; and uploads across a killed bridge.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Attachment, ErrorBody, Message } from '@switchboard/protocol';
import sharp from 'sharp';
import { ORIGIN, type TestBridge, type V1Socket, type WebVisitor, agentAuth, baseConfig, call, connect, openVisitor, startBridge, until } from '../helpers.js';

interface UploadAnswer {
  ok?: boolean;
  file: Attachment;
  error: ErrorBody;
}

/** `POST /v1/files` as a client does it: the bytes as the body, the session's token as the bearer. */
async function upload(
  t: { url: string },
  token: string,
  conversationId: string,
  name: string,
  content: Buffer | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: UploadAnswer; headers: Headers }> {
  const query = new URLSearchParams({ conversationId, name });
  const response = await fetch(`${t.url}/v1/files?${query.toString()}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', ...headers },
    body: content,
  });
  return { status: response.status, body: (await response.json()) as UploadAnswer, headers: response.headers };
}

async function uploaded(t: { url: string }, token: string, conversationId: string, name: string, content: Buffer | string): Promise<Attachment> {
  const answer = await upload(t, token, conversationId, name, content);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.file;
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .png()
    .toBuffer();

describe('files', () => {
  let t: TestBridge;
  let visitor: WebVisitor;
  let agent: V1Socket;
  let agentMessages: Message[];

  before(async () => {
    t = await startBridge({
      sites: [
        ...(baseConfig('.').sites as Record<string, unknown>[]).map((site, i) =>
          i === 0 ? { ...site, files: { maxFileBytes: 64 * 1024, types: ['image/*', 'text/*', 'application/pdf'] } } : site,
        ),
      ],
    });
    agent = (await connect(t, agentAuth('alice'))).socket;
    agentMessages = [];
    agent.on('message', (message: Message, ack?: () => void) => {
      agentMessages.push(message);
      ack?.();
    });
    visitor = await openVisitor(t);
  });
  after(() => t.stop());

  it('a visitor uploads a PNG and sends it; the agent gets it live and in history, and its link answers the exact bytes', async () => {
    const image = await png(640, 480);
    const answer = await upload(t, visitor.session.token, visitor.conversationId, '../../holiday photo.png', image, { origin: ORIGIN });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.headers.get('access-control-allow-origin'), ORIGIN);
    const file = answer.body.file;
    assert.match(file.id, /^f_/);
    assert.deepEqual(
      { ...file, id: 'f' },
      {
        id: 'f',
        name: 'holiday photo.png',
        type: 'image/png',
        size: image.length,
        sha256: (await import('node:crypto')).createHash('sha256').update(image).digest('hex'),
        width: 640,
        height: 480,
      },
    );

    const sent = await call(visitor.socket, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'with-photo',
      text: '',
      attachments: [file.id],
    });
    assert.ok(sent.ok, JSON.stringify(sent));
    assert.deepEqual(sent.message.attachments, [file]);
    await until(() => agentMessages.some((m) => m.id === sent.message.id), 5000, 'the agent gets the message');
    assert.deepEqual(agentMessages.find((m) => m.id === sent.message.id)!.attachments, [file]);
    const history = await call(agent, 'history:get', { conversationId: visitor.conversationId });
    assert.deepEqual(history.messages.find((m) => m.id === sent.message.id)?.attachments, [file]);

    const link = await call(agent, 'file:link', { fileId: file.id });
    assert.ok(link.ok, JSON.stringify(link));
    assert.ok(link.url.startsWith(`${t.url}/v1/files/${file.id}/`), link.url);
    const expiresIn = Date.parse(link.expiresAt) - Date.now();
    assert.ok(expiresIn > 3500_000 && expiresIn <= 3600_000, link.expiresAt);
    const response = await fetch(link.url);
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), image);
    assert.deepEqual(
      {
        type: response.headers.get('content-type'),
        length: response.headers.get('content-length'),
        nosniff: response.headers.get('x-content-type-options'),
        csp: response.headers.get('content-security-policy'),
        corp: response.headers.get('cross-origin-resource-policy'),
        referrer: response.headers.get('referrer-policy'),
        etag: response.headers.get('etag'),
        disposition: response.headers.get('content-disposition'),
      },
      {
        type: 'image/png',
        length: String(image.length),
        nosniff: 'nosniff',
        csp: "sandbox; default-src 'none'",
        corp: 'cross-origin',
        referrer: 'no-referrer',
        etag: `"${file.sha256}"`,
        disposition: `inline; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`,
      },
    );
    assert.match(response.headers.get('cache-control') ?? '', /^private, max-age=\d+$/);

    // With the session instead of a link.
    const direct = await fetch(`${t.url}/v1/files/${file.id}`, { headers: { authorization: `Bearer ${visitor.session.token}` } });
    assert.equal(direct.status, 200);
    assert.deepEqual(Buffer.from(await direct.arrayBuffer()), image);
  });

  it('makes a 320-pixel WebP thumbnail of an image, made again when its bytes were lost', async () => {
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'wide.png', await png(1000, 250));
    const link = await call(visitor.socket, 'file:link', { fileId: file.id, variant: 'thumbnail' });
    assert.ok(link.ok, JSON.stringify(link));
    const fetchThumbnail = async () => {
      const response = await fetch(link.url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/webp');
      assert.match(response.headers.get('content-disposition') ?? '', /^inline;/);
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['webp', 320, 80]);
    };
    await fetchThumbnail();
    const folder = t.bridge.config.files.folder!;
    const thumbnailPath = join(folder, file.sha256.slice(0, 2), file.sha256.slice(2, 4), `${file.sha256}.thumb`);
    const { rmSync } = await import('node:fs');
    rmSync(thumbnailPath);
    await fetchThumbnail();
    assert.ok(existsSync(thumbnailPath), 'the thumbnail is kept again');
    // Not an image: no thumbnail.
    const text = await uploaded(t, visitor.session.token, visitor.conversationId, 'notes.txt', 'just some notes');
    const none = await call(visitor.socket, 'file:link', { fileId: text.id, variant: 'thumbnail' });
    assert.equal(none.error?.code, 'not_found');
  });
});
