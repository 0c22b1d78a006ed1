/**
 * Where files' bytes live, by key (docs/protocol.md, "Files"). The local-disk engine
 * (local-blob-store.ts) is the default; the Postgres store's database (store/postgres/postgres-blobs.ts)
 * keeps them where several bridge nodes share them; an S3-compatible engine fits behind the same interface.
 * Keys are the bridge's own (a content's SHA-256, a preview's derived key), never a client's name.
 */
import type { Readable } from 'node:stream';

export interface BlobWrite {
  /** The key the content was stored under: its hex SHA-256. */
  key: string;
  size: number;
}

/** Bytes `start` to `end` of a blob, both included (RFC 9110 section 14.1.2); an `end` past the last byte reads to the last. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  /** Prepares the engine (what interrupted writes left goes). */
  start(): Promise<void>;
  /**
   * Marks the place as holding the files of the store `owner` names (a secret of that store), or
   * tells whether it already does: false when another store's files are there.
   */
  claim(owner: string): Promise<boolean>;
  /**
   * Stores a stream's bytes under their SHA-256, whole or not at all (written aside, then moved in
   * place once complete and flushed to disk). Stops with `BlobTooLarge` past `maxBytes`, keeping nothing.
   */
  put(content: Readable | Buffer, maxBytes: number, place?: BlobPlacement): Promise<BlobWrite>;
  /** Stores bytes under a key the bridge derived (a preview), atomically as `put`. */
  putAs(key: string, content: Buffer): Promise<void>;
  /**
   * The uploads that placed these keys recorded their files, or gave up. An engine that several
   * processes share holds placed bytes until then, so a deletion elsewhere never takes them.
   */
  settle(keys: readonly string[]): Promise<void>;
  /** The bytes under a key (all of them, or one range of them), as a stream; null when there are none. */
  open(key: string, range?: ByteRange): Promise<Readable | null>;
  /** A local path to the bytes when the engine keeps them on this machine (for readers that need a file), else null. */
  localPath(key: string): Promise<string | null>;
  has(key: string): Promise<boolean>;
  /** Deletes a blob; nothing when there is none. */
  delete(key: string): Promise<void>;
  /** Every blob with when it was last written (for the sweep of bytes no file refers to). */
  list(): AsyncIterable<{ key: string; modifiedAt: number }>;
  /** Removes what interrupted writes left long ago, for engines several processes share (done at start otherwise). */
  sweepTemporary?(): Promise<void>;
  /** Bytes stored (for `/metrics`). */
  bytesStored(): Promise<number>;
}

/**
 * Runs the step that puts complete bytes in place (`move`), once their key is known: the caller
 * serialises it with deletions of the same key, and marks the bytes as in use as it ends.
 */
export type BlobPlacement = (key: string, move: () => Promise<void>) => Promise<void>;

export class BlobTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
    this.name = 'BlobTooLarge';
  }
}
