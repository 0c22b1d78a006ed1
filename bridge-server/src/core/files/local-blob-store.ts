/**
 * Files' bytes on the local disk, content-addressed: `<folder>/<aa>/<bb>/<key>`, the key a
 * content's SHA-256 (or a preview's key derived from it). A blob is written whole or not at all:
 * into a temporary file in the folder (the same file system), flushed, then renamed in place. A
 * process killed mid-write leaves only a temporary file, removed at the next start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type BlobPlacement, type BlobStore, BlobTooLarge, type BlobWrite, type ByteRange } from './blob-store.js';

/** A content's SHA-256 in hex, optionally with a derived suffix (`<sha256>.thumb`). */
const KEY = /^[0-9a-f]{64}(\.[a-z0-9]{1,16})?$/;
const TEMP_PREFIX = '.incoming-';
/** Names the store whose files the folder holds. */
const OWNER_FILE = '.store';

export class LocalBlobStore implements BlobStore {
  private stored = 0;

  constructor(readonly folder: string) {}

  /** Creates the folder, removes what interrupted writes left, and counts the bytes kept. */
  async start(): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(this.folder)) if (entry.startsWith(TEMP_PREFIX)) await rm(join(this.folder, entry), { force: true });
    this.stored = await folderBytes(this.folder);
  }

  /**
   * Marks the folder as the files of the store `owner` names (a secret of that store), or tells
   * whether it already is: false when another store's files are there.
   */
  async claim(owner: string): Promise<boolean> {
    const marker = join(this.folder, OWNER_FILE);
    const found = await readFile(marker, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (found !== null) return found.trim() === owner;
    await writeFile(marker, `${owner}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    return (await readFile(marker, 'utf8')).trim() === owner;
  }

  /** One process uses a folder: the file service's own holds keep placed bytes. */
  settle(): Promise<void> {
    return Promise.resolve();
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a blob key: ${JSON.stringify(key.slice(0, 80))}`);
    return join(this.folder, key.slice(0, 2), key.slice(2, 4), key);
  }

  async put(content: Readable | Buffer, maxBytes: number, place?: BlobPlacement): Promise<BlobWrite> {
    const temp = join(this.folder, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of Buffer.isBuffer(content) ? [content] : content) {
        const bytes = chunk as Buffer;
        size += bytes.length;
        if (size > maxBytes) throw new BlobTooLarge(maxBytes);
        hash.update(bytes);
        await writeAll(handle, bytes);
      }
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    const key = hash.digest('hex');
    const move = () => this.moveInPlace(temp, key, size);
    try {
      await (place ? place(key, move) : move());
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    return { key, size };
  }

  async putAs(key: string, content: Buffer): Promise<void> {
    const temp = join(this.folder, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await writeAll(handle, content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.moveInPlace(temp, key, content.length);
  }

  /** Renames a flushed temporary file to its key's place (the same content already there: the temporary goes). */
  private async moveInPlace(temp: string, key: string, size: number): Promise<void> {
    const target = this.pathOf(key);
    const dir = join(this.folder, key.slice(0, 2), key.slice(2, 4));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existed = await exists(target);
    await rename(temp, target);
    if (!existed) this.stored += size;
    await syncDirectory(dir);
  }

  async open(key: string, range?: ByteRange): Promise<Readable | null> {
    const path = this.pathOf(key);
    const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    // The handle's own stream closes the handle; a stream on its bare fd would leave the handle to
    // close that fd again when collected (an EBADF that ends the process).
    return handle ? handle.createReadStream(range ? { start: range.start, end: range.end } : {}) : null;
  }

  async localPath(key: string): Promise<string | null> {
    const path = this.pathOf(key);
    return (await exists(path)) ? path : null;
  }

  has(key: string): Promise<boolean> {
    return exists(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    const size = await stat(path).then(
      (stats) => stats.size,
      () => null,
    );
    if (size === null) return;
    await rm(path, { force: true });
    this.stored -= size;
  }

  async *list(): AsyncIterable<{ key: string; modifiedAt: number }> {
    for (const entry of await readdir(this.folder, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !KEY.test(entry.name)) continue;
      const stats = await stat(join(entry.parentPath ?? entry.path, entry.name)).catch(() => null);
      if (stats) yield { key: entry.name, modifiedAt: stats.mtimeMs };
    }
  }

  bytesStored(): Promise<number> {
    return Promise.resolve(this.stored);
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += (await handle.write(bytes, offset)).bytesWritten;
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Flushes a folder's entries, so a rename survives a power loss (best effort: not every system allows it). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/** Bytes of the blobs under a folder (temporary files aside). */
async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !KEY.test(entry.name)) continue;
    total += (await stat(join(entry.parentPath ?? entry.path, entry.name))).size;
  }
  return total;
}
