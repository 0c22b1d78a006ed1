// `npm run bench`: every benchmark in turn (each a child process with its own report), then one
// summary table of every figure with its floor or peer, its goal and "met" / "not met".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verdictOf } from './lib/goals.mjs';
import { machineQuiet } from './lib/quiet.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** In the order of the summary's rows; `tsx` where the benchmark imports the test harness. */
const BENCHES = [
  { file: 'size.mjs' },
  { file: 'loader.mjs' },
  { file: 'relay.mjs' },
  { file: 'idle.mjs' },
  { file: 'xmpp.mjs', tsx: true },
  { file: 'gateway.mjs', tsx: true },
  { file: 'surge.mjs' },
  { file: 'cluster.mjs', tsx: true },
];

const folder = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const goalsFile = join(folder, 'goals.jsonl');
let failed = 0;
try {
  for (const { file, tsx } of BENCHES) {
    // Each benchmark starts on a quiet machine, not in the tail of the one before.
    const quiet = await machineQuiet();
    if (!quiet.quiet)
      process.stderr.write(`bench ${file}: the machine is still ${Math.round(quiet.busy * 100)}% busy after ${quiet.waitedMs} ms; starting anyway\n`);
    const args = [...(tsx ? ['--import', 'tsx'] : []), join(here, file)];
    const run = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, BENCH_GOALS_FILE: goalsFile } });
    if (run.status !== 0) {
      failed += 1;
      process.stderr.write(`bench ${file} could not run (exit ${run.status ?? run.signal})\n`);
    }
  }
  const rows = existsSync(goalsFile)
    ? readFileSync(goalsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  printSummary(rows);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
process.exitCode = failed > 0 ? 1 : 0;

function printSummary(rows) {
  const header = ['figure', 'now', 'floor / peer (same run)', 'goal', 'status'];
  const table = rows.map((row) => [row.figure, row.now, row.peer || '-', row.goal || '-', verdictOf(row.met)]);
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  console.log('\nSummary: every figure against its floor or peer, measured in the same run');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const cells of table) console.log(line(cells));
  const goals = rows.filter((row) => row.met !== null && row.met !== undefined);
  console.log(`${goals.filter((row) => row.met).length} of ${goals.length} goals met`);
}
