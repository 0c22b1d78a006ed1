/**
 * Tells the agent about new messages while looking elsewhere: the page title gets `(N)`, N the
 * unread messages of the inbox, and a desktop notification (when the agent allowed them) for a
 * conversation whose unread count grew while the page is hidden or another one is open.
 */
import type { InboxItem } from './desk-api.js';

export class Notifier {
  private readonly unread = new Map<string, number>();

  constructor(
    private readonly baseTitle: string,
    private readonly text: (who: string) => string,
  ) {}

  /** Whether the agent can still be asked for permission. */
  get askable(): boolean {
    return typeof Notification !== 'undefined' && Notification.permission === 'default';
  }

  async ask(): Promise<void> {
    if (this.askable) await Notification.requestPermission();
  }

  /** A fresh list: replaces what is known of those conversations. */
  listed(items: readonly InboxItem[]): void {
    for (const item of items) this.unread.set(item.id, item.unread);
    this.retitle();
  }

  /** One conversation changed (`inbox:item`); `open` is the conversation on screen. */
  changed(item: InboxItem, open: string): void {
    const before = this.unread.get(item.id) ?? 0;
    this.unread.set(item.id, item.state === 'closed' ? 0 : item.unread);
    this.retitle();
    const looking = document.visibilityState === 'visible' && item.id === open;
    if (item.unread > before && !looking && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      const who = item.customer.name ?? item.customer.address;
      const notification = new Notification(this.text(who), { body: item.lastMessage?.text ?? '', tag: item.id });
      notification.onclick = () => window.focus();
    }
  }

  read(conversationId: string): void {
    this.unread.set(conversationId, 0);
    this.retitle();
  }

  get total(): number {
    return [...this.unread.values()].reduce((sum, n) => sum + n, 0);
  }

  private retitle(): void {
    const total = this.total;
    document.title = total > 0 ? `(${total}) ${this.baseTitle}` : this.baseTitle;
  }
}
