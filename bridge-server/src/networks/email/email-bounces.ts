/**
 * The stored message a bounce (an RFC 3464 delivery status notification) reports failed. The
 * failed mail's Message-ID names its message under a MAC bound to the recipient the bridge mailed
 * (mail-threading.ts); the report names the recipient the failing server saw (Final-Recipient,
 * else Original-Recipient), another address when the one the bridge mailed forwards elsewhere. So
 * the named recipient is tried first, then each mail party of the conversation of the message the
 * Message-ID names: an id whose MAC holds for none of them is none of the bridge's.
 */
import type { NetworkRecords } from '../network.js';
import { mailAddressOf } from './email-outbound.js';
import type { MailThreads } from './email-thread.js';
import type { BounceReport } from './mail-loops.js';
import { messageNamedBy } from './mail-threading.js';

export interface BounceLookup {
  threads: Pick<MailThreads, 'sentMessageOf'>;
  records: Pick<NetworkRecords, 'message' | 'conversation'>;
  /** The domain of the bridge's Message-IDs. */
  domain: string;
}

/** The failed mail: its stored message, and the recipient its Message-ID was made for. */
export interface BouncedMail {
  messageId: string;
  recipient: string;
}

export async function bouncedMailOf(bounce: Pick<BounceReport, 'originalMessageId' | 'recipient'>, lookup: BounceLookup): Promise<BouncedMail | null> {
  const { threads, records, domain } = lookup;
  const mailId = bounce.originalMessageId;
  if (!mailId) return null;
  const named = bounce.recipient ? threads.sentMessageOf(mailId, bounce.recipient) : null;
  if (named && bounce.recipient) return { messageId: named, recipient: bounce.recipient };
  // Unchecked until a party's MAC holds: it only says which conversation's parties to try.
  const candidate = messageNamedBy(domain, mailId);
  const message = candidate ? await records.message(candidate) : null;
  const conversation = message ? await records.conversation(message.conversationId) : null;
  for (const party of conversation?.participants ?? []) {
    const recipient = mailAddressOf(party);
    const sent = recipient ? threads.sentMessageOf(mailId, recipient) : null;
    if (recipient && sent) return { messageId: sent, recipient };
  }
  return null;
}
