// `npm test`: provisions system packages, builds, then runs every tier (unit, integration on real
// servers, SDK in real Chromium) and ends with one line "N passed, N failed" counting them all.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { provision } from './provision.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = ['protocol', 'sdk', 'bridge-server', 'widget', 'console', 'demo'];
const only = process.argv[2]; // optional: run one tier (static | unit | integration | browser), or `soak` (long, never by default)

function testFiles(tier) {
  return packages.flatMap((pkg) => {
    const dir = join(root, pkg, 'test', tier);
    try {
      return readdirSync(dir, { recursive: true })
        .filter((file) => /\.test\.(ts|mjs)$/.test(String(file)))
        .map((file) => relative(root, join(dir, String(file))))
        .sort();
    } catch {
      return [];
    }
  });
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...options.env }, timeout: options.timeout });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const scratch = mkdtempSync(join(tmpdir(), 'switchboard-test-'));

/**
 * Test files run side by side, per tier. Integration files spend most of their time waiting on the
 * real servers (the IRC flood test, 166 s, is a server's pace): three at once keep the two cores
 * busy, where two left them idle for minutes.
 */
const CONCURRENCY = { integration: 3 };
/**
 * How long one test file may take in all (node's --test-timeout bounds each file's process, and
 * each test in it): a file that hangs (a hook waiting for good after a failure) fails alone, its
 * process killed, and the tier goes on and counts the rest. The slowest files take 3 minutes.
 */
const FILE_TIMEOUT_MS = { unit: 5 * 60_000, integration: 10 * 60_000 };

/**
 * Files that wait on a server's pace for minutes start first: they run beside the others, instead
 * of being the tier's last lane alone (the 500-line IRC paste at ngircd's default limits).
 */
const FIRST = ['bridge-server/test/integration/irc-flood.test.ts', 'bridge-server/test/integration/irc.test.ts'];
const startOrder = (file) => (FIRST.includes(file) ? FIRST.indexOf(file) : FIRST.length);

/** Runs a command with the terminal as its output, without blocking checks that run beside it. */
function runAside(command, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', timeout: timeoutMs, killSignal: 'SIGKILL' });
    child.on('error', () => resolve({ status: 1 }));
    child.on('close', (status) => resolve({ status }));
  });
}

async function nodeTier(tier) {
  const files = testFiles(tier).sort((a, b) => startOrder(a) - startOrder(b));
  if (files.length === 0) return;
  const countsFile = join(scratch, `${tier}.json`);
  process.stdout.write(`\n=== ${tier} tests (${files.length} files) ===\n`);
  const started = Date.now();
  const result = await runAside(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${CONCURRENCY[tier] ?? 2}`,
      `--test-timeout=${FILE_TIMEOUT_MS[tier] ?? 10 * 60_000}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(root, 'scripts/test-count-reporter.mjs')}`,
      `--test-reporter-destination=${countsFile}`,
      ...files,
    ],
    30 * 60_000,
  );
  let counts;
  try {
    counts = JSON.parse(readFileSync(countsFile, 'utf8'));
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 }; // the runner itself died
  }
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1;
  printSlowest(counts.files ?? {});
  tally(tier, counts, started);
}

/** The files that took longest, so a log says where a tier's minutes went. */
function printSlowest(fileTimes) {
  const slowest = Object.entries(fileTimes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  if (slowest.length === 0) return;
  process.stdout.write('slowest files:\n');
  for (const [file, ms] of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${relative(root, file)}\n`);
}

function browserTier() {
  const files = testFiles('browser');
  if (files.length === 0) return;
  process.stdout.write(`\n=== browser tests (${files.length} files, Chromium) ===\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(root, 'node_modules/@web/test-runner/dist/bin.js'), '--config', 'web-test-runner.config.mjs'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 20 * 60_000,
  });
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  const match = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/m.exec(result.stdout ?? '');
  const counts = match ? { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3] ?? 0) } : { passed: 0, failed: 1, skipped: 0 };
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1;
  tally('browser', counts, started);
}

/**
 * Checks that read the code without running it, before the unit tier: each counts as one test.
 * The formatter and the type-aware linter keep a reviewer's eyes on what matters.
 */
const STATIC_CHECKS = [
  ['format (prettier --check)', [join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '--log-level=warn', '.']],
  ['lint (eslint, type-aware)', [join(root, 'node_modules/eslint/bin/eslint.js'), '--max-warnings=0', '.']],
  // Test files are no package's build: their own program (tsconfig.test.json), after the build.
  ['types of the tests (tsc -p tsconfig.test.json)', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json']],
];

/** Runs a check (checks run side by side): passed or not, and its output, kept to be printed whole. */
function check(args) {
  return new Promise((resolve) => {
    const output = [];
    let child;
    try {
      child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10 * 60_000, killSignal: 'SIGKILL' });
    } catch (error) {
      resolve({ ok: false, output: `${error.message}\n` });
      return;
    }
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (status, signal) => {
      if (signal) output.push(Buffer.from(`stopped by ${signal} (10 min at most)\n`));
      resolve({ ok: status === 0, output: Buffer.concat(output) });
    });
  });
}

/**
 * Runs the checks side by side (each is one process on one core, the linter most of the time) and
 * returns a function that prints their outputs and counts them: the checks run beside the
 * integration tier, whose files mostly wait on servers, and report after it.
 */
function startStaticChecks() {
  const started = Date.now();
  let ended = started;
  const results = Promise.all(STATIC_CHECKS.map(async ([name, args]) => ({ name, ...(await check(args)) }))).finally(() => (ended = Date.now()));
  return async () => {
    const done = await results;
    process.stdout.write(`\n=== static checks (${STATIC_CHECKS.length}, run beside the integration tier) ===\n`);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const { name, ok, output } of done) {
      process.stdout.write(output);
      process.stdout.write(`${ok ? 'ok' : 'FAILED'} - ${name}\n`);
      counts[ok ? 'passed' : 'failed']++;
    }
    // Their own time, not the integration tier's they waited for to report.
    tally('static', counts, started, ended);
  };
}

function tally(tier, counts, started, ended = Date.now()) {
  const took = `in ${((ended - started) / 60_000).toFixed(1)} min`;
  process.stdout.write(`--- ${tier}: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''} ${took}\n`);
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
}

try {
  provision();
  process.stdout.write('=== build ===\n');
  const build = run('npm', ['run', '--silent', 'build']);
  if (build.status !== 0) {
    totals.failed++;
    process.stdout.write('The build failed; no test ran.\n');
  } else {
    if (!only || only === 'unit') await nodeTier('unit');
    const reportStatic = !only || only === 'static' ? startStaticChecks() : undefined;
    if (!only || only === 'integration') await nodeTier('integration');
    await reportStatic?.();
    if (!only || only === 'browser') browserTier();
    if (only === 'soak') await nodeTier('soak');
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
