/**
 * Files of messages (docs/protocol.md, "Files"): uploads checked and stored (the site's types and
 * limits, the type sniffed from the content, images measured and previewed), files received from
 * networks, reading them (signed links, the party's session), and deleting the bytes no file
 * refers to any more (after retention, an erasure, or an upload never sent).
 */
import { Readable } from 'node:stream';
import type { Address, Attachment } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { SiteConfig } from '../../config.js';
import type { Metrics } from '../../metrics.js';
import { readableSize } from '@switchboard/protocol';
import type { InboundFile, NetworkFiles } from '../../networks/network.js';
import { fileClaimRefusal, toAttachment } from '../../store/file-rows.js';
import type { ConversationRecord, FileRecord, Store } from '../../store/store.js';
import { newId } from '../../util/ids.js';
import { type RateLimiter, type RateLimits, memoryRateLimits } from '../../cluster/rate-limits.js';
import type { Actor } from '../actor.js';
import { BridgeError, badRequest, forbidden, notFound } from '../errors.js';
import { type BlobStore, BlobTooLarge, type ByteRange } from './blob-store.js';
import type { FilesConfig } from './config.js';
import type { FileAccess } from './file-access.js';
import { READABLE_IMAGES, imageFacts, thumbnail } from './images.js';
import type { FileLinks, FileVariant, LinkQuery } from './links.js';
import { cleanName, nameForType } from './names.js';
import { CharsetReader, type TextCharset, textCharset } from '../../util/text-charset.js';
import { SNIFF_BYTES, sniff } from './sniff.js';
import { SerialQueues } from '../../util/serial.js';
import { LIMITS } from '@switchboard/protocol';
import { DEFAULT_FILE_TYPES, typeAllowed } from './types-policy.js';

/** How long a `file:link` link stays valid. */
export const CLIENT_LINK_SECONDS = 3600;
/** How old bytes no file refers to must be before the stray sweep deletes them (an upload in progress is younger). */
const STRAY_AFTER_MS = 60 * 60_000;
/** How often files never sent are looked for. */
const UNSENT_SWEEP_MS = 60 * 60_000;

/** Why an upload was refused, as counted in /metrics and said in an inbound message's text. */
type RefusalReason = 'disabled' | 'too_large' | 'quota' | 'type' | 'empty' | 'rate_limited';

class FileRefusal extends BridgeError {
  constructor(
    code: BridgeError['code'],
    message: string,
    readonly reason: RefusalReason,
    /** How an inbound message's text says it: `[file not accepted: name: <said>]`. */
    readonly said: string,
  ) {
    super(code, message);
  }
}

const noFiles = (siteKey: string) => new FileRefusal('forbidden', `files: site "${siteKey}" takes no files`, 'disabled', 'this site takes no files');

export interface FileServiceDeps {
  store: Store;
  blobs: BlobStore;
  access: FileAccess;
  links: FileLinks;
  sites: readonly SiteConfig[];
  config: FilesConfig;
  /** The bridge's public base URL, links' prefix. */
  publicUrl: () => string;
  /**
   * Whether the folder is this store's (`LocalBlobStore.claim`): only then are bytes no file refers
   * to deleted by the stray sweep.
   */
  ownsFolder?: boolean;
  /** Whether `publicUrl` was configured (`server.publicUrl`): then it prefixes clients' links too. */
  publicUrlConfigured?: boolean;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
  /** Where uploads per party are counted: shared by every node (Redis), or this process's memory by default. */
  rateLimits?: RateLimits;
}

/** A file as answered: its length and type, how long a cache may keep it, and its bytes (all or a range) once asked for. */
export interface ServedFile {
  file: FileRecord;
  variant: FileVariant;
  size: number;
  /** The bytes, all or one range within `size`; `not_found` when they are gone. */
  read(range?: ByteRange): Promise<Readable>;
  type: string;
  /** A text file's charset (UTF-8 for other files). */
  charset: TextCharset;
  /** Seconds a private cache may keep it. */
  maxAge: number;
}

interface SitePolicy {
  types: readonly string[];
  maxFileBytes: number;
  quotaBytes?: number;
}

export class FileService {
  private readonly uploads: RateLimiter;
  /** Blobs an upload is writing or recording: not deleted by a release meanwhile. */
  private readonly writing = new Map<string, number>();
  /**
   * One step at a time per blob key: an upload moving its bytes in place (and holding them) and a
   * release checking that nothing uses them and deleting them never interleave.
   */
  private readonly blobSteps = new SerialQueues();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: FileServiceDeps) {
    this.uploads = (deps.rateLimits ?? memoryRateLimits(() => this.now())).bucket({
      name: 'uploads',
      perSecond: deps.config.uploadsPerMinute / 60,
      burst: Math.max(1, Math.floor(deps.config.uploadsPerMinute)),
    });
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The site's rules for files; null when it takes none. */
  private policyOf(siteKey: string): SitePolicy | null {
    const site = this.deps.sites.find((each) => each.key === siteKey);
    if (site?.files === false) return null;
    const files = site?.files;
    return {
      types: files?.types ?? DEFAULT_FILE_TYPES,
      maxFileBytes: Math.min(this.deps.config.maxFileBytes, files?.maxFileBytes ?? Infinity),
      ...(files?.quotaBytes !== undefined ? { quotaBytes: files.quotaBytes } : {}),
    };
  }

  /**
   * `POST /v1/files`: stores a party's upload into a conversation it may read. What refuses it is
   * found before a byte of the content is read (a site that takes no files, a conversation the
   * actor may not read, a `declaredBytes` past what the site takes, the upload rate), then
   * `admitted` is called (the client may be waiting to be asked for the body); a length not
   * declared, and the quota, are measured as the bytes come.
   */
  async upload(
    actor: Actor,
    input: { conversationId: string; name: string; content: Readable | Buffer; declaredBytes?: number; admitted?: () => void },
  ): Promise<Attachment> {
    try {
      const policy = this.policyOf(actor.siteKey);
      if (!policy) throw noFiles(actor.siteKey);
      const conversation = await this.deps.access.conversationFor(actor, input.conversationId);
      // Before the rate: a file refused for its size spends no upload.
      if ((input.declaredBytes ?? 0) > policy.maxFileBytes) throw tooLarge(policy);
      const verdict = await this.uploads.take(actor.address);
      if (!verdict.ok)
        throw Object.assign(
          new FileRefusal('rate_limited', `Too many uploads: at most ${this.deps.config.uploadsPerMinute} per minute.`, 'rate_limited', 'too many files'),
          { retryAfterMs: verdict.retryAfterMs },
        );
      input.admitted?.();
      const file = await this.keep(conversation, actor.address, input.name, input.content);
      return toAttachment(file);
    } catch (error) {
      if (error instanceof FileRefusal) this.deps.metrics.fileUploadsRefused.inc({ reason: error.reason });
      throw error;
    }
  }

  /**
   * Files a network brought with a message, stored before the message (which then names them);
   * each refused one is said as a line of the text instead: `[file not accepted: name: reason]`.
   */
  async receiveInbound(conversation: ConversationRecord, from: Address, files: readonly InboundFile[]): Promise<{ ids: string[]; refused: string[] }> {
    const ids: string[] = [];
    const refused: string[] = [];
    let bytes = 0;
    for (const inbound of files) {
      // A message carries what the contract lets one carry, wherever it came from.
      if (ids.length >= LIMITS.maxMessageAttachments) {
        refused.push(`[file not accepted: ${cleanName(inbound.name)}: more than ${LIMITS.maxMessageAttachments} files in one message]`);
        continue;
      }
      if (bytes + inbound.content.length > this.deps.config.maxMessageBytes) {
        refused.push(`[file not accepted: ${cleanName(inbound.name)}: the message's files would pass ${this.deps.config.maxMessageBytes} bytes]`);
        continue;
      }
      try {
        ids.push((await this.keep(conversation, from, inbound.name, inbound.content)).id);
        bytes += inbound.content.length;
      } catch (error) {
        if (!(error instanceof FileRefusal)) throw error;
        this.deps.metrics.fileUploadsRefused.inc({ reason: error.reason });
        refused.push(`[file not accepted: ${cleanName(inbound.name)}: ${error.said}]`);
      }
    }
    return { ids, refused };
  }

  /** Checks and stores one file of a conversation: whole, sniffed, measured, recorded; or refused, keeping nothing. */
  private async keep(conversation: ConversationRecord, from: Address, rawName: string, content: Readable | Buffer): Promise<FileRecord> {
    const { store, blobs } = this.deps;
    const siteKey = conversation.siteKey;
    const policy = this.policyOf(siteKey);
    if (!policy) throw noFiles(siteKey);
    // Too large whatever the quota: said so, not that the quota is full.
    if (Buffer.isBuffer(content) && content.length > policy.maxFileBytes) throw tooLarge(policy);
    const quotaLeft = policy.quotaBytes === undefined ? Infinity : policy.quotaBytes - (await store.siteFileBytes(siteKey));
    const quotaFull = () =>
      new FileRefusal('too_large', `file: the site's files would exceed its quota of ${policy.quotaBytes} bytes`, 'quota', "the site's file space is full");
    if (quotaLeft <= 0) throw quotaFull();
    let written;
    try {
      written = await blobs.put(content, Math.min(policy.maxFileBytes, quotaLeft), (key, move) =>
        this.blobSteps.run(key, async () => {
          await move();
          this.hold([key]);
        }),
      );
    } catch (error) {
      if (!(error instanceof BlobTooLarge)) throw error;
      if (error.maxBytes < policy.maxFileBytes) throw quotaFull();
      throw tooLarge(policy);
    }
    const keys = [written.key];
    try {
      if (written.size === 0) throw new FileRefusal('bad_request', "body: empty; send the file's bytes", 'empty', 'empty');
      const head = await this.head(written.key);
      const whole = written.size <= SNIFF_BYTES;
      const { type, extension } = await sniff(head, whole);
      if (!typeAllowed(type, policy.types))
        throw new FileRefusal(
          'bad_request',
          `file: its content is ${type}, which this site does not take; it takes ${policy.types.join(', ')}`,
          'type',
          `${type} is not taken here`,
        );
      const file: FileRecord = {
        id: newId('f'),
        name: nameForType(cleanName(rawName), extension),
        type,
        size: written.size,
        sha256: written.key,
        siteKey,
        conversationId: conversation.id,
        uploadedBy: from,
        createdAt: new Date(this.now()).toISOString(),
        blob: written.key,
      };
      // Read whole only when the head is not the whole file already.
      if (type.startsWith('text/')) file.charset = (whole ? textCharset(head, true) : await this.charsetOf(written.key)) ?? 'utf-8';
      if (READABLE_IMAGES.has(type)) {
        const input = await this.imageInput(written.key);
        const facts = input && (await imageFacts(input));
        // Measured only when a preview can be made too: an image whose header reads but whose
        // pixels do not (cut short, corrupt) is a plain file, shown as such.
        const preview = facts ? await this.makeThumbnail(file.blob, input) : null;
        if (facts && preview) {
          Object.assign(file, facts);
          keys.push(preview);
          file.thumbnailBlob = preview;
        }
      }
      // The quota checked again where the file is recorded: uploads running at once all read the same room above.
      if (!(await store.createFile(file, policy.quotaBytes))) throw quotaFull();
      this.unhold(keys);
      await blobs.settle(keys).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'file bytes not settled (held until the hold lapses)'));
      this.deps.metrics.filesUploaded.inc({ site: siteKey });
      return file;
    } catch (error) {
      this.unhold(keys);
      await blobs.settle(keys).catch(() => undefined);
      await this.release(keys);
      throw error;
    }
  }

  /** The charset of a text blob, read whole: its first bytes may all be ASCII and a later one not. */
  private async charsetOf(key: string): Promise<TextCharset | undefined> {
    const stream = await this.deps.blobs.open(key);
    if (!stream) return undefined;
    const reader = new CharsetReader();
    for await (const chunk of stream) reader.feed(chunk as Buffer);
    return reader.end();
  }

  /** The first bytes of a blob, for sniffing. */
  private async head(key: string): Promise<Buffer> {
    const stream = await this.deps.blobs.open(key, { start: 0, end: SNIFF_BYTES - 1 });
    if (!stream) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= SNIFF_BYTES) break;
    }
    stream.destroy();
    return Buffer.concat(chunks).subarray(0, SNIFF_BYTES);
  }

  /** What the image reader reads: the blob's path, or its bytes for an engine that keeps none locally. */
  private async imageInput(key: string): Promise<string | Buffer | null> {
    const path = await this.deps.blobs.localPath(key);
    if (path) return path;
    return this.bytes(key);
  }

  private async bytes(key: string): Promise<Buffer | null> {
    const stream = await this.deps.blobs.open(key);
    if (!stream) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Makes and stores an image's preview, held like the upload's bytes; its key, or null when the image cannot be read. */
  private async makeThumbnail(blob: string, input: string | Buffer): Promise<string | null> {
    const preview = await thumbnail(input);
    if (!preview) return null;
    const key = `${blob}.thumb`;
    await this.blobSteps.run(key, async () => {
      await this.deps.blobs.putAs(key, preview);
      this.hold([key]);
    });
    return key;
  }

  /** The sizes of a message's files together, within `files.maxMessageBytes` (unknown files are the store's to refuse). */
  async checkAttachments(fileIds: readonly string[], conversationId: string, sender: Address): Promise<void> {
    let total = 0;
    for (const id of fileIds) {
      const file = await this.deps.store.getFile(id);
      // Refused now as the store would refuse it when the message is stored, before the message
      // changes anything of its conversation (reopens it, joins its sender, takes it from the queue).
      const refusal = fileClaimRefusal(file ? { ...file, sent: file.messageId !== undefined } : undefined, id, conversationId, sender);
      if (refusal) throw badRequest(refusal.message);
      total += file!.size;
    }
    if (total > this.deps.config.maxMessageBytes)
      throw new BridgeError('too_large', `attachments: ${total} bytes together, more than the ${this.deps.config.maxMessageBytes} a message may carry`);
  }

  /**
   * `file:link`: a signed link for the actor, valid one hour, under `server.publicUrl`, or else
   * under the address the client reached the bridge at (`reachedAt`, its connection's), so that a
   * page on `localhost` gets links on `localhost`.
   */
  async linkFor(actor: Actor, fileId: string, variant: FileVariant = 'original', reachedAt?: string): Promise<{ url: string; expiresAt: string }> {
    const file = await this.deps.access.forActor(actor, fileId);
    if (variant === 'thumbnail' && !hasThumbnail(file)) throw notFound(`fileId: file "${fileId}" has no thumbnail (only images the bridge reads have one)`);
    const expires = Math.floor(this.now() / 1000) + CLIENT_LINK_SECONDS;
    const base = this.deps.publicUrlConfigured || reachedAt === undefined ? this.deps.publicUrl() : reachedAt;
    return { url: this.url(file, variant, actor.address, expires, base), expiresAt: new Date(expires * 1000).toISOString() };
  }

  private url(file: Attachment, variant: FileVariant, party: Address, expires: number, base = this.deps.publicUrl()): string {
    return base + this.deps.links.path({ fileId: file.id, variant, party, expires }, file.name);
  }

  /** `GET /v1/files/:id` with a party's session. */
  async openFor(actor: Actor, fileId: string, variant: FileVariant): Promise<ServedFile> {
    return this.serve(await this.deps.access.forActor(actor, fileId), variant, 0);
  }

  /** `GET /v1/files/:id/:name?p&e&s`: the signature, the expiry, then that the party may still read the file. */
  async openSigned(fileId: string, query: Partial<LinkQuery>): Promise<ServedFile> {
    const now = this.now();
    const checked = this.deps.links.verify(fileId, query, now);
    if (!checked.ok)
      throw new BridgeError('unauthorized', checked.reason === 'expired' ? 'link: expired; ask for a new one' : 'link: not a valid link of this bridge');
    const file = await this.deps.store.getFile(fileId);
    if (!file) throw notFound(`file "${fileId}" is gone`);
    if (!(await this.deps.access.partyMayRead(checked.claims.party, file))) throw forbidden('link: its party may no longer read this file');
    return this.serve(file, checked.claims.variant, Math.min(CLIENT_LINK_SECONDS, checked.claims.expires - Math.floor(now / 1000)));
  }

  private async serve(file: FileRecord, variant: FileVariant, maxAge: number): Promise<ServedFile> {
    const served = (bytes: number) => this.deps.metrics.fileBytesServed.inc({ site: file.siteKey }, bytes);
    if (variant === 'thumbnail') {
      if (!hasThumbnail(file)) throw notFound(`file "${file.id}" has no thumbnail`);
      const preview = await this.thumbnailOf(file);
      if (!preview) throw notFound(`file "${file.id}" has no thumbnail`);
      const read = (range?: ByteRange) => {
        const bytes = range ? preview.subarray(range.start, range.end + 1) : preview;
        served(bytes.length);
        return Promise.resolve(Readable.from([bytes]));
      };
      return { file, variant, size: preview.length, type: 'image/webp', maxAge, read, charset: 'utf-8' };
    }
    const read = async (range?: ByteRange) => {
      const content = await this.deps.blobs.open(file.blob, range);
      if (!content) throw notFound(`file "${file.id}" is gone`);
      served(range ? range.end - range.start + 1 : file.size);
      return content;
    };
    return { file, variant, size: file.size, type: file.type, maxAge, read, charset: file.charset ?? 'utf-8' };
  }

  /** The preview's bytes, made again when its blob was lost. */
  private async thumbnailOf(file: FileRecord): Promise<Buffer | null> {
    if (file.thumbnailBlob) {
      const kept = await this.bytes(file.thumbnailBlob);
      if (kept) return kept;
    }
    const input = await this.imageInput(file.blob);
    const preview = input && (await thumbnail(input));
    if (!preview) return null;
    const key = `${file.blob}.thumb`;
    await this.blobSteps.run(key, async () => {
      await this.deps.blobs.putAs(key, preview);
      this.hold([key]);
    });
    try {
      await this.deps.store.setFileThumbnail(file.id, key);
    } finally {
      this.unhold([key]);
      await this.deps.blobs.settle([key]).catch(() => undefined); // a hold left lapses within the hour
    }
    return preview;
  }

  /** Files as networks reach them: links for their recipients, bytes, the inbound bound. */
  networkView(): NetworkFiles {
    return {
      link: (file, recipient) => this.url(file, 'original', recipient, Math.floor(this.now() / 1000) + this.deps.config.linkTtlSeconds),
      read: async (file) => {
        const record = await this.deps.store.getFile(file.id);
        return record ? this.bytes(record.blob) : null;
      },
      maxFileBytes: this.deps.config.maxFileBytes,
    };
  }

  /** Deletes the blobs of these keys that no file refers to (after the store deleted files). */
  async release(keys: readonly string[]): Promise<void> {
    for (const key of new Set(keys)) {
      await this.blobSteps.run(key, async () => {
        // Checked inside the key's step: an upload of the same bytes either placed and holds them
        // already, or places them after they are gone.
        if (this.writing.has(key) || (await this.deps.store.blobsInUse([key])).size > 0) return;
        await this.deps.blobs.delete(key).catch((error: unknown) => this.deps.logger.warn({ err: error, blob: key }, 'file bytes not deleted'));
      });
    }
  }

  private hold(keys: readonly string[]): void {
    for (const key of keys) this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
  }

  private unhold(keys: readonly string[]): void {
    for (const key of keys) {
      const count = (this.writing.get(key) ?? 0) - 1;
      if (count > 0) this.writing.set(key, count);
      else this.writing.delete(key);
    }
  }

  /** Deletes files never sent and older than `files.unsentHours`, and their bytes. */
  async sweepUnsent(): Promise<void> {
    const before = new Date(this.now() - this.deps.config.unsentHours * 3_600_000).toISOString();
    await this.release(await this.deps.store.deleteUnsentFiles(before));
    await this.sweepStray();
  }

  /**
   * Deletes bytes no file refers to that are older than an hour: what a crash between the store's
   * commit and the release (an erasure, a retention sweep) or between the bytes and their record
   * (an upload) left behind.
   */
  async sweepStray(): Promise<void> {
    // Only in a folder this store owns: another store's files are not this one's to judge.
    if (!this.deps.ownsFolder) return;
    await this.deps.blobs.sweepTemporary?.();
    const before = this.now() - STRAY_AFTER_MS;
    const batch: string[] = [];
    const flush = async () => {
      const keys = batch.splice(0);
      const used = await this.deps.store.blobsInUse(keys);
      await this.release(keys.filter((key) => !used.has(key)));
    };
    for await (const blob of this.deps.blobs.list()) {
      if (blob.modifiedAt >= before) continue;
      batch.push(blob.key);
      if (batch.length >= 500) await flush();
    }
    await flush();
  }

  /** Sweeps unsent files now, then every hour. */
  async start(): Promise<void> {
    await this.sweepUnsent();
    this.timer = setInterval(() => {
      this.sweepUnsent().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'unsent files not swept'));
    }, UNSENT_SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function hasThumbnail(file: FileRecord): boolean {
  return READABLE_IMAGES.has(file.type) && file.width !== undefined;
}

/** A file past the most a file may have on its site. */
function tooLarge(policy: SitePolicy): FileRefusal {
  return new FileRefusal(
    'too_large',
    `file: larger than ${policy.maxFileBytes} bytes, the most a file may have here`,
    'too_large',
    `larger than ${readableSize(policy.maxFileBytes)}`,
  );
}
