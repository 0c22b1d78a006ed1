/**
 * A copy of the conversation the widget shows, kept for this tab only (sessionStorage: gone when
 * the tab closes), so that a reload while the bridge cannot be reached shows what was said rather
 * than an empty chat: the team's conversation, its latest messages, the party it was kept for (to
 * tell the visitor's own messages from the team's) and the signed-in user, if any. Once the bridge
 * answers, its own copy replaces this one.
 */
import type { Address, Conversation, Message } from '@switchboard/sdk';
import { readStored, siteRecordKey, writeStored } from './site-records.js';

export interface KeptCopy {
  conversation: Conversation;
  messages: Message[];
  /** The party whose chat it is (the session's `self`). */
  self: Address;
  /** The signed-in user it was kept for; none for an anonymous visitor. */
  userId?: string;
}

const KEPT = 'kept:';
const session = () => sessionStorage;

function isKeptCopy(value: unknown): value is KeptCopy {
  const copy = value as Partial<KeptCopy> | null;
  return (
    typeof copy === 'object' &&
    copy !== null &&
    typeof copy.conversation?.id === 'string' &&
    typeof copy.self === 'string' &&
    Array.isArray(copy.messages) &&
    copy.messages.every((message) => typeof message?.id === 'string' && typeof message.seq === 'number')
  );
}

/** The copy kept for a site's team in this tab; null when none, storage is blocked, or it does not read as one. */
export function readKeptCopy(siteKey: string | undefined, team: string): KeptCopy | null {
  const value = readStored(siteKey, KEPT + team, session);
  return isKeptCopy(value) ? value : null;
}

/** Keeps the copy; nothing when storage refuses it (quota, privacy mode): a reload then shows no history until the bridge answers. */
export function writeKeptCopy(siteKey: string | undefined, team: string, copy: KeptCopy): void {
  writeStored(siteKey, KEPT + team, copy, session);
}

/** Forgets every copy of a site's chats in this tab (a new visitor on the page). */
export function forgetKeptCopies(siteKey: string | undefined): void {
  const prefix = siteRecordKey(siteKey, KEPT);
  if (!prefix) return;
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const key = sessionStorage.key(i);
      if (key?.startsWith(prefix)) sessionStorage.removeItem(key);
    }
  } catch {
    // Nothing kept, or nothing to reach.
  }
}
