/**
 * The Postgres engine's files (store.ts `FileRecord`): the public calls, and the steps the store's
 * own transactions run (claiming a message's files under a row lock, so two nodes never send one
 * file twice; deleting a conversation's).
 */
import type { PoolClient, QueryResultRow } from 'pg';
import type { Address, Attachment } from '@switchboard/protocol';
import { type FileRow, blobsOf, claimRefusal, fileParams, toAttachment, toFileRecord } from '../file-rows.js';
import type { FileRecord } from '../store.js';
import type { Transaction } from './postgres-contacts.js';

type Queryable = Pick<PoolClient, 'query'>;

/** The advisory lock space of a site's uploads (its key hashed within it): one quota check at a time. */
const FILE_QUOTA_LOCK_SPACE = 0x53574651; // "SWFQ"

async function rows<R extends QueryResultRow>(on: Queryable, sql: string, params: unknown[]): Promise<R[]> {
  return (await on.query<R>(sql, params)).rows;
}

export class PostgresFiles {
  constructor(
    /** The pool, once the store is open. */
    private readonly pool: () => Queryable,
    private readonly transaction: Transaction,
  ) {}

  async createFile(file: FileRecord, quotaBytes?: number): Promise<boolean> {
    const p = fileParams(file);
    const insert = (on: Queryable) =>
      on.query(
        `INSERT INTO files (id, site_key, conversation_id, uploaded_by, name, media_type, size, sha256, width, height, created_at, message_id, blob, thumbnail_blob,
           charset)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          p.id,
          p.siteKey,
          p.conversationId,
          p.uploadedBy,
          p.name,
          p.type,
          p.size,
          p.sha256,
          p.width,
          p.height,
          p.createdAt,
          p.messageId,
          p.blob,
          p.thumbnailBlob,
          p.charset,
        ],
      );
    if (quotaBytes === undefined) {
      await insert(this.pool());
      return true;
    }
    // The site's uploads take turns under its lock (every node), so the sum each reads counts the others'.
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [FILE_QUOTA_LOCK_SPACE, file.siteKey]);
      const used = Number((await rows<{ n: string | null }>(client, 'SELECT sum(size) AS n FROM files WHERE site_key = $1', [file.siteKey]))[0]?.n ?? 0);
      if (used + file.size > quotaBytes) return false;
      await insert(client);
      return true;
    });
  }

  async getFile(id: string): Promise<FileRecord | null> {
    const row = (await rows<FileRow>(this.pool(), 'SELECT * FROM files WHERE id = $1', [id]))[0];
    return row ? toFileRecord(row) : null;
  }

  async moveUnsentFiles(ids: readonly string[], from: string, to: string, uploadedBy: Address): Promise<number> {
    const moved = await this.pool().query(
      'UPDATE files SET conversation_id = $1 WHERE id = ANY($2::text[]) AND conversation_id = $3 AND uploaded_by = $4 AND message_id IS NULL',
      [to, [...ids], from, uploadedBy],
    );
    return moved.rowCount ?? 0;
  }

  async setFileThumbnail(id: string, thumbnailBlob: string): Promise<void> {
    await this.pool().query('UPDATE files SET thumbnail_blob = $1 WHERE id = $2', [thumbnailBlob, id]);
  }

  async blobsInUse(blobs: readonly string[], on: Queryable = this.pool()): Promise<Set<string>> {
    if (blobs.length === 0) return new Set();
    const used = await rows<{ blob: string }>(
      on,
      `SELECT b.blob FROM unnest($1::text[]) AS b (blob)
       WHERE EXISTS (SELECT 1 FROM files f WHERE f.blob = b.blob) OR EXISTS (SELECT 1 FROM files f WHERE f.thumbnail_blob = b.blob)`,
      [[...blobs]],
    );
    return new Set(used.map((row) => row.blob));
  }

  async deleteUnsentFiles(before: string): Promise<string[]> {
    return this.transaction(async (client) => {
      const deleted = await rows<FileRow>(client, 'DELETE FROM files WHERE message_id IS NULL AND created_at < $1 RETURNING blob, thumbnail_blob', [before]);
      return this.unused(deleted.flatMap(blobsOf), client);
    });
  }

  async siteFileBytes(siteKey: string): Promise<number> {
    const row = (await rows<{ n: string | null }>(this.pool(), 'SELECT sum(size) AS n FROM files WHERE site_key = $1', [siteKey]))[0];
    return Number(row?.n ?? 0);
  }

  // Steps of the store's own transactions.

  /** Binds a new message's files to it, in order; throws `FileClaimError` for one that may not go with it. */
  async claim(client: Queryable, messageId: string, conversationId: string, from: Address, ids: readonly string[]): Promise<Attachment[]> {
    const locked = await rows<FileRow>(client, 'SELECT * FROM files WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [[...ids]]);
    const byId = new Map(locked.map((row) => [row.id, row]));
    const attachments = ids.map((id) => {
      const row = byId.get(id);
      const refusal = claimRefusal(row, id, conversationId, from);
      if (refusal) throw refusal;
      return toAttachment(toFileRecord(row!));
    });
    await client.query('UPDATE files SET message_id = $1 WHERE id = ANY($2::text[])', [messageId, [...ids]]);
    return attachments;
  }

  /** Deletes these conversations' files; returns their blob keys. */
  async deleteOfConversations(client: Queryable, conversationIds: readonly string[]): Promise<string[]> {
    if (conversationIds.length === 0) return [];
    const deleted = await rows<FileRow>(client, 'DELETE FROM files WHERE conversation_id = ANY($1::text[]) RETURNING blob, thumbnail_blob', [
      [...conversationIds],
    ]);
    return deleted.flatMap(blobsOf);
  }

  /** Deletes these messages' files; returns their blob keys. */
  async deleteOfMessages(client: Queryable, conversationId: string, messageIds: readonly string[]): Promise<string[]> {
    if (messageIds.length === 0) return [];
    const deleted = await rows<FileRow>(
      client,
      'DELETE FROM files WHERE conversation_id = $1 AND message_id = ANY($2::text[]) RETURNING blob, thumbnail_blob',
      [conversationId, [...messageIds]],
    );
    return deleted.flatMap(blobsOf);
  }

  /** Deletes every file a party uploaded on a site; returns their blob keys. */
  async deleteUploadsOf(client: Queryable, siteKey: string, uploader: Address): Promise<string[]> {
    const deleted = await rows<FileRow>(client, 'DELETE FROM files WHERE site_key = $1 AND uploaded_by = $2 RETURNING blob, thumbnail_blob', [
      siteKey,
      uploader,
    ]);
    return deleted.flatMap(blobsOf);
  }

  /** Of these blob keys, those no file refers to any more. */
  async unused(blobs: readonly string[], on: Queryable): Promise<string[]> {
    const distinct = [...new Set(blobs)];
    const used = await this.blobsInUse(distinct, on);
    return distinct.filter((blob) => !used.has(blob));
  }
}
