// Files kept in the Postgres store's database (`files.storage: "database"`), against a real
// Postgres: two bridge nodes on one database read each other's uploads (no shared disk); a content
// is kept once, in pieces; a file too large keeps nothing; an upload's bytes are held until its
// file is recorded, so a deletion elsewhere never takes them; an erasure deletes the bytes; and
// what a killed write left goes after an hour, not while another node may still be writing it.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Attachment } from '@switchboard/protocol';
import pg from 'pg';
import sharp from 'sharp';
import { BlobTooLarge } from '../../src/core/files/blob-store.js';
import { CHUNK_BYTES, PostgresBlobStore } from '../../src/store/postgres/postgres-blobs.js';
import { SITE, type TestBridge, agentAuth, baseConfig, call, connect, startBridge } from '../helpers.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { readAll } from '../read-stream.js';

const ADMIN_KEY = 'admin-key-of-the-test-site-0123456789';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('files in the Postgres database', () => {
  let server: PostgresServer;
  let url: string;
  let db: pg.Pool;
  let first: TestBridge;
  let second: TestBridge;
  const blobs = () => new PostgresBlobStore(() => db);
  const pieces = async (key: string) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM blob_chunks WHERE key = $1', [key])).rows[0]!.n);
  const blobRow = async (key: string) => (await db.query<{ size: string; pending: number }>('SELECT size, pending FROM blobs WHERE key = $1', [key])).rows[0];

  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase('socket');
    const [site, other] = baseConfig('.').sites as Record<string, unknown>[];
    const config = {
      store: { type: 'postgres', url, poolSize: 4 },
      files: { storage: 'database' },
      sites: [{ ...site, adminKeys: [ADMIN_KEY], files: { types: ['image/*', 'text/*', 'application/octet-stream'] } }, other],
    };
    first = await startBridge(config);
    second = await startBridge(config);
    db = new pg.Pool({ connectionString: url, max: 2 });
  });
  after(async () => {
    await db?.end();
    await first?.stop();
    await second?.stop();
    await server?.destroy();
  });

  /** A visitor on `t` with an open conversation, and its session token. */
  async function visitorOn(t: TestBridge): Promise<{ token: string; conversationId: string; self: string; send: (attachments: string[]) => Promise<unknown> }> {
    const { socket, session } = await connect(t, { siteKey: SITE });
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    return {
      token: session.token,
      conversationId,
      self: session.self,
      send: (attachments) => call(socket, 'message:send', { conversationId, clientId: `s${Math.random()}`, text: '', attachments }),
    };
  }

  async function upload(t: TestBridge, token: string, conversationId: string, name: string, content: Buffer): Promise<Attachment> {
    const query = new URLSearchParams({ conversationId, name });
    const response = await fetch(`${t.url}/v1/files?${query.toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(content),
    });
    const body = (await response.json()) as { file: Attachment };
    assert.equal(response.status, 201, JSON.stringify(body));
    return body.file;
  }

  const download = async (t: TestBridge, path: string, token: string) => {
    const response = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
  };

  it("lets a node read a file another node stored, byte for byte, the image's thumbnail too", async () => {
    await connect(first, agentAuth('alice'));
    const visitor = await visitorOn(first);
    const content = randomBytes(CHUNK_BYTES * 2 + 12_345);
    const file = await upload(first, visitor.token, visitor.conversationId, 'big.bin', content);
    assert.equal(file.sha256, sha256(content));
    assert.equal(await pieces(file.sha256), 3, 'kept in pieces');
    const read = await download(second, `/v1/files/${file.id}`, visitor.token);
    assert.equal(read.status, 200);
    assert.ok(read.bytes.equals(content), 'the exact bytes, from the other node');

    const image = await sharp({ create: { width: 800, height: 400, channels: 3, background: { r: 200, g: 30, b: 60 } } })
      .png()
      .toBuffer();
    const picture = await upload(second, visitor.token, visitor.conversationId, 'red.png', image);
    assert.equal(picture.width, 800);
    const thumbnail = await download(first, `/v1/files/${picture.id}?variant=thumbnail`, visitor.token);
    assert.equal(thumbnail.status, 200);
    assert.equal(thumbnail.type, 'image/webp');
    assert.equal((await sharp(thumbnail.bytes).metadata()).width, 320);
    assert.equal((await blobRow(picture.sha256))?.pending, 0, 'the upload no longer holds its bytes once its file is recorded');
  });

  it('reads one range of a blob across its pieces, both ends included', async () => {
    const store = blobs();
    const content = Buffer.alloc(CHUNK_BYTES * 2 + 100);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7 + (i >> 9)) % 251;
    const { key } = await store.put(content, content.length);
    assert.equal(await pieces(key), 3);
    for (const [start, end] of [
      [0, 9],
      [CHUNK_BYTES - 5, CHUNK_BYTES + 4],
      [CHUNK_BYTES, CHUNK_BYTES],
      [10, CHUNK_BYTES * 2 + 50],
      [CHUNK_BYTES * 2 + 90, content.length + 1000],
    ] as const)
      assert.deepEqual(await readAll(await store.open(key, { start, end })), content.subarray(start, end + 1), `${start}-${end}`);
  });

  it('keeps the same content once, whichever node stores it', async () => {
    const visitor = await visitorOn(second);
    const content = Buffer.from(`the same bytes ${Math.random()}`);
    const a = await upload(first, visitor.token, visitor.conversationId, 'a.txt', content);
    const b = await upload(second, visitor.token, visitor.conversationId, 'b.txt', content);
    assert.notEqual(a.id, b.id);
    assert.equal(a.sha256, b.sha256);
    assert.equal(await pieces(a.sha256), 1);
    assert.equal(Number((await blobRow(a.sha256))!.size), content.length);
  });

  it('deletes the bytes on an erasure made on the other node', async () => {
    const leaving = await visitorOn(first);
    const content = Buffer.from(`erase me ${Math.random()}`);
    const file = await upload(first, leaving.token, leaving.conversationId, 'mine.txt', content);
    await leaving.send([file.id]);
    assert.ok(await blobRow(file.sha256));
    const erased = await fetch(`${second.url}/v1/parties/${encodeURIComponent(leaving.self)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(erased.status, 200);
    assert.equal(await blobRow(file.sha256), undefined, 'the blob is gone');
    assert.equal(await pieces(file.sha256), 0, 'and its pieces');
  });

  it('keeps nothing of a content past the limit, and reads nothing for an unknown key', async () => {
    const store = blobs();
    const before = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM blob_chunks')).rows[0]!.n);
    await assert.rejects(store.put(Readable.from([randomBytes(CHUNK_BYTES), randomBytes(CHUNK_BYTES)]), CHUNK_BYTES + 10), BlobTooLarge);
    assert.equal(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM blob_chunks')).rows[0]!.n), before, 'no piece left');
    assert.equal(await store.open('0'.repeat(64)), null);
    assert.equal(await store.has('0'.repeat(64)), false);
    await assert.rejects(store.open('../etc/passwd'), /not a blob key/);
  });

  it('never deletes bytes an upload holds: a deletion takes them only once their file is recorded', async () => {
    const store = blobs();
    const content = Buffer.from(`held ${Math.random()}`);
    const { key } = await store.put(content, 1000);
    await store.delete(key);
    assert.ok(await store.has(key), 'held by the upload that placed it');
    await store.settle([key]);
    await store.delete(key);
    assert.equal(await store.has(key), false);
    assert.equal(await readAll(await store.open(key)), null);
  });

  it("removes pieces a killed write left an hour ago at start, and leaves a younger write's alone", async () => {
    const old = `~${Date.now() - 2 * 3_600_000}.killed`;
    const young = `~${Date.now()}.writing`;
    for (const key of [old, young]) await db.query('INSERT INTO blob_chunks (key, n, bytes) VALUES ($1, 0, $2)', [key, Buffer.from('partial')]);
    await blobs().start();
    assert.equal(await pieces(old), 0);
    assert.equal(await pieces(young), 1);
    await db.query('DELETE FROM blob_chunks WHERE key = $1', [young]);
  });

  it('lists blobs past a page, and counts their bytes', async () => {
    const store = blobs();
    const keys = [0, 1, 2].map((i) => `${sha256(Buffer.from(`k${i}`))}.thumb`);
    for (const [i, key] of keys.entries()) await store.putAs(key, Buffer.from(`preview ${i}`));
    const listed = [];
    for await (const blob of store.list()) listed.push(blob.key);
    for (const key of keys) assert.ok(listed.includes(key));
    const total = Number((await db.query<{ n: string }>('SELECT coalesce(sum(size), 0) AS n FROM blobs')).rows[0]!.n);
    assert.equal(await store.bytesStored(), total);
    assert.ok(total > 0);
  });

  it('refuses a database storage on a SQLite store, naming what to change', async () => {
    await assert.rejects(
      startBridge({ files: { storage: 'database' } }),
      /files\.storage: "database" keeps files in the Postgres store's database; set store\.type to "postgres", or use "folder"/,
    );
  });
});
