/** Whether an inbox item belongs in a view (docs/protocol.md, `inbox:list`), for the live `inbox:item` updates. */
import { LIMITS } from '@switchboard/sdk';
import type { InboxItem, InboxView } from './desk-api.js';

export function belongsIn(item: InboxItem, view: InboxView, self: readonly string[], team?: string): boolean {
  if (team && item.team !== team) return false;
  switch (view) {
    case 'mine':
      return item.state === 'open' && item.assignee !== undefined && self.includes(item.assignee);
    case 'unassigned':
      return item.state === 'open' && item.team !== undefined && item.assignee === undefined;
    case 'open':
      return item.state === 'open';
    case 'closed':
      return item.state === 'closed';
    default:
      return false;
  }
}

/** The view's order: longest waiting first (those not waiting last, newest first), closed ones newest first. */
export function sortItems(items: InboxItem[], view: InboxView): InboxItem[] {
  const byUpdated = (a: InboxItem, b: InboxItem) => b.updatedAt.localeCompare(a.updatedAt);
  if (view === 'closed') return items.sort(byUpdated);
  return items.sort((a, b) => {
    if (a.waitingSince && b.waitingSince) return a.waitingSince.localeCompare(b.waitingSince);
    if (a.waitingSince || b.waitingSince) return a.waitingSince ? -1 : 1;
    return byUpdated(a, b);
  });
}

/** Where a view is listed: its items are of this view and team, for this agent. */
export interface ViewKey {
  view: InboxView;
  self: readonly string[];
  team?: string;
}

/**
 * The list with a pushed `inbox:item` taken in: replacing the conversation's item, or leaving it out
 * once it no longer belongs. An item older than the one listed changes nothing: a page answered
 * after the event may hold the newer state.
 */
export function withItem(items: readonly InboxItem[], item: InboxItem, key: ViewKey): InboxItem[] {
  const listed = items.find((known) => known.id === item.id);
  if (listed && listed.updatedAt > item.updatedAt) return [...items];
  const others = items.filter((known) => known.id !== item.id);
  return belongsIn(item, key.view, key.self, key.team) ? sortItems([...others, item], key.view) : others;
}

/** A page as the bridge answered it, each conversation once (the first, in the answer's order). */
export function uniqueItems(items: readonly InboxItem[]): InboxItem[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.id) && seen.add(item.id));
}

/** The bridge counts unread messages up to LIMITS.maxUnreadCount: a count there says "this many or more". */
export const atUnreadCap = (unread: number): boolean => unread >= LIMITS.maxUnreadCount;

/** An unread count as its badge shows it. */
export const unreadBadge = (unread: number): string => (atUnreadCap(unread) ? `${LIMITS.maxUnreadCount - 1}+` : String(unread));
