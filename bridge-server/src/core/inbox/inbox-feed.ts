/**
 * Pushes `inbox:item` to the site's agents whenever one of its conversations is opened, assigned,
 * transferred, closed, reopened or gets a message: at most one per conversation per window (the
 * first change starts the window; the item sent at its end is the conversation as it is then),
 * each computed for the agent who receives it (their own unread count). Sent from the node where
 * the change happened, to each connected agent's address room, which spans the nodes of a cluster.
 */
import type { Address, InboxItem } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { ClientHub } from '../hub.js';

export const INBOX_ITEM_WINDOW_MS = 250;

export interface InboxFeedDeps {
  hub: Pick<ClientHub, 'emit' | 'deskOn'>;
  logger: Logger;
  /** The conversation as each of `readers` lists it, by reader; empty when it is gone. */
  itemsFor(siteKey: string, conversationId: string, readers: readonly Address[]): Promise<Map<Address, InboxItem>>;
  windowMs?: number;
  /** Runs `run` after `ms`; by default a timer that does not keep the process alive. */
  later?(run: () => void, ms: number): void;
}

const unrefTimer = (run: () => void, ms: number) => void setTimeout(run, ms).unref();

export class InboxFeed {
  /** Conversations with a push pending, by id: their site. */
  private readonly pending = new Map<string, string>();

  constructor(private readonly deps: InboxFeedDeps) {}

  /** A conversation of `siteKey` changed. */
  changed(conversation: { id: string; siteKey: string }): void {
    if (this.pending.has(conversation.id)) return;
    this.pending.set(conversation.id, conversation.siteKey);
    (this.deps.later ?? unrefTimer)(() => {
      this.pending.delete(conversation.id);
      this.push(conversation.siteKey, conversation.id).catch((error: unknown) =>
        this.deps.logger.warn({ err: error, conversation: conversation.id }, 'inbox item not pushed'),
      );
    }, this.deps.windowMs ?? INBOX_ITEM_WINDOW_MS);
  }

  /**
   * An agent read a conversation: their own item again (its unread count), to every connection of
   * theirs, so their other tabs and devices stop showing it unread. Others' counts did not change.
   */
  readBy(conversation: { id: string; siteKey: string }, reader: Address): void {
    if (!this.deps.hub.deskOn(conversation.siteKey).includes(reader)) return;
    this.deps
      .itemsFor(conversation.siteKey, conversation.id, [reader])
      .then((items) => {
        const item = items.get(reader);
        if (item) this.deps.hub.emit([{ kind: 'address', address: reader }], 'inbox:item', item);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id }, 'inbox item not pushed'));
  }

  private async push(siteKey: string, conversationId: string): Promise<void> {
    const readers = this.deps.hub.deskOn(siteKey);
    if (readers.length === 0) return;
    const items = await this.deps.itemsFor(siteKey, conversationId, readers);
    for (const [reader, item] of items) this.deps.hub.emit([{ kind: 'address', address: reader }], 'inbox:item', item);
  }
}
