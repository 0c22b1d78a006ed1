// Files of messages on a real bridge and SQLite file (docs/protocol.md, "Files"): uploads over
// HTTP with the party's session, sending them with a message, reading them through signed links
// and sessions, with the headers that keep their content from running; the limits and refusals;
// who may read what; erasure and retention deleting the bytes; and uploads across a killed bridge.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Attachment, ErrorBody, Message } from '@switchboard/protocol';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { crash, exited, runCli, writeCliConfig } from '../cli-process.js';
import { type LoopNetwork, loopDefinition } from '../loop-network.js';
import { ManualClock } from '../manual-clock.js';
import {
  API_KEY,
  OTHER_SECRET,
  OTHER_SITE,
  ORIGIN,
  SITE,
  type TestBridge,
  type V1Socket,
  type WebVisitor,
  agentAuth,
  baseConfig,
  call,
  collect,
  connect,
  connectTo,
  openVisitor,
  startBridge,
  until,
} from '../helpers.js';

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
    body: typeof content === 'string' ? content : new Uint8Array(content),
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

const ADMIN_KEY = 'admin-key-of-the-test-site-0123456789';
const TYPES = ['image/*', 'text/*', 'application/pdf'];
/** A site whose files may take 100 bytes together. */
const QUOTA_SITE = 'small-site';
/** A site whose quota only uploads made at once test. */
const RACE_SITE = 'race-site';

/** A GET of a file, as a browser or a network's client opens it. */
async function get(url: string, token?: string): Promise<{ status: number; bytes: Buffer; headers: Headers; error?: ErrorBody }> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const bytes = Buffer.from(await response.arrayBuffer());
  const error = response.ok ? undefined : (JSON.parse(bytes.toString()) as { error: ErrorBody }).error;
  return { status: response.status, bytes, headers: response.headers, ...(error ? { error } : {}) };
}

/** The SQLite file's rows of files. */
function fileRows(dbPath: string): { id: string }[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare<[], { id: string }>('SELECT id FROM files').all();
  } finally {
    db.close();
  }
}

/** Where the local file store keeps a content. */
const blobPath = (folder: string, sha256: string) => join(folder, sha256.slice(0, 2), sha256.slice(2, 4), sha256);

/** The files under a folder, temporary ones included. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}

describe('files', () => {
  let t: TestBridge;
  let visitor: WebVisitor;
  let agent: V1Socket;
  let agentMessages: Message[];
  let loop: LoopNetwork;

  before(async () => {
    const { definition, network } = loopDefinition();
    const [site, other] = baseConfig('.').sites as Record<string, unknown>[];
    t = await startBridge(
      {
        sites: [
          { ...site, adminKeys: [ADMIN_KEY], files: { maxFileBytes: 64 * 1024, types: TYPES } },
          { ...other, files: false },
          { key: QUOTA_SITE, files: { quotaBytes: 100 } },
          { key: RACE_SITE, files: { quotaBytes: 100 } },
        ],
        teams: [
          ...(baseConfig('.').teams as object[]),
          { id: 'small', members: ['web:a_sam'], sites: [QUOTA_SITE] },
          { id: 'race', members: ['web:a_sam'], sites: [RACE_SITE] },
          { id: 'fresh', members: ['web:a_alice'], sites: [SITE], afterClose: 'new' },
        ],
        files: { maxMessageBytes: 100_000, uploadsPerMinute: 20 },
        networks: [{ type: 'web', presenceGraceMs: 50 }, { type: 'loop' }],
      },
      { networkDefinitions: { loop: definition } },
    );
    loop = network();
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
        sha256: createHash('sha256').update(image).digest('hex'),
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
    assert.match(response.headers.get('cache-control') ?? '', /^private, max-age=\d+, no-transform$/);
    // A cache that holds it asks again with If-None-Match: its tag, weak or in a list, or `*`, is 304 (RFC 9110 section 13.1.2).
    const etag = `"${file.sha256}"`;
    for (const [asked, status] of [
      [etag, 304],
      [`W/${etag}`, 304],
      [`"other", ${etag}`, 304],
      ['*', 304],
      ['"other"', 200],
    ] as const) {
      const revalidated = await fetch(link.url, { headers: { 'if-none-match': asked } });
      assert.equal(revalidated.status, status, asked);
      await revalidated.arrayBuffer();
    }

    // With the session instead of a link.
    const direct = await fetch(`${t.url}/v1/files/${file.id}`, { headers: { authorization: `Bearer ${visitor.session.token}` } });
    assert.equal(direct.status, 200);
    assert.deepEqual(Buffer.from(await direct.arrayBuffer()), image);
  });

  it("lists a message's files in /history, each with a link made then for the agent asking (one seen days ago has expired)", async () => {
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'receipt.png', await png(20, 10));
    await call(visitor.socket, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'history-file',
      text: 'My receipt',
      attachments: [file.id],
    });
    const ref = visitor.conversationId.slice(-5).toLowerCase();
    const { answer } = await call(agent, 'agent:command', { text: `/history ${ref} 1` });
    const shown = new RegExp(`: My receipt \\(file: receipt\\.png (${t.url}/v1/files/${file.id}/\\S+)\\)$`).exec(answer);
    assert.ok(shown, answer);
    const response = await fetch(shown[1]!);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  });

  it('answers a file as stored, never compressed, however the path is cased', async () => {
    const text = 'the same line again and again, which would compress well\n'.repeat(200);
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'notes.txt', text);
    for (const path of [`/v1/files/${file.id}`, `/V1/FILES/${file.id}`]) {
      const response = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${visitor.session.token}`, 'accept-encoding': 'gzip, br' } });
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-encoding'), null, path);
      assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(text)), path);
      assert.equal(await response.text(), text, path);
    }
  });

  it('answers byte ranges, so a player can seek and a download resume (RFC 9110 section 14)', async () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join('');
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'log.txt', text);
    const link = await call(visitor.socket, 'file:link', { fileId: file.id });
    assert.ok(link.ok, JSON.stringify(link));
    const etag = `"${file.sha256}"`;
    const size = Buffer.byteLength(text);
    const ask = async (url: string, headers: Record<string, string>, token?: string) => {
      const response = await fetch(url, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
      return {
        status: response.status,
        range: response.headers.get('content-range'),
        length: response.headers.get('content-length'),
        accepts: response.headers.get('accept-ranges'),
        body: await response.text(),
      };
    };
    for (const [url, token] of [
      [`${t.url}/v1/files/${file.id}`, visitor.session.token],
      [link.url, undefined],
    ] as const) {
      const slice = (start: number, end: number) => ({
        status: 206,
        range: `bytes ${start}-${end}/${size}`,
        length: String(end - start + 1),
        accepts: 'bytes',
        body: text.slice(start, end + 1),
      });
      const whole = { status: 200, range: null, length: String(size), accepts: 'bytes', body: text };
      assert.deepEqual(await ask(url, { range: 'bytes=10-19' }, token), slice(10, 19), url);
      assert.deepEqual(await ask(url, { range: 'bytes=3000-' }, token), slice(3000, size - 1), 'from a byte to the end (a resumed download)');
      assert.deepEqual(await ask(url, { range: 'bytes=-5' }, token), slice(size - 5, size - 1), 'the last bytes');
      assert.deepEqual(await ask(url, { range: `bytes=0-${size + 100}` }, token), slice(0, size - 1), 'an end past the file ends at its last byte');
      assert.deepEqual(await ask(url, { range: 'bytes=10-19', 'if-range': etag }, token), slice(10, 19), 'If-Range with the current tag');
      assert.deepEqual(await ask(url, { range: 'bytes=10-19', 'if-range': '"older"' }, token), whole, 'If-Range with another tag: the whole file');
      assert.deepEqual(await ask(url, { range: 'bytes=0-1, 100-101' }, token), whole, 'several ranges: the whole file');
      assert.deepEqual(await ask(url, { range: 'lines=1-2' }, token), whole, 'not bytes: the whole file');
      assert.deepEqual(await ask(url, { range: `bytes=-${size + 50}` }, token), slice(0, size - 1), 'a suffix longer than the file: all of it');
      assert.deepEqual(await ask(url, { range: `items=${size + 1}-${size + 2}` }, token), whole, 'another unit, however far: the whole file');
      const head = await fetch(url, { method: 'HEAD', headers: { range: 'bytes=10-19', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
      assert.deepEqual(
        [head.status, head.headers.get('content-length'), head.headers.get('content-range')],
        [200, String(size), null],
        'a HEAD: as the whole file',
      );
      const past = await ask(url, { range: `bytes=${size}-` }, token);
      assert.deepEqual(
        { status: past.status, range: past.range, code: (JSON.parse(past.body) as { error: ErrorBody }).error.code },
        { status: 416, range: `bytes */${size}`, code: 'bad_request' },
      );
    }
    // A page's script may ask a signed link for a range with If-Range (a preflight), and read the range it got.
    const preflight = await fetch(link.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range, if-range' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Range, If-Range/);
    const ranged = await fetch(link.url, { headers: { origin: 'https://elsewhere.example', range: 'bytes=0-3' } });
    assert.match(ranged.headers.get('access-control-expose-headers') ?? '', /Content-Range/);
    await ranged.arrayBuffer();
  });

  it('gives links under the address the client reached the bridge at, when no server.publicUrl is set', async (context) => {
    const port = new URL(t.url).port;
    const { socket } = await connectTo(context, `http://localhost:${port}`, agentAuth('alice'));
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'where.txt', 'reached at localhost');
    const link = await call(socket, 'file:link', { fileId: file.id });
    assert.ok(link.url.startsWith(`http://localhost:${port}/v1/files/`), link.url);
    assert.equal((await get(link.url)).status, 200);
  });

  it('gives links under the scheme and host a proxy server.trustProxy trusts forwards, and only then', async (context) => {
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'chat.example.com' };
    const linkVia = async (bridge: TestBridge) => {
      const sender = await openVisitor(bridge);
      const file = await uploaded(bridge, sender.session.token, sender.conversationId, 'proxied.txt', 'behind a proxy');
      const { socket } = await connect(bridge, { siteKey: SITE, token: sender.session.token }, { headers: forwarded });
      return { file, link: await call(socket, 'file:link', { fileId: file.id }) };
    };
    // Behind a proxy that ends TLS and that the bridge trusts: https links under the proxy's host.
    const proxied = await startBridge({ server: { host: '127.0.0.1', port: 0, drainSeconds: 2, trustProxy: 'loopback' } });
    context.after(() => proxied.stop());
    const behind = await linkVia(proxied);
    assert.ok(behind.link.url.startsWith(`https://chat.example.com/v1/files/${behind.file.id}/`), behind.link.url);
    // Without trustProxy the same headers are anyone's to send: the link stays under the bridge's own address.
    const direct = await linkVia(t);
    assert.ok(direct.link.url.startsWith(`${t.url}/v1/files/${direct.file.id}/`), direct.link.url);
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
    rmSync(thumbnailPath);
    await fetchThumbnail();
    assert.ok(existsSync(thumbnailPath), 'the thumbnail is kept again');
    // Not an image: no thumbnail.
    const text = await uploaded(t, visitor.session.token, visitor.conversationId, 'notes.txt', 'just some notes');
    const none = await call(visitor.socket, 'file:link', { fileId: text.id, variant: 'thumbnail' });
    assert.equal(none.error?.code, 'not_found');
  });

  it('takes an image it cannot read as a file, without dimensions or thumbnail', async () => {
    const broken = Buffer.concat([(await png(20, 20)).subarray(0, 40), Buffer.alloc(100, 1)]);
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'broken.png', broken);
    assert.deepEqual([file.type, file.size, file.width, file.height], ['image/png', broken.length, undefined, undefined]);
    assert.equal((await call(visitor.socket, 'file:link', { fileId: file.id, variant: 'thumbnail' })).error?.code, 'not_found');
    assert.deepEqual((await get((await call(visitor.socket, 'file:link', { fileId: file.id })).url)).bytes, broken);
  });

  it('measures an image only when its pixels read too: one cut short after its header is a plain file', async () => {
    const image = await png(40, 30);
    const cut = image.subarray(0, image.length - 20);
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'cut.png', cut);
    assert.deepEqual([file.type, file.width, file.height], ['image/png', undefined, undefined]);
    assert.equal((await call(visitor.socket, 'file:link', { fileId: file.id, variant: 'thumbnail' })).error?.code, 'not_found');
  });

  it('gives a name that claims another type the extension of the type found, so the download never runs', async () => {
    const text = await uploaded(t, visitor.session.token, visitor.conversationId, 'Invoice.pdf.hta', 'plain words, which mshta would run all the same');
    assert.deepEqual([text.type, text.name], ['text/plain', 'Invoice.pdf.hta.txt']);
    const image = await uploaded(t, visitor.session.token, visitor.conversationId, 'photo.JPG', await png(4, 4));
    assert.deepEqual([image.type, image.name], ['image/png', 'photo.JPG.png']);
    const link = await call(visitor.socket, 'file:link', { fileId: text.id });
    assert.match((await get(link.url)).headers.get('content-disposition')!, /^attachment; filename="Invoice\.pdf\.hta\.txt"/);
  });

  it("takes legacy and UTF-16 text for text, served in its own charset: a spreadsheet's CSV export keeps its name", async (context) => {
    const csv = Buffer.from('name;city\r\nJosé;Málaga\r\nFrançois;Zürich\r\n', 'latin1');
    const wide = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße aus Köln\r\n', 'utf16le')]);
    const customer = await openVisitor(t);
    const legacy = await uploaded(t, customer.session.token, customer.conversationId, 'export.csv', csv);
    const unicode = await uploaded(t, customer.session.token, customer.conversationId, 'notes.txt', wide);
    assert.deepEqual([legacy.type, legacy.name, unicode.type, unicode.name], ['text/plain', 'export.csv', 'text/plain', 'notes.txt']);
    for (const [file, charset, bytes] of [
      [legacy, 'windows-1252', csv],
      [unicode, 'utf-16le', wide],
    ] as const) {
      const link = await call(customer.socket, 'file:link', { fileId: file.id });
      const answer = await get(link.url);
      assert.equal(answer.headers.get('content-type'), `text/plain; charset=${charset}`);
      assert.deepEqual(answer.bytes, bytes);
      const head = await fetch(link.url, { method: 'HEAD' });
      assert.equal(head.headers.get('content-type'), `text/plain; charset=${charset}`);
      // A 304 names no type: a cache would take it in place of the one it holds, charset and all.
      const revalidated = await fetch(link.url, { headers: { 'if-none-match': answer.headers.get('etag')! } });
      assert.deepEqual([revalidated.status, revalidated.headers.get('content-type')], [304, null]);
    }
    customer.socket.disconnect();

    // Its first 64 KiB all ASCII, the rest Latin-1: the charset is of the whole file (a bridge with the default size limit).
    const roomy = await startBridge({});
    context.after(() => roomy.stop());
    const sender = await openVisitor(roomy);
    const late = Buffer.concat([Buffer.from('x;a plain row\r\n'.repeat(5000)), Buffer.from('y;José\r\n', 'latin1')]);
    assert.ok(late.length > 64 * 1024);
    const lateFile = await uploaded(roomy, sender.session.token, sender.conversationId, 'late.csv', late);
    assert.equal(lateFile.type, 'text/plain');
    const link = await call(sender.socket, 'file:link', { fileId: lateFile.id });
    assert.equal((await get(link.url)).headers.get('content-type'), 'text/plain; charset=windows-1252');
  });

  it('takes the files along when a message opens a new conversation in place of the closed one they were uploaded to', async () => {
    const { socket, session } = await connect(t, { siteKey: SITE });
    const opened = await call(socket, 'conversation:open', { team: 'fresh' });
    assert.ok(opened.ok, JSON.stringify(opened));
    assert.ok((await call(socket, 'conversation:close', { conversationId: opened.conversation.id })).ok);
    const file = await uploaded(t, session.token, opened.conversation.id, 'after.txt', 'written after the close');
    const sent = await call(socket, 'message:send', { conversationId: opened.conversation.id, clientId: 'after-close', text: '', attachments: [file.id] });
    assert.ok(sent.ok, JSON.stringify(sent));
    assert.notEqual(sent.message.conversationId, opened.conversation.id, 'a new conversation');
    assert.deepEqual(
      sent.message.attachments?.map((each: Attachment) => each.id),
      [file.id],
    );
    assert.ok((await call(socket, 'file:link', { fileId: file.id })).ok);
    socket.disconnect();
  });

  it('changes nothing of the conversation for a message refused for its files: a closed one stays closed, an integration does not join it', async () => {
    const { socket } = await connect(t, { siteKey: SITE });
    const opened = await call(socket, 'conversation:open', { team: 'fresh' });
    assert.ok(opened.ok, JSON.stringify(opened));
    const id = opened.conversation.id;
    assert.ok((await call(socket, 'conversation:close', { conversationId: id })).ok);
    const changes = collect(socket, 'conversation');
    const refused = await call(socket, 'message:send', { conversationId: id, clientId: 'no-file', text: '', attachments: ['f_nope'] });
    assert.equal(refused.error?.code, 'bad_request');
    assert.equal(refused.error.message, 'attachments: file "f_nope" does not exist (upload it first with POST /v1/files)');
    const response = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: id, text: 'x', attachments: ['f_nope'] }),
    });
    assert.equal(response.status, 400);
    const listed = await call(socket, 'conversation:list', {});
    const after = listed.conversations.find((c: { id: string }) => c.id === id);
    assert.ok(after);
    assert.equal(after.state, 'closed');
    assert.deepEqual(after.participants, opened.conversation.participants);
    assert.deepEqual(changes, [], 'no conversation event: nothing changed');
    socket.disconnect();
  });

  it('refuses attachments with to in POST /v1/messages: files are uploaded into a conversation first', async () => {
    const response = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'web:a_alice', text: 'x', attachments: ['f_1'] }),
    });
    const body = (await response.json()) as { error: ErrorBody };
    assert.deepEqual([response.status, body.error.code], [400, 'bad_request']);
    assert.match(body.error.message, /^attachments: go with conversationId/);
  });

  it('serves SVG and HTML, scripts and all, as attachments that run nothing', async () => {
    const svg = await uploaded(
      t,
      visitor.session.token,
      visitor.conversationId,
      'logo.svg',
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    const html = await uploaded(
      t,
      visitor.session.token,
      visitor.conversationId,
      'page.png',
      '<!doctype html><html><script>alert(document.cookie)</script></html>',
    );
    assert.equal(svg.type, 'image/svg+xml');
    assert.equal(html.type, 'text/html', 'the content decides, not the name');
    for (const [file, type] of [
      [svg, 'image/svg+xml'],
      [html, 'text/html; charset=utf-8'],
    ] as const) {
      const link = await call(agent, 'file:link', { fileId: file.id });
      const answer = await get(link.url);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('content-type'), type);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(answer.headers.get('content-security-policy'), "sandbox; default-src 'none'");
      assert.match(answer.headers.get('content-disposition') ?? '', new RegExp(`^attachment; filename="${file.name}"`));
    }
  });

  it('refuses a file over the limit with 413 too_large, and keeps nothing of it', async () => {
    const before = filesUnder(t.bridge.config.files.folder!).length;
    const answer = await upload(t, visitor.session.token, visitor.conversationId, 'big.txt', 'x'.repeat(64 * 1024 + 1));
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error.code, 'too_large');
    assert.match(answer.body.error.message, /larger than 65536 bytes/);
    assert.equal(filesUnder(t.bridge.config.files.folder!).length, before);
  });

  it('refuses a declared length over the limit before reading the body: with Expect: 100-continue, the body is never asked for', async () => {
    /**
     * A raw upload that declares `length`; with `expectContinue` it sends the body once asked, else
     * it streams bytes (a megabyte at a time) until the answer comes. Resolves with the answer.
     */
    const declared = (length: number, expectContinue: boolean, body?: Buffer, conversationId = visitor.conversationId) =>
      new Promise<{ status: number; continued: boolean; text: string }>((resolve, reject) => {
        const url = new URL(`${t.url}/v1/files?conversationId=${conversationId}&name=big.bin`);
        const headers: Record<string, string> = { authorization: `Bearer ${visitor.session.token}`, 'content-length': String(length) };
        if (expectContinue) headers.expect = '100-continue';
        const request = httpRequest(url, { method: 'POST', headers });
        let continued = false;
        request.on('continue', () => {
          continued = true;
          request.end(body);
        });
        let answered = false;
        const stream = () => {
          if (answered || request.destroyed) return;
          request.write(Buffer.alloc(1024 * 1024), () => setImmediate(stream));
        };
        if (!expectContinue) stream();
        request.on('response', (response) => {
          answered = true;
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode!, continued, text }));
        });
        request.on('error', reject);
        request.flushHeaders();
      });
    const tooLarge = { error: { code: 'too_large', message: 'file: larger than 65536 bytes, the most a file may have here' } };
    // A terabyte, declared and being sent: refused at once (the client reads the refusal, not a
    // reset), not after reading what the bridge takes.
    const huge = await declared(1e12, false);
    assert.deepEqual([huge.status, JSON.parse(huge.text)], [413, tooLarge]);
    const asked = await declared(70_000, true);
    assert.deepEqual([asked.status, asked.continued, JSON.parse(asked.text)], [413, false, tooLarge]);
    // Nor is a body asked for into a conversation the caller may not read.
    const elsewhere = await declared(10, true, Buffer.from('0123456789'), 'c_nosuchconversation');
    assert.deepEqual([elsewhere.status, elsewhere.continued], [404, false]);
    // Within the limit, the client that waits to be asked is asked, and the file is taken.
    const small = Buffer.from('a small file, sent once asked');
    const taken = await declared(small.length, true, small);
    assert.deepEqual([taken.status, taken.continued], [201, true]);
  });

  it('refuses a type the site does not take with 400 bad_request naming the type found and those taken', async () => {
    const program = Buffer.alloc(512);
    program.write('MZ');
    program.writeUInt32LE(128, 0x3c);
    program.write('PE\0\0', 128, 'latin1');
    const answer = await upload(t, visitor.session.token, visitor.conversationId, 'invoice.pdf', program);
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.error, {
      code: 'bad_request',
      message: `file: its content is application/x-msdownload, which this site does not take; it takes ${TYPES.join(', ')}`,
    });
  });

  it('refuses uploads without a session, a conversation or a name, or an empty body', async () => {
    const noToken = await fetch(`${t.url}/v1/files?conversationId=${visitor.conversationId}&name=a.txt`, { method: 'POST', body: 'x' });
    assert.equal(noToken.status, 401);
    assert.equal((await upload(t, 'not-a-token', visitor.conversationId, 'a.txt', 'x')).status, 401);
    const noName = await fetch(`${t.url}/v1/files?conversationId=${visitor.conversationId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${visitor.session.token}` },
      body: 'x',
    });
    assert.equal(noName.status, 400);
    const empty = await upload(t, visitor.session.token, visitor.conversationId, 'a.txt', '');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'bad_request');
    assert.equal((await upload(t, visitor.session.token, 'c_nope', 'a.txt', 'x')).status, 404);
  });

  it('lets only those who may read the conversation read its files', async () => {
    const file = await uploaded(t, visitor.session.token, visitor.conversationId, 'private.txt', 'for the agents only');
    // Another visitor of the site: 403, by session, by link and for an upload.
    const stranger = await openVisitor(t);
    assert.equal((await get(`${t.url}/v1/files/${file.id}`, stranger.session.token)).status, 403);
    assert.equal((await call(stranger.socket, 'file:link', { fileId: file.id })).error?.code, 'forbidden');
    assert.equal((await upload(t, stranger.session.token, visitor.conversationId, 'x.txt', 'x')).status, 403);
    // Another site's agent: 404.
    const outsider = await connect(t, agentAuth('zed', OTHER_SITE, OTHER_SECRET), { origin: 'http://other.test' });
    assert.equal((await call(outsider.socket, 'file:link', { fileId: file.id })).error?.code, 'not_found');
    const foreign = await get(`${t.url}/v1/files/${file.id}`, outsider.session.token);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.error?.code, 'not_found');
    // The site's agents and integrations may.
    assert.equal((await get(`${t.url}/v1/files/${file.id}`, API_KEY)).status, 200);
    // A changed link: 401.
    const link = new URL((await call(visitor.socket, 'file:link', { fileId: file.id })).url);
    const tampered = new URL(link);
    tampered.searchParams.set('p', stranger.self);
    assert.equal((await get(tampered.href)).status, 401);
    const resigned = new URL(link);
    resigned.searchParams.set('s', `${link.searchParams.get('s')!.slice(0, -2)}AA`);
    const refused = await get(resigned.href);
    assert.deepEqual([refused.status, refused.error?.code], [401, 'unauthorized']);
    assert.equal((await get(link.href)).status, 200);
  });

  it('refuses in message:send a file of another conversation, of another sender, or sent already', async () => {
    // An integration may write in any conversation of the site, but a file goes only where it was uploaded.
    const other = await openVisitor(t);
    const elsewhere = await uploaded(t, API_KEY, visitor.conversationId, 'a.txt', 'uploaded to the first conversation');
    const response = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: other.conversationId, text: 'x', attachments: [elsewhere.id] }),
    });
    const answer = (await response.json()) as { error: ErrorBody };
    assert.equal(response.status, 400);
    assert.equal(answer.error.code, 'bad_request');
    assert.match(answer.error.message, new RegExp(`^attachments: file "${elsewhere.id}"`));

    const agentToken = (await connect(t, agentAuth('bob'))).session.token;
    const agents = await uploaded(t, agentToken, visitor.conversationId, 'b.txt', "the agent's file");
    const notYours = await call(visitor.socket, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'not-yours',
      text: 'x',
      attachments: [agents.id],
    });
    assert.equal(notYours.error?.code, 'bad_request');
    assert.match(notYours.error.message, new RegExp(agents.id));

    const mine = await uploaded(t, visitor.session.token, visitor.conversationId, 'c.txt', 'sent once');
    const first = await call(visitor.socket, 'message:send', { conversationId: visitor.conversationId, clientId: 'once', text: '', attachments: [mine.id] });
    assert.ok(first.ok, JSON.stringify(first));
    const resend = await call(visitor.socket, 'message:send', { conversationId: visitor.conversationId, clientId: 'once', text: '', attachments: [mine.id] });
    assert.equal(resend.message.id, first.message.id, 'a resend returns the first message');
    const again = await call(visitor.socket, 'message:send', { conversationId: visitor.conversationId, clientId: 'twice', text: 'x', attachments: [mine.id] });
    assert.equal(again.error?.code, 'bad_request');
    const unknown = await call(visitor.socket, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'unknown',
      text: 'x',
      attachments: ['f_nope'],
    });
    assert.equal(unknown.error?.code, 'bad_request');
  });

  it('refuses a message whose files together pass files.maxMessageBytes with too_large', async () => {
    const a = await uploaded(t, visitor.session.token, visitor.conversationId, 'a.txt', 'a'.repeat(60_000));
    const b = await uploaded(t, visitor.session.token, visitor.conversationId, 'b.txt', 'b'.repeat(60_000));
    const answer = await call(visitor.socket, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'too-much',
      text: '',
      attachments: [a.id, b.id],
    });
    assert.equal(answer.error?.code, 'too_large');
    assert.equal(answer.error?.message, 'attachments: 120000 bytes together, more than the 100000 a message may carry');
    // Another visitor's file counts for nothing: the refusal tells nothing of its size.
    const stranger = await openVisitor(t);
    const theirs = await uploaded(t, stranger.session.token, stranger.conversationId, 'theirs.txt', 'c'.repeat(60_000));
    const probing = await call(visitor.socket, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'probe',
      text: '',
      attachments: [a.id, theirs.id],
    });
    assert.equal(probing.error?.code, 'bad_request');
    assert.doesNotMatch(probing.error?.message ?? '', /60000|bytes together/);
  });

  it('takes attachments in POST /v1/messages from an integration', async () => {
    const file = await uploaded(t, API_KEY, visitor.conversationId, 'receipt.pdf', '%PDF-1.4\n%%EOF\n');
    assert.equal(file.type, 'application/pdf');
    const response = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ conversationId: visitor.conversationId, text: '', attachments: [file.id] }),
    });
    const body = (await response.json()) as { message: Message };
    assert.equal(response.status, 201, JSON.stringify(body));
    assert.deepEqual(body.message.attachments, [file]);
  });

  it("answers preflights for the origins sites list, and refuses an origin the token's site does not allow", async () => {
    const preflight = await fetch(`${t.url}/v1/files`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const unknown = await fetch(`${t.url}/v1/files`, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.headers.get('access-control-allow-origin'), null);
    // The other site's origin is known, but not this token's site's.
    const answer = await upload(t, visitor.session.token, visitor.conversationId, 'a.txt', 'x', { origin: 'http://other.test' });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, 'forbidden');
  });

  it('limits uploads per party with 429 rate_limited and Retry-After', async () => {
    const eager = await openVisitor(t);
    // 20 at once, then one every 3 seconds: a slow machine may earn one or two more on the way.
    let taken = 0;
    let refused: Awaited<ReturnType<typeof upload>> | undefined;
    while (!refused && taken < 40) {
      const answer = await upload(t, eager.session.token, eager.conversationId, 'n.txt', `note ${taken}`);
      if (answer.status === 201) taken++;
      else refused = answer;
    }
    assert.ok(refused, 'an upload is refused');
    assert.ok(taken >= 20, `the first 20 are taken (${taken})`);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  });

  it("stores the files a network brings with a customer's message, and says in the text those it refuses", async () => {
    const program = Buffer.alloc(512);
    program.write('MZ');
    program.writeUInt32LE(128, 0x3c);
    program.write('PE\0\0', 128, 'latin1');
    const image = await png(30, 20);
    const stored = await loop.sink.message({
      network: 'loop',
      from: 'loop:dora@example.org',
      to: 'team:support',
      team: { id: 'support' },
      text: '',
      files: [
        { name: 'screenshot.png', content: image, declaredType: 'image/png' },
        { name: 'setup.exe', content: program },
        { name: 'log.txt', content: Buffer.alloc(70_000, 'x') },
      ],
    });
    assert.ok(stored);
    assert.equal(stored.text, '[file not accepted: setup.exe: application/x-msdownload is not taken here]\n[file not accepted: log.txt: larger than 66 kB]');
    assert.equal(stored.attachments?.length, 1);
    assert.deepEqual(
      { ...stored.attachments[0], id: '' },
      {
        id: '',
        name: 'screenshot.png',
        type: 'image/png',
        size: image.length,
        sha256: createHash('sha256').update(image).digest('hex'),
        width: 30,
        height: 20,
      },
    );
    const link = await call(agent, 'file:link', { fileId: stored.attachments[0]!.id });
    assert.deepEqual((await get(link.url)).bytes, image);
  });

  it('takes at most ten files of one message from a network, saying the others in the text', async () => {
    const files = Array.from({ length: 12 }, (_, i) => ({ name: `note-${i + 1}.txt`, content: Buffer.from(`note ${i + 1}`) }));
    const stored = await loop.sink.message({
      network: 'loop',
      from: 'loop:ezra@example.org',
      to: 'team:support',
      team: { id: 'support' },
      text: 'notes',
      files,
    });
    assert.ok(stored);
    assert.deepEqual(
      stored.attachments?.map((each) => each.name),
      files.slice(0, 10).map((each) => each.name),
    );
    assert.equal(
      stored.text,
      [
        'notes',
        '[file not accepted: note-11.txt: more than 10 files in one message]',
        '[file not accepted: note-12.txt: more than 10 files in one message]',
      ].join('\n'),
    );
  });

  it("deletes a file's bytes from disk when the party who sent it is erased", async () => {
    const leaving = await openVisitor(t);
    const content = `erase me ${Math.random()}`;
    const file = await uploaded(t, leaving.session.token, leaving.conversationId, 'mine.txt', content);
    await call(leaving.socket, 'message:send', { conversationId: leaving.conversationId, clientId: 'e', text: '', attachments: [file.id] });
    const path = blobPath(t.bridge.config.files.folder!, file.sha256);
    assert.ok(existsSync(path));
    const erased = await fetch(`${t.url}/v1/parties/${encodeURIComponent(leaving.self)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(erased.status, 200);
    assert.equal(existsSync(path), false, 'the bytes are gone');
    assert.equal((await get(`${t.url}/v1/files/${file.id}`, API_KEY)).status, 404);
  });

  it('refuses uploads on a site that takes no files with 403 forbidden', async () => {
    const { session } = await connect(t, { siteKey: OTHER_SITE }, { origin: 'http://other.test' });
    const answer = await upload(t, session.token, 'c_any', 'a.txt', 'x');
    assert.equal(answer.status, 403);
    assert.deepEqual(answer.body.error, { code: 'forbidden', message: `files: site "${OTHER_SITE}" takes no files` });
  });

  it("refuses a file past the site's quota with 413 too_large", async () => {
    const { socket, session } = await connect(t, { siteKey: QUOTA_SITE }, { origin: null });
    const opened = await call(socket, 'conversation:open', { team: 'small' });
    assert.ok(opened.ok, JSON.stringify(opened));
    assert.equal((await upload(t, session.token, opened.conversation.id, 'a.txt', 'a'.repeat(60))).status, 201);
    const refused = await upload(t, session.token, opened.conversation.id, 'b.txt', 'b'.repeat(60));
    assert.equal(refused.status, 413);
    assert.deepEqual(refused.body.error, { code: 'too_large', message: "file: the site's files would exceed its quota of 100 bytes" });
    // One past the most a file may have is said so, not blamed on the quota: no quota would take it.
    const never = await upload(t, session.token, opened.conversation.id, 'd.txt', Buffer.alloc(10 * 1024 * 1024 + 1, 'd'));
    assert.deepEqual(never.body.error, { code: 'too_large', message: 'file: larger than 10485760 bytes, the most a file may have here' });
    assert.equal((await upload(t, session.token, opened.conversation.id, 'c.txt', 'c'.repeat(40))).status, 201, 'what still fits is taken');
  });

  it("holds the site's quota against uploads made all at once: as many as fit are taken, the others refused", async () => {
    const { socket, session } = await connect(t, { siteKey: RACE_SITE }, { origin: null });
    const opened = await call(socket, 'conversation:open', { team: 'race' });
    assert.ok(opened.ok, JSON.stringify(opened));
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => upload(t, session.token, opened.conversation.id, `part${i}.txt`, String(i).repeat(30))),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, 413, 413, 413, 413, 413], 'three of 30 bytes fit in 100');
    for (const refused of answers.filter((answer) => answer.status === 413))
      assert.deepEqual(refused.body.error, { code: 'too_large', message: "file: the site's files would exceed its quota of 100 bytes" });
  });

  it('counts files in /metrics', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(text, /^switchboard_files_uploaded_total\{site="test-site"\} [1-9]\d*$/m);
    assert.match(text, /^switchboard_file_uploads_refused_total\{reason="type"\} [1-9]\d*$/m);
    assert.match(text, /^switchboard_file_uploads_refused_total\{reason="too_large"\} [1-9]\d*$/m);
    assert.match(text, /^switchboard_file_bytes_served_total\{site="test-site"\} [1-9]\d*$/m);
    assert.match(text, /^switchboard_file_bytes_stored [1-9]\d*$/m);
  });
});

describe('files over time', () => {
  const HOUR = 3_600_000;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-files-time-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('expires links, deletes files never sent after files.unsentHours, and the bytes of conversations retention deletes', async () => {
    const start = new Date();
    const clock = new ManualClock(start);
    const first = await startBridge({}, { dir, clock });
    const folder = first.bridge.config.files.folder!;
    let sent: Attachment;
    let unsent: Attachment;
    try {
      const visitor = await openVisitor(first);
      sent = await uploaded(first, visitor.session.token, visitor.conversationId, 'sent.txt', 'sent with a message');
      unsent = await uploaded(first, visitor.session.token, visitor.conversationId, 'unsent.txt', 'never sent');
      const ack = await call(visitor.socket, 'message:send', { conversationId: visitor.conversationId, clientId: 's', text: '', attachments: [sent.id] });
      assert.ok(ack.ok, JSON.stringify(ack));
      const link = await call(visitor.socket, 'file:link', { fileId: sent.id });
      assert.equal((await get(link.url)).status, 200);
      clock.set(new Date(start.getTime() + HOUR + 1000));
      const expired = await get(link.url);
      assert.deepEqual([expired.status, expired.error?.code], [401, 'unauthorized']);
      assert.match(expired.error!.message, /expired/);
    } finally {
      await first.stop();
    }

    // A day later: the file never sent is gone; the one sent stays.
    const second = await startBridge({}, { dir, clock: new ManualClock(new Date(start.getTime() + 25 * HOUR)) });
    await second.stop();
    assert.equal(existsSync(blobPath(folder, unsent.sha256)), false, 'the unsent file is deleted');
    assert.ok(existsSync(blobPath(folder, sent.sha256)), 'the sent file stays');
    assert.deepEqual(
      fileRows(second.dbPath).map((row) => row.id),
      [sent.id],
    );

    // Bytes no file refers to (what a crash between an erasure's commit and the deletion leaves) go too.
    const stray = blobPath(folder, 'f'.repeat(64));
    mkdirSync(dirname(stray), { recursive: true });
    writeFileSync(stray, 'left behind');
    const third0 = await startBridge({}, { dir, clock: new ManualClock(new Date(Date.now() + 2 * HOUR)) });
    await third0.stop();
    assert.equal(existsSync(stray), false, 'stray bytes are deleted');
    assert.ok(existsSync(blobPath(folder, sent.sha256)), 'bytes a file refers to stay');
    // A bridge on another store, pointed at this folder by mistake, deletes nothing of it.
    const strayAgain = blobPath(folder, 'e'.repeat(64));
    mkdirSync(dirname(strayAgain), { recursive: true });
    writeFileSync(strayAgain, 'also left behind');
    const otherDir = mkdtempSync(join(tmpdir(), 'switchboard-files-other-'));
    try {
      const stranger = await startBridge({ files: { folder } }, { dir: otherDir, clock: new ManualClock(new Date(Date.now() + 2 * HOUR)) });
      await stranger.stop();
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    assert.ok(existsSync(strayAgain), "another store's bridge leaves a folder not its own alone");
    assert.ok(existsSync(blobPath(folder, sent.sha256)));

    // Three days later, with a site that keeps conversations one day: the conversation and its file go.
    const [site, other] = baseConfig(dir).sites as Record<string, unknown>[];
    const third = await startBridge({ sites: [{ ...site, retentionDays: 1 }, other] }, { dir, clock: new ManualClock(new Date(start.getTime() + 72 * HOUR)) });
    await third.stop();
    assert.equal(existsSync(blobPath(folder, sent.sha256)), false, "retention deleted the sent file's bytes");
    assert.deepEqual(fileRows(third.dbPath), []);
  });
});

describe('files across a killed bridge', () => {
  it('keeps a file uploaded before a kill -9, which can be sent after the restart', async (t) => {
    const config = writeCliConfig(t, {});
    const folder = join(dirname(config), 'files');
    const first = await runCli(config);
    let token: string;
    let conversationId: string;
    let file: Attachment;
    const content = await png(50, 40);
    try {
      const { socket, session } = await connectTo(t, first.url, { siteKey: SITE });
      token = session.token;
      conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
      file = await uploaded(first, token, conversationId, 'before the crash.png', content);
    } finally {
      await crash(first.child);
    }
    const second = await runCli(config);
    try {
      const { socket } = await connectTo(t, second.url, { siteKey: SITE, token });
      const ack = await call(socket, 'message:send', { conversationId, clientId: 'after-crash', text: '', attachments: [file.id] });
      assert.ok(ack.ok, JSON.stringify(ack));
      assert.deepEqual(ack.message.attachments, [file]);
      const link = await call(socket, 'file:link', { fileId: file.id });
      assert.deepEqual((await get(link.url)).bytes, content);
      assert.ok(existsSync(blobPath(folder, file.sha256)));
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });

  it('keeps nothing of an upload a kill -9 interrupts: no bytes, no file, and the temporary file goes at the next start', async (t) => {
    const config = writeCliConfig(t, {});
    const folder = join(dirname(config), 'files');
    const dbPath = join(dirname(config), 'switchboard.db');
    const first = await runCli(config);
    try {
      const { socket, session } = await connectTo(t, first.url, { siteKey: SITE });
      const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
      // Half an upload: the first bytes sent, the rest never.
      const url = new URL(`${first.url}/v1/files?conversationId=${conversationId}&name=half.txt`);
      const request = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${session.token}`, 'content-length': '100000' } });
      request.on('error', () => undefined); // the bridge dies under it
      request.write('a'.repeat(20_000));
      await until(() => filesUnder(folder).some((name) => name.startsWith('.incoming-')), 5000, 'the upload being written');
    } finally {
      await crash(first.child);
    }
    assert.deepEqual(
      filesUnder(folder).filter((name) => !name.startsWith('.incoming-') && name !== '.store'),
      [],
      'no bytes kept under a key',
    );
    assert.deepEqual(fileRows(dbPath), [], 'no file recorded');
    const second = await runCli(config);
    try {
      assert.deepEqual(filesUnder(folder), ['.store'], 'the temporary file is removed at start; the mark of the store whose files these are stays');
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });
});
