/**
 * Tells the agent about new messages while looking elsewhere: the page title gets `(N)`, N the
 * unread messages of the inbox, and a desktop notification (when the agent allowed them) for a
 * conversation with a new message while the page is hidden or another one is open.
 */
import type { InboxItem } from './desk-api.js';
import { atUnreadCap } from './inbox-filter.js';

/** What the notifier last knew of a conversation. */
export interface Seen {
  unread: number;
  lastSeq: number;
}

/**
 * Whether an item brings a message the agent has not seen: its unread count grew or, once the
 * count stands at the bridge's cap (it can grow no further), a newer message came from anyone but
 * the agent (`self`, their addresses): what the bridge counts as unread below the cap.
 */
export function bringsNewMessage(before: Seen | undefined, item: InboxItem, self: readonly string[]): boolean {
  if (item.unread > (before?.unread ?? 0)) return true;
  const last = item.lastMessage;
  return atUnreadCap(item.unread) && last !== undefined && last.seq > (before?.lastSeq ?? 0) && !self.includes(last.from);
}

const seenOf = (item: InboxItem): Seen => ({ unread: item.state === 'closed' ? 0 : item.unread, lastSeq: item.lastMessage?.seq ?? 0 });

export class Notifier {
  /** Every conversation an item came for: whether the next one brings news. */
  private readonly seen = new Map<string, Seen>();
  /** The conversations the inbox lists now: the title counts theirs. */
  private listedIds = new Set<string>();

  constructor(
    private readonly baseTitle: string,
    private readonly text: (who: string) => string,
    /** The agent's own addresses: their messages are never news to them. */
    private readonly self: () => readonly string[],
  ) {}

  /** Whether the agent can still be asked for permission. */
  get askable(): boolean {
    return typeof Notification !== 'undefined' && Notification.permission === 'default';
  }

  async ask(): Promise<void> {
    if (this.askable) await Notification.requestPermission();
  }

  /** The inbox's list as it is now: replaces what is known of those conversations, and which are listed. */
  listed(items: readonly InboxItem[]): void {
    for (const item of items) this.seen.set(item.id, seenOf(item));
    this.listedIds = new Set(items.map((item) => item.id));
    this.retitle();
  }

  /** One conversation changed (`inbox:item`); `open` is the conversation on screen. */
  changed(item: InboxItem, open: string): void {
    const before = this.seen.get(item.id);
    this.seen.set(item.id, seenOf(item));
    this.retitle();
    const looking = document.visibilityState === 'visible' && item.id === open;
    if (bringsNewMessage(before, item, this.self()) && !looking && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      const who = item.customer.name ?? item.customer.address;
      const notification = new Notification(this.text(who), { body: item.lastMessage?.text ?? '', tag: item.id });
      notification.onclick = () => window.focus();
    }
  }

  read(conversationId: string): void {
    const seen = this.seen.get(conversationId);
    if (seen) this.seen.set(conversationId, { ...seen, unread: 0 });
    this.retitle();
  }

  /** The agent signed out: nothing of theirs is known any more, nor counted in the title. */
  reset(): void {
    this.seen.clear();
    this.listedIds = new Set();
    this.retitle();
  }

  /** The unread messages of the listed conversations. */
  get total(): number {
    return this.listedSeen().reduce((sum, seen) => sum + seen.unread, 0);
  }

  private listedSeen(): Seen[] {
    return [...this.listedIds].flatMap((id) => this.seen.get(id) ?? []);
  }

  private retitle(): void {
    const total = this.total;
    // A count at the cap is a floor, and so is the sum.
    const floor = this.listedSeen().some((seen) => atUnreadCap(seen.unread)) ? '+' : '';
    document.title = total > 0 ? `(${total}${floor}) ${this.baseTitle}` : this.baseTitle;
  }
}
