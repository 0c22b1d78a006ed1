/** Whether an inbox item belongs in a view (docs/protocol.md, `inbox:list`), for the live `inbox:item` updates. */
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
