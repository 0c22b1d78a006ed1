// The local file store (docs/protocol.md, "Files"): content-addressed, written whole or not at
// all, a size limit while streaming that keeps nothing, leftovers of a killed write removed at start.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { BlobTooLarge } from '../../src/core/files/blob-store.js';
import { LocalBlobStore } from '../../src/core/files/local-blob-store.js';
import { readAll } from '../read-stream.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-blobs-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function fresh(): Promise<LocalBlobStore> {
  const store = new LocalBlobStore(mkdtempSync(join(root, 'store-')));
  await store.start();
  return store;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Every file under a folder, relative. */
const filesUnder = (folder: string) =>
  readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1));

describe('LocalBlobStore', () => {
  it('stores a stream under its SHA-256, in <aa>/<bb>/<sha256>, and reads it back', async () => {
    const store = await fresh();
    const content = Buffer.from('hello, files');
    const written = await store.put(Readable.from([content.subarray(0, 5), content.subarray(5)]), 1000);
    assert.deepEqual(written, { key: sha256(content), size: content.length });
    assert.deepEqual(filesUnder(store.folder), [join(written.key.slice(0, 2), written.key.slice(2, 4), written.key)]);
    assert.deepEqual(await readAll(await store.open(written.key)), content);
    assert.equal(await store.has(written.key), true);
    assert.equal(await store.bytesStored(), content.length);
    assert.equal(readFileSync((await store.localPath(written.key))!, 'utf8'), 'hello, files');
  });

  it('reads one range of the bytes, both ends included; an end past the last byte reads to the last', async () => {
    const store = await fresh();
    const content = Buffer.from('0123456789abcdef');
    const { key } = await store.put(content, 1000);
    assert.deepEqual(await readAll(await store.open(key, { start: 3, end: 6 })), Buffer.from('3456'));
    assert.deepEqual(await readAll(await store.open(key, { start: 15, end: 15 })), Buffer.from('f'));
    assert.deepEqual(await readAll(await store.open(key, { start: 10, end: 99 })), Buffer.from('abcdef'));
  });

  it('keeps equal contents once', async () => {
    const store = await fresh();
    const a = await store.put(Buffer.from('same'), 100);
    const b = await store.put(Readable.from([Buffer.from('sa'), Buffer.from('me')]), 100);
    assert.equal(a.key, b.key);
    assert.equal(filesUnder(store.folder).length, 1);
    assert.equal(await store.bytesStored(), 4);
  });

  it('stops past the limit while streaming, with BlobTooLarge, keeping nothing', async () => {
    const store = await fresh();
    let produced = 0;
    // A stream that would go on for ever: the limit must stop reading it.
    const endless = new Readable({
      read() {
        produced += 1000;
        this.push(Buffer.alloc(1000, 7));
      },
    });
    await assert.rejects(store.put(endless, 2500), (error: unknown) => error instanceof BlobTooLarge && error.maxBytes === 2500);
    assert.ok(produced < 100_000, 'reading stopped soon after the limit');
    assert.deepEqual(filesUnder(store.folder), []);
    assert.equal(await store.bytesStored(), 0);
    // Exactly the limit is fine.
    assert.equal((await store.put(Buffer.alloc(2500), 2500)).size, 2500);
  });

  it('keeps nothing of a stream that fails midway', async () => {
    const store = await fresh();
    const failing = Readable.from(
      (function* () {
        yield Buffer.from('the first half');
        throw new Error('the client went away');
      })(),
    );
    await assert.rejects(store.put(failing, 1000), /went away/);
    assert.deepEqual(filesUnder(store.folder), []);
  });

  it('removes what an interrupted write left at the next start, and counts the bytes kept', async () => {
    const store = await fresh();
    const kept = await store.put(Buffer.from('kept'), 100);
    // What a process killed mid-write leaves: a temporary file in the folder.
    writeFileSync(join(store.folder, '.incoming-0123456789abcdef'), 'half a fi');
    const again = new LocalBlobStore(store.folder);
    await again.start();
    assert.deepEqual(filesUnder(store.folder), [join(kept.key.slice(0, 2), kept.key.slice(2, 4), kept.key)]);
    assert.equal(await again.bytesStored(), 4);
  });

  it('stores derived keys, deletes, and answers null for what is not there', async () => {
    const store = await fresh();
    const { key } = await store.put(Buffer.from('image'), 100);
    await store.putAs(`${key}.thumb`, Buffer.from('preview'));
    assert.deepEqual(await readAll(await store.open(`${key}.thumb`)), Buffer.from('preview'));
    assert.equal(await store.bytesStored(), 12);
    await store.delete(key);
    await store.delete(key); // nothing the second time
    assert.equal(await store.open(key), null);
    assert.equal(await store.localPath(key), null);
    assert.equal(await store.bytesStored(), 7);
  });

  it('refuses keys that are not its own (no path escapes the folder)', async () => {
    const store = await fresh();
    for (const key of ['../../etc/passwd', 'a'.repeat(64) + '/../x', 'ABC', '']) {
      await assert.rejects(store.open(key), /not a blob key/);
      await assert.rejects(store.putAs(key, Buffer.from('x')), /not a blob key/);
    }
    assert.equal(existsSync(join(store.folder, '..', 'x')), false);
  });
});
