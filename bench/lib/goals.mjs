// One row per figure of the performance table: what was measured, against which floor or peer
// (measured in the same run), the goal, and whether it is met. Each benchmark prints its own
// report; when BENCH_GOALS_FILE is set (bench/all.mjs sets it) the rows are also appended there as
// JSON lines, for the summary at the end of `npm run bench`.
import { appendFileSync } from 'node:fs';

/**
 * @typedef {object} GoalRow
 * @property {string} figure what is measured ("web relay throughput")
 * @property {string} now the bridge's figure, with its unit ("12,280 msg/s")
 * @property {string} peer the floor or peer, same run ("bare relay, same 5 packets: 23,264 msg/s"); '' when none
 * @property {string} goal the goal in words (">= 0.8x")
 * @property {boolean | null} met null when the row has no goal (a figure reported for context)
 */

/** Records rows for the summary (no-op when run on its own). */
export function recordGoals(bench, rows) {
  const file = process.env.BENCH_GOALS_FILE;
  if (!file) return;
  for (const row of rows) appendFileSync(file, JSON.stringify({ bench, ...row }) + '\n');
}

/** "met" / "not met" / "-" as the tables print it. */
export const verdictOf = (met) => (met === null || met === undefined ? '-' : met ? 'met' : 'not met');
