/**
 * Files' bytes in the Postgres store's own database (`files.storage: "database"`), so that every
 * bridge node on that database reads what any of them stored, with no shared disk. Content-addressed
 * as on disk: `blobs` has one row per key (a content's SHA-256, or a preview's derived key) and
 * `blob_chunks` its bytes in pieces of CHUNK_BYTES. A blob is written whole or not at all: its
 * pieces go under a temporary key as they stream in, and one transaction gives them their key once
 * the content is complete (or drops them when those bytes are there already). A node killed
 * mid-write leaves only temporary pieces, removed after an hour by whichever node starts or sweeps.
 *
 * Nodes hold what they place: placing a blob counts an upload in `pending` until its file is
 * recorded (`settle`), and a deletion takes only a blob nobody holds, in one statement, so an upload
 * on one node and the release of the same bytes on another never leave a file without its bytes.
 * A hold a crash never settled lapses after HOLD_LAPSE_MS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { type BlobPlacement, type BlobStore, BlobTooLarge, type BlobWrite, type ByteRange } from '../../core/files/blob-store.js';
import { checkOut } from './checked-out.js';

/** A content's SHA-256 in hex, optionally with a derived suffix (`<sha256>.thumb`). */
const KEY = /^[0-9a-f]{64}(\.[a-z0-9]{1,16})?$/;
/** Pieces of a blob: large enough to keep rows few, small enough to stream without holding a whole file. */
export const CHUNK_BYTES = 512 * 1024;
/** Temporary keys: `~<epoch ms>.<random>`, never a blob key. */
const TEMP_PREFIX = '~';
/** Temporary pieces older than this are what a killed write left. */
const TEMP_LAPSE_MS = 3_600_000;
/** A hold older than this is what a crashed upload left (an upload records its file in seconds). */
const HOLD_LAPSE_MS = 3_600_000;

export class PostgresBlobStore implements BlobStore {
  /** `pool()` is the store's pool, once it is open. */
  constructor(private readonly pool: () => pg.Pool) {}

  /** Removes the pieces writes killed more than an hour ago left behind (younger ones may be another node's, under way). */
  async start(): Promise<void> {
    await this.sweepTemporary();
  }

  /** What interrupted writes left, an hour or more ago (the stray sweep calls it every hour too). */
  async sweepTemporary(): Promise<void> {
    await this.pool().query(`DELETE FROM blob_chunks WHERE key LIKE '~%' AND split_part(substr(key, 2), '.', 1)::bigint < $1`, [Date.now() - TEMP_LAPSE_MS]);
  }

  /** The database is the store's own: its bytes are this store's to sweep. */
  claim(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async put(content: Readable | Buffer, maxBytes: number, place?: BlobPlacement): Promise<BlobWrite> {
    const temp = `${TEMP_PREFIX}${Date.now()}.${randomBytes(12).toString('hex')}`;
    const hash = createHash('sha256');
    let size = 0;
    try {
      let piece = 0;
      let pending: Buffer = Buffer.alloc(0);
      // Pieces of exactly CHUNK_BYTES (the last one shorter), whatever sizes the stream comes in.
      const write = (bytes: Buffer) => this.pool().query('INSERT INTO blob_chunks (key, n, bytes) VALUES ($1, $2, $3)', [temp, piece++, bytes]);
      for await (const chunk of Buffer.isBuffer(content) ? [content] : content) {
        const bytes = chunk as Buffer;
        size += bytes.length;
        if (size > maxBytes) throw new BlobTooLarge(maxBytes);
        hash.update(bytes);
        pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
        while (pending.length >= CHUNK_BYTES) {
          await write(pending.subarray(0, CHUNK_BYTES));
          pending = pending.subarray(CHUNK_BYTES);
        }
      }
      if (pending.length > 0 || piece === 0) await write(pending);
    } catch (error) {
      await this.dropTemp(temp);
      throw error;
    }
    const key = hash.digest('hex');
    const move = () => this.moveInPlace(temp, key, size);
    try {
      await (place ? place(key, move) : move());
    } catch (error) {
      await this.dropTemp(temp);
      throw error;
    }
    return { key, size };
  }

  async putAs(key: string, content: Buffer): Promise<void> {
    checkKey(key);
    const temp = `${TEMP_PREFIX}${Date.now()}.${randomBytes(12).toString('hex')}`;
    try {
      for (let offset = 0, n = 0; offset < content.length || n === 0; offset += CHUNK_BYTES, n++)
        await this.pool().query('INSERT INTO blob_chunks (key, n, bytes) VALUES ($1, $2, $3)', [temp, n, content.subarray(offset, offset + CHUNK_BYTES)]);
      await this.moveInPlace(temp, key, content.length);
    } catch (error) {
      await this.dropTemp(temp);
      throw error;
    }
  }

  /**
   * Gives complete pieces their key, holding the blob for the upload that placed it: a new blob
   * takes the pieces; bytes already there keep theirs and the pieces go.
   */
  private async moveInPlace(temp: string, key: string, size: number): Promise<void> {
    const client = await checkOut(this.pool());
    let broken = false;
    try {
      await client.query('BEGIN');
      const placed = await client.query<{ inserted: boolean }>(
        `INSERT INTO blobs (key, size, written_at, pending, pending_at) VALUES ($1, $2, now(), 1, now())
         ON CONFLICT (key) DO UPDATE SET written_at = now(), pending = blobs.pending + 1, pending_at = now()
         RETURNING (xmax = 0) AS inserted`,
        [key, size],
      );
      if (placed.rows[0]!.inserted) await client.query('UPDATE blob_chunks SET key = $1 WHERE key = $2', [key, temp]);
      else await client.query('DELETE FROM blob_chunks WHERE key = $1', [temp]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async dropTemp(temp: string): Promise<void> {
    await this.pool()
      .query('DELETE FROM blob_chunks WHERE key = $1', [temp])
      .catch(() => undefined); // what stays is removed after an hour
  }

  /** The uploads that placed these blobs recorded their files (or gave up): they hold them no more. */
  async settle(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool().query('UPDATE blobs SET pending = greatest(pending - 1, 0) WHERE key = ANY($1::text[])', [keys]);
  }

  async open(key: string, range?: ByteRange): Promise<Readable | null> {
    checkKey(key);
    const found = await this.pool().query<{ pieces: string }>('SELECT (SELECT count(*) FROM blob_chunks WHERE key = $1) AS pieces FROM blobs WHERE key = $1', [
      key,
    ]);
    if (found.rows.length === 0) return null;
    const pieces = Number(found.rows[0]!.pieces);
    const pool = this.pool;
    // Pieces are CHUNK_BYTES each (the last one shorter), so a range starts and ends in known pieces.
    const first = range ? Math.floor(range.start / CHUNK_BYTES) : 0;
    const last = range ? Math.min(pieces - 1, Math.floor(range.end / CHUNK_BYTES)) : pieces - 1;
    // One piece read at a time, as the reader asks: a large file is never held whole in memory.
    async function* read(): AsyncGenerator<Buffer> {
      for (let n = first; n <= last; n++) {
        const row = await pool().query<{ bytes: Buffer }>('SELECT bytes FROM blob_chunks WHERE key = $1 AND n = $2', [key, n]);
        let bytes = row.rows[0]?.bytes;
        if (!bytes) throw new Error(`blob ${key}: piece ${n} missing`);
        if (range) bytes = bytes.subarray(n === first ? range.start - n * CHUNK_BYTES : 0, n === last ? range.end - n * CHUNK_BYTES + 1 : undefined);
        if (bytes.length > 0) yield bytes;
      }
    }
    return Readable.from(read(), { objectMode: false });
  }

  /** No local path: readers take the bytes. */
  localPath(): Promise<string | null> {
    return Promise.resolve(null);
  }

  async has(key: string): Promise<boolean> {
    checkKey(key);
    return (await this.pool().query('SELECT 1 FROM blobs WHERE key = $1', [key])).rows.length > 0;
  }

  /**
   * Deletes a blob and its pieces, unless an upload holds it (its file is being recorded) or a file
   * refers to it: checked in the one statement, so a file recorded on another node meanwhile keeps them.
   */
  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.pool().query(
      `WITH gone AS (
         DELETE FROM blobs WHERE key = $1 AND (pending = 0 OR pending_at < now() - make_interval(secs => $2))
           AND NOT EXISTS (SELECT 1 FROM files WHERE blob = $1 OR thumbnail_blob = $1)
         RETURNING key)
       DELETE FROM blob_chunks WHERE key IN (SELECT key FROM gone)`,
      [key, HOLD_LAPSE_MS / 1000],
    );
  }

  async *list(): AsyncIterable<{ key: string; modifiedAt: number }> {
    let after = '';
    for (;;) {
      const page = await this.pool().query<{ key: string; written_at: Date }>('SELECT key, written_at FROM blobs WHERE key > $1 ORDER BY key LIMIT 500', [
        after,
      ]);
      for (const row of page.rows) yield { key: row.key, modifiedAt: row.written_at.getTime() };
      if (page.rows.length < 500) return;
      after = page.rows.at(-1)!.key;
    }
  }

  async bytesStored(): Promise<number> {
    return Number((await this.pool().query<{ bytes: string }>('SELECT coalesce(sum(size), 0) AS bytes FROM blobs')).rows[0]!.bytes);
  }
}

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`not a blob key: ${JSON.stringify(key.slice(0, 80))}`);
}
