/**
 * The threads of the email network's conversations: the Message-IDs of a conversation's mail, the
 * customer's and the bridge's (kept as the conversation's thread, which goes with it): a reply is
 * matched to its conversation by them. A mail the bridge sent names its stored message in its
 * Message-ID (mail-threading.ts); only a mail that carried later messages too (a burst) has them
 * recorded, so that a bounce fails them all.
 */
import type { Address } from '@switchboard/protocol';
import { remoteIdOf } from '../kit/inbound.js';
import type { NetworkRecords } from '../network.js';
import { messageOfMessageId } from './mail-threading.js';

/** Message-IDs kept per conversation: more than the References the bridge writes (mail-threading.ts). */
const MAX_CHAIN = 50;

/** A conversation's thread on the email network. */
export interface MailThread {
  /** The subject of the customer's first mail, until the conversation has one. */
  subject?: string;
  /** Message-IDs of the conversation's mail, oldest first. */
  chain: string[];
  /** The later messages each burst mail carried besides the one its Message-ID names, by Message-ID (the latest ones). */
  carried?: Record<string, string[]>;
  /** Whom the customer's latest mail copied (`keepCc`): the answers to them are copied too. */
  copied?: string[];
}

/** What makes and checks the Message-IDs of the bridge's mail (`messageIdFor`). */
export interface OwnMessageIds {
  secret: string;
  domain: string;
}

/** A customer's mail being stored now: its conversation's answers (a greeting) reply to it already. */
export interface ArrivingMail {
  messageId: string;
  subject: string;
  /** Whom it copied, with `keepCc`. */
  copied?: string[];
}

function parsed<T>(value: string | null): T | null {
  if (value === null) return null;
  try {
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}

export class MailThreads {
  /** One change at a time per conversation (inbound and outbound mail both add to a thread). */
  private readonly changes = new Map<string, Promise<void>>();
  private readonly arriving = new Map<Address, ArrivingMail>();

  constructor(
    private readonly records: NetworkRecords,
    private readonly ownIds: OwnMessageIds,
  ) {}

  async of(conversationId: string): Promise<MailThread> {
    const thread = parsed<Partial<MailThread>>(await this.records.thread(conversationId));
    const carried = thread?.carried && typeof thread.carried === 'object' ? thread.carried : undefined;
    return {
      chain: Array.isArray(thread?.chain) ? thread.chain.filter((id) => typeof id === 'string') : [],
      ...(typeof thread?.subject === 'string' ? { subject: thread.subject } : {}),
      ...(carried ? { carried } : {}),
      ...(Array.isArray(thread?.copied) ? { copied: thread.copied.filter((address) => typeof address === 'string') } : {}),
    };
  }

  /**
   * Adds a mail's Message-ID (and the subject, when the thread has none yet) to a conversation's
   * thread, with the later messages it carried when it was a burst. `answering`: the customer's
   * mail it answers while that one is still being stored (a greeting): added first, so the chain
   * stays oldest first when the customer's mail is added after.
   */
  add(conversationId: string, messageId: string, subject?: string, carried: readonly string[] = [], answering?: string): Promise<void> {
    return this.change(conversationId, (thread) => {
      // The first mail stays: it roots the thread (References, RFC 5322 section 3.6.4), the latest follow it.
      const added = [answering, messageId].filter((id): id is string => id !== undefined && !thread.chain.includes(id));
      if (added.length > 0) thread.chain = firstAndLatest([...thread.chain, ...added], MAX_CHAIN);
      if (thread.subject === undefined && subject) thread.subject = subject;
      if (carried.length > 0) {
        const entries: [string, string[]][] = [...Object.entries(thread.carried ?? {}), [messageId, [...carried]]];
        thread.carried = Object.fromEntries(entries.slice(-MAX_CHAIN));
      }
    });
  }

  /** Sets whom the customer's latest mail copied: the next answers are copied to them (none: to nobody more). */
  setCopied(conversationId: string, copied: readonly string[]): Promise<void> {
    return this.change(conversationId, (thread) => {
      if (copied.length > 0) thread.copied = [...copied];
      else delete thread.copied;
    });
  }

  private change(conversationId: string, edit: (thread: MailThread) => void): Promise<void> {
    const previous = this.changes.get(conversationId) ?? Promise.resolve();
    const change = previous.then(async () => {
      const thread = await this.of(conversationId);
      edit(thread);
      await this.records.setThread(conversationId, JSON.stringify(thread));
    });
    const settled = change.catch(() => undefined);
    this.changes.set(conversationId, settled);
    void settled.then(() => {
      if (this.changes.get(conversationId) === settled) this.changes.delete(conversationId);
    });
    return change;
  }

  /** The later messages a burst mail of a conversation carried besides the one its Message-ID names. */
  async carriedBy(conversationId: string, mailId: string): Promise<string[]> {
    const carried = (await this.of(conversationId)).carried?.[mailId];
    return Array.isArray(carried) ? carried.filter((id) => typeof id === 'string') : [];
  }

  /** The stored message a mail the bridge sent to this recipient carried, by its Message-ID. */
  sentMessageOf(mailId: string, recipient: string): string | null {
    return messageOfMessageId(this.ownIds.secret, this.ownIds.domain, mailId, recipient);
  }

  /**
   * The conversation of a mail the bridge sent to this sender, or of one this sender wrote before;
   * or the conversation itself, whose derived Message-ID roots an agent's thread (email-agents.ts)
   * and is all that a reply to its first mail names when there is no plus address to reply to.
   */
  async conversationOf(mailId: string, sender: Address): Promise<string | null> {
    const sent = this.sentMessageOf(mailId, sender.slice('mailto:'.length));
    if (sent) return (await this.records.message(sent))?.conversationId ?? (await this.records.conversation(sent))?.id ?? null;
    const remoteId = remoteIdOf(sender, mailId);
    return remoteId ? ((await this.records.messageByRemoteId(remoteId))?.conversationId ?? null) : null;
  }

  /** Marks a customer's mail as being stored until `done` settles. */
  async arrive<T>(customer: Address, mail: ArrivingMail, done: () => Promise<T>): Promise<T> {
    this.arriving.set(customer, mail);
    try {
      return await done();
    } finally {
      if (this.arriving.get(customer) === mail) this.arriving.delete(customer);
    }
  }

  arrivingFrom(customer: Address): ArrivingMail | undefined {
    return this.arriving.get(customer);
  }
}

/** The first of `ids` and the latest after it, `max` in all. */
function firstAndLatest(ids: readonly string[], max: number): string[] {
  return ids.length <= max ? [...ids] : [ids[0]!, ...ids.slice(-(max - 1))];
}
