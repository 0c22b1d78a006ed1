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
 * Files that wait on a server's pace for minutes start first: they run beside the others, instead
 * of being the tier's last lane alone (the 500-line IRC paste at ngircd's default limits).
 */
const FIRST = ['bridge-server/test/integration/irc-flood.test.ts', 'bridge-server/test/integration/irc.test.ts'];
const startOrder = (file) => (FIRST.includes(file) ? FIRST.indexOf(file) : FIRST.length);

function nodeTier(tier) {
  const files = testFiles(tier).sort((a, b) => startOrder(a) - startOrder(b));
  if (files.length === 0) return;
  const countsFile = join(scratch, `${tier}.json`);
  process.stdout.write(`\n=== ${tier} tests (${files.length} files) ===\n`);
  const result = run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${CONCURRENCY[tier] ?? 2}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(root, 'scripts/test-count-reporter.mjs')}`,
      `--test-reporter-destination=${countsFile}`,
      ...files,
    ],
    { timeout: 30 * 60_000 },
  );
  let counts;
  try {
    counts = JSON.parse(readFileSync(countsFile, 'utf8'));
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 }; // the runner itself died
  }
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1;
  tally(tier, counts);
}

function browserTier() {
  const files = testFiles('browser');
  if (files.length === 0) return;
  process.stdout.write(`\n=== browser tests (${files.length} files, Chromium) ===\n`);
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
  tally('browser', counts);
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

async function staticTier() {
  process.stdout.write(`\n=== static checks (${STATIC_CHECKS.length}) ===\n`);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  // Side by side: each is one process on one core, and the linter alone takes most of the time.
  // Each check's output is printed whole as it ends.
  await Promise.all(
    STATIC_CHECKS.map(async ([name, args]) => {
      const { ok, output } = await check(args);
      process.stdout.write(output);
      process.stdout.write(`${ok ? 'ok' : 'FAILED'} - ${name}\n`);
      counts[ok ? 'passed' : 'failed']++;
    }),
  );
  tally('static', counts);
}

function tally(tier, counts) {
  process.stdout.write(`--- ${tier}: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}\n`);
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
    if (!only || only === 'static') await staticTier();
    if (!only || only === 'unit') nodeTier('unit');
    if (!only || only === 'integration') nodeTier('integration');
    if (!only || only === 'browser') browserTier();
    if (only === 'soak') nodeTier('soak');
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
