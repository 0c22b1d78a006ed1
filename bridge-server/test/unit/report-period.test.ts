// The period a report reads (core/reports/reports.ts): conversations created from the first day's
// start to the last day's end, both days included, compared as the ISO text the stores keep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Reports } from '../../src/core/reports/reports.js';
import type { ReportConversation } from '../../src/store/console-store.js';

/** A store holding conversations created at these times, which filters as the stores' SQL does (text, `>= from AND < to`). */
function reportsOver(createdAt: string[]): Reports {
  const conversations: ReportConversation[] = createdAt.map((at, i) => ({
    id: `c${i}`,
    team: 'support',
    openedBy: 'web:v_1',
    state: 'open',
    createdAt: at,
  }));
  return new Reports({
    store: { reportConversations: (_site, from, to) => Promise.resolve(conversations.filter((c) => c.createdAt >= from && c.createdAt < to)) },
    teams: { get: () => undefined },
  });
}

const counted = async (reports: Reports, from: string, to: string) => (await reports.report('site', { from, to, by: 'team' })).rows[0]?.conversations ?? 0;

describe('report period', () => {
  it('takes both days whole, and nothing of the days around them', async () => {
    const reports = reportsOver(['2026-11-30T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2026-12-02T23:59:59.999Z', '2026-12-03T00:00:00.000Z']);
    assert.equal(await counted(reports, '2026-12-01', '2026-12-02'), 2);
    assert.equal(await counted(reports, '2026-12-01', '2026-12-01'), 1);
  });

  it('reads the last day there is (9999-12-31) too', async () => {
    const reports = reportsOver(['9999-12-30T10:00:00.000Z', '9999-12-31T23:59:59.999Z']);
    assert.equal(await counted(reports, '9999-12-30', '9999-12-31'), 2);
  });
});
