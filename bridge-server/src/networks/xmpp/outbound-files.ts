/**
 * A message with files as XMPP clients show it best (docs/networks/xmpp.md, "Files"): its text,
 * then one stanza per file whose body is the file's link and nothing else, with the same link in
 * an out-of-band element (XEP-0066 section 4). Conversations, Gajim, Dino and Monal preview a file
 * inline only when the body is exactly the out-of-band URL. Links are signed for the recipient.
 * Without the bridge's files (no links to give), one body says what was sent.
 */
import type { Address, Attachment } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import { readableSize } from '@switchboard/protocol';
import { textWithFileLinks } from '../kit/file-lines.js';
import type { NetworkFiles } from '../network.js';
import { lruCache } from '../../util/lru.js';
import { NS, hopsElement, xmlSafe } from './stanzas.js';

/** One stanza's content: a body, and the out-of-band link when it is a file's. */
export interface OutboundPart {
  body: string;
  oob?: { url: string; desc: string };
}

/** The stanzas' contents for a message to `recipient`: the text (when there is some), then each file. */
export function outboundParts(
  text: string,
  attachments: readonly Attachment[] | undefined,
  files: NetworkFiles | undefined,
  recipient: Address,
): OutboundPart[] {
  if (!attachments || attachments.length === 0) return [{ body: text }];
  if (!files) return [{ body: textWithFileLinks(text, attachments, files, recipient) }];
  const parts: OutboundPart[] = text.trim().length > 0 ? [{ body: text }] : [];
  for (const file of attachments) {
    const url = files.link(file, recipient);
    parts.push({ body: url, oob: { url, desc: file.name } });
  }
  return parts;
}

/**
 * The id of a message's `index`th stanza: the message's own for the first (receipts and markers
 * name it), derived for the others, the same at every retry of the send.
 */
export const partId = (messageId: string, index: number): string => (index === 0 ? messageId : `${messageId}-${index + 1}`);
/** The message a part's stanza id (`partId`) is of. */
export const messageIdOfPart = (stanzaId: string): string => stanzaId.replace(/-\d+$/, '');

/** What one stanza of a message carries beside its part. */
export interface ChatStanza {
  /** The component's sender JID; a client's stanzas leave it out. */
  from?: string;
  to: string;
  messageId: string;
  /** Which of the message's stanzas: the first asks for receipts (XEP-0184) and is markable (XEP-0333). */
  index: number;
  part: OutboundPart;
  /** XEP-0085 section 5.1: an `active` says chat states are supported. */
  active?: boolean;
  /**
   * Whether the first stanza asks for receipts and is markable (the default): not from a sender
   * whose JID does not announce them (XEP-0184 section 5, XEP-0333 section 3: a gateway JID of a
   * network without receipts, such as IRC).
   */
  receipts?: boolean;
  /** XEP-0172: who wrote it. */
  nick?: string | undefined;
  /** The bridges the message went through (its hop marker). */
  via?: readonly string[] | undefined;
  /**
   * The message this one corrects (`Message.corrects`): its first stanza carries XEP-0308's
   * `<replace id>` naming that message's first stanza (whose id is the message's), so a client
   * that knows corrections shows it in that one's place, and one that does not shows it after.
   */
  corrects?: string | undefined;
  /**
   * XEP-0203: when the message was said, for one that goes out well after (`OutboundMessage.delayedSince`),
   * so the client shows it at its own time; `delayedBy`, the JID that held it (the component's domain).
   */
  delayedSince?: string | undefined;
  delayedBy?: string | undefined;
}

/**
 * An RFC 6121 `chat` message: the part's body and out-of-band link, the XEP-0359 origin-id (its
 * stanza id, the bridge's message id for the first), and what `ChatStanza` asks for.
 */
export function chatStanza({
  from,
  to,
  messageId,
  index,
  part,
  active = false,
  receipts = true,
  nick,
  via,
  corrects,
  delayedSince,
  delayedBy,
}: ChatStanza): Element {
  const id = partId(messageId, index);
  return xml(
    'message',
    { type: 'chat', ...(from ? { from } : {}), to, id },
    xml('body', {}, xmlSafe(part.body)),
    oobElement(part),
    xml('origin-id', { xmlns: NS.sid, id }),
    index === 0 && receipts ? xml('request', { xmlns: NS.receipts }) : null,
    index === 0 && receipts ? xml('markable', { xmlns: NS.markers }) : null,
    active ? xml('active', { xmlns: NS.chatStates }) : null,
    nick !== undefined ? xml('nick', { xmlns: NS.nick }, xmlSafe(nick)) : null,
    index === 0 && corrects !== undefined ? xml('replace', { xmlns: NS.correct, id: corrects }) : null,
    hopsElement(via),
    delayedSince !== undefined ? xml('delay', { xmlns: NS.delay, stamp: delayedSince, ...(delayedBy ? { from: delayedBy } : {}) }) : null,
  );
}

/** What a client without XEP-0424 shows of a retraction (its body, marked a fallback by XEP-0428). */
export const RETRACTION_FALLBACK = "/me retracted a previous message, but it's unsupported by your client.";

/**
 * XEP-0424 section 4: takes back the recipient's copy of the message `retracts`, named by the id
 * its first stanza had (the message's id, also its origin-id), with a fallback body for clients
 * without retraction (XEP-0428) and a hint to store it (XEP-0334) so the retraction reaches their
 * archive too.
 */
export function retractionStanza({ from, to, messageId, retracts }: { from?: string; to: string; messageId: string; retracts: string }): Element {
  return xml(
    'message',
    { type: 'chat', ...(from ? { from } : {}), to, id: messageId },
    xml('retract', { xmlns: NS.retract, id: retracts }),
    xml('fallback', { xmlns: NS.fallback, for: NS.retract }),
    xml('body', {}, RETRACTION_FALLBACK),
    xml('origin-id', { xmlns: NS.sid, id: messageId }),
    xml('store', { xmlns: NS.hints }),
  );
}

/** Messages whose stanzas are remembered for their retraction. */
const PARTS_KEPT = 10_000;

/**
 * How many stanzas each recent message with files went out in: XEP-0424 takes back one stanza by
 * its id, so a message taken back takes back each of them (its files' links would stay on screen,
 * leading nowhere once the files are gone). The last 10,000 since the start; an older one, or one
 * from before a restart, takes back its first stanza only.
 */
export class SentParts {
  private readonly counts = lruCache<string, number>(PARTS_KEPT);

  sent(messageId: string, stanzas: number): void {
    if (stanzas > 1) this.counts.set(messageId, stanzas);
  }

  /** The retractions of message `retracts`, one per stanza it went out in (ids from `messageId`, the retraction's). */
  retractions({ from, to, messageId, retracts }: { from?: string; to: string; messageId: string; retracts: string }): Element[] {
    const stanzas = this.counts.get(retracts) ?? 1;
    return Array.from({ length: stanzas }, (_, index) =>
      retractionStanza({ ...(from ? { from } : {}), to, messageId: partId(messageId, index), retracts: partId(retracts, index) }),
    );
  }
}

/** XEP-0066 section 4: `<x xmlns='jabber:x:oob'><url/><desc/></x>`, or null for a text part. */
export function oobElement(part: OutboundPart): Element | null {
  return part.oob ? xml('x', { xmlns: NS.oob }, xml('url', {}, xmlSafe(part.oob.url)), xml('desc', {}, xmlSafe(part.oob.desc))) : null;
}

/** The files of a message as a line each without their links (`[file] a.png (12 kB)`), for a heading. */
export function fileNames(attachments: readonly Attachment[]): string {
  return attachments.map((file) => `[file] ${file.name} (${readableSize(file.size)})`).join('\n');
}
