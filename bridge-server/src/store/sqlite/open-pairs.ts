/**
 * Which open conversation two parties last talked in (`openConversationBetween`), remembered so a
 * message between them costs no join over participants. An answer is taken only while the
 * conversation it names is, in the store's own cache, open with both parties. A message appended
 * makes its conversation the latest of its parties; any other change to a conversation forgets
 * every answer (the SQLite store is single-process: every change passes through it).
 */
import type { Address } from '@switchboard/protocol';
import type { ConversationRecord } from '../store.js';

/** Pairs remembered, at most (the oldest answer goes first). */
const PAIRS_KEPT = 10_000;

const keyOf = (a: Address, b: Address) => `${a} ${b}`;

export class OpenPairs {
  private readonly latest = new Map<string, string>();

  /** The conversation remembered for `a` and `b`, if `cached` (the store's record of it) still fits. */
  get(a: Address, b: Address, cached: (id: string) => ConversationRecord | undefined): ConversationRecord | undefined {
    const id = this.latest.get(keyOf(a, b));
    const record = id === undefined ? undefined : cached(id);
    if (record?.state === 'open' && record.participants.includes(a) && record.participants.includes(b)) return record;
    return undefined;
  }

  remember(a: Address, b: Address, id: string): void {
    if (this.latest.size >= PAIRS_KEPT) this.latest.delete(this.latest.keys().next().value!);
    this.latest.set(keyOf(a, b), id);
  }

  /** A message was appended to the conversation of `participants`: it is now their latest. */
  appended(conversationId: string, participants: readonly Address[]): void {
    for (const a of participants)
      for (const b of participants) {
        const key = keyOf(a, b);
        if (a !== b && this.latest.has(key) && this.latest.get(key) !== conversationId) this.latest.delete(key);
      }
  }

  /** A conversation changed in another way (state, participants, created, deleted). */
  forget(): void {
    this.latest.clear();
  }
}
