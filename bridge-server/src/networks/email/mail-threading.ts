/**
 * Threading that holds: the Message-IDs the bridge writes under its own domain, the In-Reply-To
 * and References of its mail in a conversation (RFC 5322 section 3.6.4), the plus address it
 * puts in Reply-To (RFC 5233 subaddress), and the match of an inbound mail to its conversation:
 * by its thread headers, then by a plus address whose token only the bridge can make, never by
 * its subject.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** References written at most: the thread's first mail and the latest ones (RFC 5322 sets no limit; long headers get cut by servers). */
export const MAX_REFERENCES = 20;
/** Thread headers of an inbound mail looked up at most: In-Reply-To and the latest References. */
const MAX_LOOKUPS = 20;
/** A msg-id the bridge writes: `<left@right>`, no space, control character or angle bracket. */
const MESSAGE_ID = /^<[^<>@\s\u0000-\u001f\u007f]+@[^<>@\s\u0000-\u001f\u007f]+>$/;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
/** Conversation ids a plus address can carry as they are: local-part characters, never the separator. */
const CONVERSATION_ID = /^[a-z0-9_]{1,48}$/;
/** Characters of a token's MAC: 80 bits in RFC 4648 base32, lowercase. */
const MAC_LENGTH = 16;
/** RFC 5321 section 4.5.3.1.1: the longest local part a server must take. */
const MAX_LOCAL_PART = 64;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Whether a value is a Message-ID the bridge may write in a header. */
export function isMessageId(value: string): boolean {
  return value.length <= 250 && MESSAGE_ID.test(value);
}

/** Whether a Message-ID is one the bridge wrote under its domain: such a mail coming in is the bridge's own, come back. */
export function isOwnMessageId(messageId: string, domain: string): boolean {
  return messageId.toLowerCase().endsWith(`@${domain.toLowerCase()}>`);
}

function checkDomain(domain: string): void {
  if (!DOMAIN.test(domain)) throw new Error(`not a domain for Message-IDs: ${JSON.stringify(domain)}`);
}

/** A new, unique Message-ID under the bridge's domain: `<time.random@domain>` (128 random bits). */
export function newMessageId(domain: string): string {
  checkDomain(domain);
  return `<${Date.now().toString(36)}.${randomBytes(16).toString('hex')}@${domain.toLowerCase()}>`;
}

/** Stored message ids a Message-ID of the bridge carries as they are: local-part characters, no dot. */
const STORED_MESSAGE_ID = /^[a-z0-9_-]{1,64}$/;
/** Characters of a Message-ID's MAC: 130 bits in RFC 4648 base32, lowercase. */
const MESSAGE_ID_MAC_LENGTH = 26;

function messageIdMac(secret: string, messageId: string, recipient: string): string {
  const mac = createHmac('sha256', secret).update(`switchboard-email-message-id\u0000${messageId}\u0000${recipient.toLowerCase()}`).digest();
  return base32(mac).slice(0, MESSAGE_ID_MAC_LENGTH);
}

/**
 * The Message-ID of one stored message mailed to one recipient, `<m.<message id>.<mac>@domain>`:
 * the same on every attempt, so a mail sent again after a crash between the server's acceptance
 * and the outbox's record is the same mail to the recipient's client; it names its message, so a
 * reply or a bounce finds it without a record, and the MAC (under the secret, bound to the
 * recipient) makes it one only the bridge can write, for that recipient only.
 */
export function messageIdFor(secret: string, domain: string, messageId: string, recipient: string): string {
  checkDomain(domain);
  if (!STORED_MESSAGE_ID.test(messageId)) throw new Error(`not a message id a Message-ID can carry: ${JSON.stringify(messageId)}`);
  return `<m.${messageId}.${messageIdMac(secret, messageId, recipient)}@${domain.toLowerCase()}>`;
}

/**
 * The stored message a Message-ID of the bridge names, when its MAC is the one the bridge wrote for
 * this recipient (compared in constant time); null for any other Message-ID, forged or not.
 */
export function messageOfMessageId(secret: string, domain: string, mailId: string, recipient: string): string | null {
  const named = parseMessageId(domain, mailId);
  if (!named) return null;
  return timingSafeEqual(named.mac, Buffer.from(messageIdMac(secret, named.messageId, recipient))) ? named.messageId : null;
}

/**
 * The stored message a Message-ID in the bridge's form names, its MAC unchecked: only to find
 * whom it may have been sent to, each of whom `messageOfMessageId` then checks. Never trust it alone.
 */
export function messageNamedBy(domain: string, mailId: string): string | null {
  return parseMessageId(domain, mailId)?.messageId ?? null;
}

function parseMessageId(domain: string, mailId: string): { messageId: string; mac: Buffer } | null {
  const match = /^<m\.([^.@<>]+)\.([a-z2-7]+)@([^@<>]+)>$/.exec(mailId.trim().toLowerCase());
  if (!match || match[3] !== domain.toLowerCase()) return null;
  const [, messageId = '', macText = ''] = match;
  const mac = Buffer.from(macText);
  return STORED_MESSAGE_ID.test(messageId) && mac.length === MESSAGE_ID_MAC_LENGTH ? { messageId, mac } : null;
}

export interface ThreadHeaders {
  /** The mail answered: the thread's latest. */
  inReplyTo?: string;
  /** The thread, oldest first: its first mail, then the latest ones. */
  references?: string[];
}

/**
 * The thread headers of a mail in a conversation whose mails (sent and received, oldest first)
 * had `chain` as Message-IDs: In-Reply-To the latest, References the chain, its first kept when it
 * is trimmed. Values that are not Message-IDs are left out, so none can carry a line of its own.
 */
export function threadHeaders(chain: readonly string[], max = MAX_REFERENCES): ThreadHeaders {
  const ids = [...new Set(chain.filter(isMessageId))];
  if (ids.length === 0) return {};
  const references = ids.length <= max ? ids : [ids[0]!, ...ids.slice(ids.length - (max - 1))];
  return { inReplyTo: ids.at(-1)!, references };
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}

/**
 * Plus addresses of conversations: `support+<conversation id>-<mac>@example.com`. The MAC (HMAC-SHA256
 * under the bridge's secret) makes a token only the bridge can write, so a stranger cannot address
 * a mail into someone else's conversation by guessing its id; local parts are compared lowercased,
 * as mail servers and clients may change their case.
 */
export class PlusAddresses {
  constructor(
    private readonly secret: string,
    private readonly separator: '+' | '-' = '+',
  ) {}

  /**
   * The plus address of a conversation on a team's mailbox, or null when the id cannot be carried
   * in one, or the local part would be longer than servers must take (a long mailbox name): the
   * mail then goes without it, and replies match by their thread headers.
   */
  addressOf(mailbox: string, conversationId: string): string | null {
    const at = mailbox.lastIndexOf('@');
    if (at <= 0 || !CONVERSATION_ID.test(conversationId)) return null;
    const local = `${mailbox.slice(0, at)}${this.separator}${this.tokenOf(conversationId)}`;
    if (local.length > MAX_LOCAL_PART) return null;
    return `${local}${mailbox.slice(at)}`.toLowerCase();
  }

  /** The conversation a plus address names, when its token is one the bridge made. */
  conversationOf(address: string): string | null {
    const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
    // Any separator may start the tag (the mailbox's own name may hold a dash): the MAC decides.
    for (let at = local.indexOf(this.separator); at > 0; at = local.indexOf(this.separator, at + 1)) {
      const conversationId = this.verified(local.slice(at + 1));
      if (conversationId) return conversationId;
    }
    return null;
  }

  private tokenOf(conversationId: string): string {
    return `${conversationId}-${this.macOf(conversationId)}`;
  }

  private macOf(conversationId: string): string {
    return base32(createHmac('sha256', this.secret).update(`switchboard-email-plus-address\u0000${conversationId}`).digest()).slice(0, MAC_LENGTH);
  }

  private verified(token: string): string | null {
    const dash = token.lastIndexOf('-');
    const conversationId = token.slice(0, dash);
    const mac = Buffer.from(token.slice(dash + 1));
    if (dash <= 0 || mac.length !== MAC_LENGTH || !CONVERSATION_ID.test(conversationId)) return null;
    return timingSafeEqual(mac, Buffer.from(this.macOf(conversationId))) ? conversationId : null;
  }
}

/** What the match reads of an inbound mail (a `ReadMail` has it). */
export interface InboundThread {
  inReplyTo: string | null;
  references: readonly string[];
  to: readonly string[];
  cc: readonly string[];
  deliveredTo: readonly string[];
}

export interface ThreadMatch {
  conversationId: string;
  /** What named it: a thread header, or the plus address the mail was sent to. */
  by: 'in-reply-to' | 'references' | 'plus-address';
}

export interface ThreadLookup {
  /** The conversation a mail with this Message-ID (sent or received by the bridge) belongs to. Its errors reach the caller. */
  conversationOfMessageId(messageId: string): Promise<string | null> | string | null;
  plusAddresses: Pick<PlusAddresses, 'conversationOf'>;
}

/**
 * The conversation an inbound mail belongs to: the one of the mail it answers (In-Reply-To), else
 * of the latest mail of its References that the bridge knows, else the one its plus address names
 * (the envelope recipient first). Null for a mail that starts a conversation: a subject alone never
 * joins one.
 */
export async function matchConversation(mail: InboundThread, lookup: ThreadLookup): Promise<ThreadMatch | null> {
  const candidates: [string, ThreadMatch['by']][] = [
    ...(mail.inReplyTo ? [[mail.inReplyTo, 'in-reply-to'] as [string, ThreadMatch['by']]] : []),
    ...[...mail.references].reverse().map((id): [string, ThreadMatch['by']] => [id, 'references']),
  ];
  const looked = new Set<string>();
  for (const [messageId, by] of candidates) {
    if (looked.has(messageId)) continue;
    if (looked.size >= MAX_LOOKUPS) break;
    looked.add(messageId);
    const conversationId = await lookup.conversationOfMessageId(messageId);
    if (conversationId) return { conversationId, by };
  }
  for (const address of [...mail.deliveredTo, ...mail.to, ...mail.cc]) {
    const conversationId = lookup.plusAddresses.conversationOf(address);
    if (conversationId) return { conversationId, by: 'plus-address' };
  }
  return null;
}
