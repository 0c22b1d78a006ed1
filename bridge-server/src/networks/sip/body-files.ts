/**
 * MESSAGE bodies that are files (RFC 3428 section 9: a MESSAGE body may be any MIME type): a
 * picture, a PDF, or a multipart body (RFC 2046) of text and files. Read with mailparser, which
 * decodes each part's transfer encoding and its file name (RFC 2231, RFC 2047), as the bridge's
 * mail is. The names and declared types are the sender's word: the core cleans the one and sniffs
 * the content instead of trusting the other.
 */
import { simpleParser } from 'mailparser';
import { htmlToText } from '../email/mail-text.js';
import type { InboundFile } from '../network.js';
import { oneLine } from '../../util/text.js';
import { isTextBody } from './body-text.js';

/** A body and the headers that describe it (of the MESSAGE, or of its CPIM wrapper). */
export interface FileBody {
  /** The whole Content-Type, parameters included (a multipart body's boundary). */
  contentType: string;
  /** Content-Disposition, when given (`render; filename="photo.jpg"`). */
  disposition?: string | undefined;
  body: Buffer;
}

export interface BodyContent {
  /** The text parts of a multipart body; empty for a single file. */
  text: string;
  files: InboundFile[];
  /**
   * The IMDN documents among a multipart body's parts (`message/imdn+xml`): notifications about
   * messages, not files (liblinphone sends several of them as one body, RFC 5438 section 7.2.1).
   */
  notifications: string[];
  /**
   * The media types of a multipart body's parts that are neither text, files nor notifications
   * (a session description, an XML document of SIP's): left out, as such a body alone would be.
   */
  skipped: string[];
}

/** A part that is a disposition notification (RFC 5438 section 7.2.1.1). */
const IMDN_TYPE = 'message/imdn+xml';

/** A name when the sender gave none. */
const UNNAMED = 'file';

/**
 * Whether a body of this media type (lowercased, no parameters) is files for the conversation:
 * pictures, sound, video, documents (`text/*` other than the text types of body-text.ts), or a
 * multipart body. Not the documents of SIP itself (a session description, XML bodies such as
 * presence or RCS file-transfer descriptors, message/*).
 */
export function carriesFiles(type: string): boolean {
  if (/^(image|audio|video|font|model)\//.test(type) || type.startsWith('multipart/')) return true;
  if (type.startsWith('text/')) return !isTextBody(type);
  return type.startsWith('application/') && type !== 'application/sdp' && type !== 'application/xml' && !type.endsWith('+xml');
}

/**
 * The text and files of a body that `carriesFiles`. A single part is one file, named by its
 * Content-Disposition `filename` (or the Content-Type's `name`), else `file`; a multipart body
 * gives its text parts as text (its HTML made plain text when it has no plain text part) and its
 * other parts as files.
 */
export async function readFileBody({ contentType, disposition, body }: FileBody): Promise<BodyContent> {
  const type = oneLine(contentType).trim();
  const multipart = /^multipart\//i.test(type);
  // A single body is a file whatever its type: an attachment, keeping the sender's parameters (its name).
  const params = oneLine(disposition ?? '').replace(/^[^;]*/, '');
  const head = [`Content-Type: ${type}`, ...(multipart ? [] : [`Content-Disposition: attachment${params}`]), 'Content-Transfer-Encoding: binary', '', ''];
  const parsed = await simpleParser(Buffer.concat([Buffer.from(head.join('\r\n'), 'utf8'), body]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  // mailparser keeps a text/html part apart from the text parts (`html`), not as a file.
  const text = parsed.text ?? (typeof parsed.html === 'string' ? htmlToText(parsed.html) : '');
  type Attachment = (typeof parsed.attachments)[number];
  const typeOf = (attachment: Attachment) => attachment.contentType?.toLowerCase() ?? '';
  const isNotification = (attachment: Attachment) => multipart && typeOf(attachment) === IMDN_TYPE;
  // A text part mailparser holds apart is an attached file (its Content-Disposition says so), as a body of its own would not be.
  const isSkipped = (attachment: Attachment) =>
    multipart && !isNotification(attachment) && !typeOf(attachment).startsWith('text/') && !carriesFiles(typeOf(attachment));
  return {
    text: multipart ? text.trim() : '',
    files: parsed.attachments
      .filter((attachment) => !isNotification(attachment) && !isSkipped(attachment))
      .map((attachment) => ({
        name: attachment.filename?.trim() || UNNAMED,
        ...(attachment.contentType ? { declaredType: attachment.contentType } : {}),
        content: attachment.content,
      })),
    notifications: parsed.attachments.filter(isNotification).map((attachment) => attachment.content.toString('utf8')),
    skipped: parsed.attachments.filter(isSkipped).map(typeOf),
  };
}
