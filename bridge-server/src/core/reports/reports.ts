/**
 * Reports (docs/support-desk.md, "Reports"): a site's conversations created in a period of UTC
 * days, grouped by team, agent or the customer's network, with their first-response and resolution
 * times and their ratings. Computed from the store's per-conversation times (response-times.ts).
 */
import { type ReportGetPayload, type ReportResult, type ReportRowFigures, networkOf } from '@switchboard/protocol';
import { withoutSite } from '../../networks/web/site-scope.js';
import type { ReportConversation } from '../../store/console-store.js';
import type { Store } from '../../store/store.js';
import type { TeamDirectory } from '../desk/teams.js';

/** The key of conversations without a team or an assignee. */
export const NONE = '(none)';

function figures(values: number[]): { count: number; averageSeconds: number; medianSeconds: number } {
  if (values.length === 0) return { count: 0, averageSeconds: 0, medianSeconds: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const round = (value: number) => Math.round(value * 10) / 10;
  return { count: values.length, averageSeconds: round(values.reduce((sum, value) => sum + value, 0) / values.length), medianSeconds: round(median) };
}

const between = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

export class Reports {
  constructor(private readonly deps: { store: Pick<Store, 'reportConversations'>; teams: Pick<TeamDirectory, 'get'> }) {}

  /** How an agent is named in a report: its configured id, else its address as the site's clients write it. */
  private agentKey(conversation: ReportConversation): string {
    const assignee = conversation.assignee;
    if (assignee === undefined) return NONE;
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    return team?.agents.find((agent) => agent.addresses.includes(assignee))?.id ?? withoutSite(assignee);
  }

  private keyOf(conversation: ReportConversation, by: ReportGetPayload['by']): string {
    if (by === 'team') return conversation.team ?? NONE;
    if (by === 'agent') return this.agentKey(conversation);
    return networkOf(conversation.openedBy);
  }

  /** `from` and `to` are checked days (`to` not before `from`): both included. */
  async report(siteKey: string, { from, to, by }: ReportGetPayload): Promise<ReportResult> {
    // Times are stored as ISO text and compared as text: every instant of `to` sorts before its
    // hour 24, the next day after it (9999-12-31's next day would be +010000-01-01, before them all).
    const end = `${to}T24:00:00.000Z`;
    const conversations = await this.deps.store.reportConversations(siteKey, `${from}T00:00:00.000Z`, end);
    const groups = new Map<string, ReportConversation[]>();
    for (const conversation of conversations) {
      const key = this.keyOf(conversation, by);
      const group = groups.get(key);
      if (group) group.push(conversation);
      else groups.set(key, [conversation]);
    }
    const rows = [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, list]): ReportRowFigures => {
        const ratings = list.flatMap((c) => (c.rating === undefined ? [] : [c.rating]));
        return {
          key,
          conversations: list.length,
          firstResponse: figures(list.flatMap((c) => (c.firstCustomerAt && c.firstResponseAt ? [between(c.firstCustomerAt, c.firstResponseAt)] : []))),
          resolution: figures(list.flatMap((c) => (c.state === 'closed' && c.closedAt ? [between(c.createdAt, c.closedAt)] : []))),
          csat: {
            count: ratings.length,
            average: ratings.length === 0 ? 0 : Math.round((ratings.reduce((sum, r) => sum + r, 0) / ratings.length) * 100) / 100,
            satisfied: ratings.length === 0 ? 0 : Math.round((ratings.filter((r) => r >= 4).length / ratings.length) * 1000) / 1000,
          },
        };
      });
    return { from, to, by, rows };
  }
}
