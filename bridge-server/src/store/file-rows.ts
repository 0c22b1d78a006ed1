/** Row shapes and rules of files that every SQL engine shares (store.ts `FileRecord`, `Message.attachments`). */
import type { Address, Attachment } from '@switchboard/protocol';
import type { TextCharset } from '../util/text-charset.js';
import { FileClaimError, type FileRecord } from './store.js';

export interface FileRow {
  id: string;
  site_key: string;
  conversation_id: string;
  uploaded_by: string;
  name: string;
  media_type: string;
  /** Postgres returns a BIGINT as a string. */
  size: number | string;
  sha256: string;
  width: number | null;
  height: number | null;
  created_at: string;
  message_id: string | null;
  blob: string;
  thumbnail_blob: string | null;
  charset: string | null;
}

export function toAttachment(file: Pick<FileRecord, keyof Attachment>): Attachment {
  const attachment: Attachment = { id: file.id, name: file.name, type: file.type, size: file.size, sha256: file.sha256 };
  if (file.width !== undefined) attachment.width = file.width;
  if (file.height !== undefined) attachment.height = file.height;
  return attachment;
}

export function toFileRecord(row: FileRow): FileRecord {
  const file: FileRecord = {
    id: row.id,
    name: row.name,
    type: row.media_type,
    size: Number(row.size),
    sha256: row.sha256,
    siteKey: row.site_key,
    conversationId: row.conversation_id,
    uploadedBy: row.uploaded_by as Address,
    createdAt: row.created_at,
    blob: row.blob,
  };
  if (row.width !== null) file.width = row.width;
  if (row.height !== null) file.height = row.height;
  if (row.message_id !== null) file.messageId = row.message_id;
  if (row.thumbnail_blob !== null) file.thumbnailBlob = row.thumbnail_blob;
  if (row.charset) file.charset = row.charset as TextCharset;
  return file;
}

/** A file record's columns, named as the engines' INSERTs take them. */
export function fileParams(file: FileRecord) {
  return {
    id: file.id,
    siteKey: file.siteKey,
    conversationId: file.conversationId,
    uploadedBy: file.uploadedBy,
    name: file.name,
    type: file.type,
    size: file.size,
    sha256: file.sha256,
    width: file.width ?? null,
    height: file.height ?? null,
    createdAt: file.createdAt,
    messageId: file.messageId ?? null,
    blob: file.blob,
    thumbnailBlob: file.thumbnailBlob ?? null,
    charset: file.charset ?? null,
  };
}

/** Why a file may not go with a message from `from` in `conversationId`; undefined when it may. */
export function claimRefusal(file: FileRow | undefined, id: string, conversationId: string, from: Address): FileClaimError | undefined {
  return fileClaimRefusal(
    file && { conversationId: file.conversation_id, uploadedBy: file.uploaded_by, sent: file.message_id !== null },
    id,
    conversationId,
    from,
  );
}

/** The same for a file as the store answers it (`getFile`): checked before a message changes its conversation. */
export function fileClaimRefusal(
  file: { conversationId: string; uploadedBy: string; sent: boolean } | undefined,
  id: string,
  conversationId: string,
  from: Address,
): FileClaimError | undefined {
  if (!file) return new FileClaimError(id, 'does not exist (upload it first with POST /v1/files)');
  if (file.conversationId !== conversationId) return new FileClaimError(id, 'was uploaded to another conversation');
  if (file.uploadedBy !== from) return new FileClaimError(id, 'was uploaded by someone else');
  if (file.sent) return new FileClaimError(id, 'was sent with another message already');
  return undefined;
}

/** Both blob keys of a file row (content, and preview when there is one). */
export function blobsOf(row: Pick<FileRow, 'blob' | 'thumbnail_blob'>): string[] {
  return row.thumbnail_blob === null ? [row.blob] : [row.blob, row.thumbnail_blob];
}

/** `messages.attachments` as stored: JSON of the message's `Attachment`s, or null without any. */
export function attachmentsColumn(attachments: readonly Attachment[] | undefined): string | null {
  return attachments && attachments.length > 0 ? JSON.stringify(attachments) : null;
}
