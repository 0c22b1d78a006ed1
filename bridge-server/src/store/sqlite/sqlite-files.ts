/**
 * The SQLite engine's files (store.ts `FileRecord`): the public calls, and the steps the store's
 * own writes run inside their transaction (claiming a message's files, deleting a conversation's).
 */
import type Database from 'better-sqlite3';
import type { Address, Attachment } from '@switchboard/protocol';
import { type FileRow, blobsOf, claimRefusal, fileParams, toAttachment, toFileRecord } from '../file-rows.js';
import type { FileRecord } from '../store.js';

/** Runs `run` in the store's next group commit. */
type Write = <T>(run: () => T) => Promise<T>;

function prepare(db: Database.Database) {
  return {
    insert: db.prepare(`INSERT INTO files (id, site_key, conversation_id, uploaded_by, name, media_type, size, sha256, width, height,
        created_at, message_id, blob, thumbnail_blob, charset)
      VALUES (@id, @siteKey, @conversationId, @uploadedBy, @name, @type, @size, @sha256, @width, @height, @createdAt, @messageId, @blob, @thumbnailBlob,
        @charset)`),
    get: db.prepare<[string], FileRow>('SELECT * FROM files WHERE id = ?'),
    setThumbnail: db.prepare<[string, string]>('UPDATE files SET thumbnail_blob = ? WHERE id = ?'),
    claim: db.prepare<[string, string]>('UPDATE files SET message_id = ? WHERE id = ?'),
    move: db.prepare<[string, string, string, string]>(
      'UPDATE files SET conversation_id = ? WHERE id IN (SELECT value FROM json_each(?)) AND conversation_id = ? AND uploaded_by = ? AND message_id IS NULL',
    ),
    inUse: db.prepare<[string, string], { n: number }>(
      'SELECT EXISTS (SELECT 1 FROM files WHERE blob = ?) OR EXISTS (SELECT 1 FROM files WHERE thumbnail_blob = ?) AS n',
    ),
    ofConversation: db.prepare<[string], FileRow>('SELECT * FROM files WHERE conversation_id = ?'),
    deleteOfMessage: db.prepare<[string, string], FileRow>('DELETE FROM files WHERE conversation_id = ? AND message_id = ? RETURNING *'),
    deleteOfConversation: db.prepare<[string]>('DELETE FROM files WHERE conversation_id = ?'),
    uploadedBy: db.prepare<[string, string], FileRow>('SELECT * FROM files WHERE site_key = ? AND uploaded_by = ?'),
    deleteUploadedBy: db.prepare<[string, string]>('DELETE FROM files WHERE site_key = ? AND uploaded_by = ?'),
    unsent: db.prepare<[string], FileRow>('SELECT * FROM files WHERE message_id IS NULL AND created_at < ?'),
    deleteUnsent: db.prepare<[string]>('DELETE FROM files WHERE message_id IS NULL AND created_at < ?'),
    siteBytes: db.prepare<[string], { n: number | null }>('SELECT sum(size) AS n FROM files WHERE site_key = ?'),
  };
}

export class SqliteFiles {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.statements = prepare(db);
  }

  async createFile(file: FileRecord, quotaBytes?: number): Promise<boolean> {
    return this.write(() => {
      if (quotaBytes !== undefined && (this.statements.siteBytes.get(file.siteKey)?.n ?? 0) + file.size > quotaBytes) return false;
      this.statements.insert.run(fileParams(file));
      return true;
    });
  }

  async getFile(id: string): Promise<FileRecord | null> {
    const row = this.statements.get.get(id);
    return row ? toFileRecord(row) : null;
  }

  async moveUnsentFiles(ids: readonly string[], from: string, to: string, uploadedBy: Address): Promise<number> {
    return this.write(() => this.statements.move.run(to, JSON.stringify(ids), from, uploadedBy).changes);
  }

  async setFileThumbnail(id: string, thumbnailBlob: string): Promise<void> {
    await this.write(() => this.statements.setThumbnail.run(thumbnailBlob, id));
  }

  async blobsInUse(blobs: readonly string[]): Promise<Set<string>> {
    return new Set(this.stillUsed(blobs));
  }

  async deleteUnsentFiles(before: string): Promise<string[]> {
    return this.write(() => {
      const blobs = this.statements.unsent.all(before).flatMap(blobsOf);
      this.statements.deleteUnsent.run(before);
      return this.unused(blobs);
    });
  }

  async siteFileBytes(siteKey: string): Promise<number> {
    return this.statements.siteBytes.get(siteKey)?.n ?? 0;
  }

  // Steps of the store's own writes (inside its transaction).

  /** Binds a new message's files to it, in order; throws `FileClaimError` for one that may not go with it. */
  claim(messageId: string, conversationId: string, from: Address, ids: readonly string[]): Attachment[] {
    return ids.map((id) => {
      const row = this.statements.get.get(id);
      const refusal = claimRefusal(row, id, conversationId, from);
      if (refusal) throw refusal;
      this.statements.claim.run(messageId, id);
      return toAttachment(toFileRecord(row!));
    });
  }

  /** Deletes a conversation's files; their blob keys join `blobs`. */
  deleteOfConversation(conversationId: string, blobs: Set<string>): void {
    for (const row of this.statements.ofConversation.all(conversationId)) for (const blob of blobsOf(row)) blobs.add(blob);
    this.statements.deleteOfConversation.run(conversationId);
  }

  /** Deletes a message's files; their blob keys join `blobs`. */
  deleteOfMessage(conversationId: string, messageId: string, blobs: Set<string>): void {
    for (const row of this.statements.deleteOfMessage.all(conversationId, messageId)) for (const blob of blobsOf(row)) blobs.add(blob);
  }

  /** Deletes every file a party uploaded on a site; their blob keys join `blobs`. */
  deleteUploadsOf(siteKey: string, uploader: Address, blobs: Set<string>): void {
    for (const row of this.statements.uploadedBy.all(siteKey, uploader)) for (const blob of blobsOf(row)) blobs.add(blob);
    this.statements.deleteUploadedBy.run(siteKey, uploader);
  }

  /** Of these blob keys, those no file refers to any more (after deletions in the same write). */
  unused(blobs: Iterable<string>): string[] {
    const used = new Set(this.stillUsed([...blobs]));
    return [...new Set(blobs)].filter((blob) => !used.has(blob));
  }

  private stillUsed(blobs: readonly string[]): string[] {
    return blobs.filter((blob) => (this.statements.inUse.get(blob, blob)?.n ?? 0) > 0);
  }
}
