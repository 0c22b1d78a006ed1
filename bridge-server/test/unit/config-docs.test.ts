// docs/configuration.md, "When the file is wrong", checked against the real `switchboard-bridge`:
// the example session and every row of the table of messages are run, and what the bridge prints
// must be what the page says. A row with no input here fails too, so the page cannot drift.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../../src/config.js';
import { verifyPassword } from '../../src/console/passwords.js';

const DOC = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
/** The built `switchboard-bridge` (package.json's bin; `npm test` builds before it runs the tests). */
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
assert.ok(existsSync(CLI), `${CLI} is missing: npm run build`);
const STORE = { type: 'sqlite', path: 'x.db' };
const SITES = [{ key: 'shop', origins: ['https://shop.example.com'] }];
const VALID = { store: STORE, sites: SITES };
const POSTGRES_URL = 'postgres://bridge:secret@db.test/switchboard';
/** A well-formed password hash (the one the "console" section shows). */
const DOC_HASH = 'scrypt$16384$8$1$Sg8kxbv1xbrAoVO42NVXqg==$O88LLbtTbm+T2IdwwK+gLvyqLBYVemsobWwbFOUdkpE=';

/** What each row of the table is run with: the file's content (none: no file), the environment, and the indices N and M stand for. */
const ROWS: Record<string, { file?: string; env?: Record<string, string>; vars?: Record<string, string> }> = {
  'file missing or unreadable': {},
  'not JSON': { file: '{ "store": ' },
  'unknown key': { file: JSON.stringify({ store: { ...STORE, synchronus: 'full' }, sites: SITES }) },
  'cross-check failed': { file: JSON.stringify({ ...VALID, teams: [{ id: 'support', members: [], sites: ['nope'] }] }) },
  'unknown network type': { file: JSON.stringify({ ...VALID, networks: [{ type: 'web' }, { type: 'telex' }] }), vars: { N: '1' } },
  'network type listed twice': { file: JSON.stringify({ ...VALID, networks: [{ type: 'web' }, { type: 'web' }] }), vars: { N: '1', M: '0' } },
  'invalid network entry': { file: JSON.stringify({ ...VALID, networks: [{ type: 'web', presenceGraceMs: -1 }] }), vars: { N: '0' } },
  'bad `PORT`': { file: JSON.stringify(VALID), env: { PORT: 'abc' } },
  'bad `LOG_LEVEL`': { file: JSON.stringify(VALID), env: { LOG_LEVEL: 'loud' } },
  'Postgres store without a URL': { file: JSON.stringify({ store: { type: 'postgres' }, sites: SITES }) },
  'bad `SWITCHBOARD_DATABASE_URL`': {
    file: JSON.stringify({ store: { type: 'postgres' }, sites: SITES }),
    env: { SWITCHBOARD_DATABASE_URL: 'mysql://bridge:secret@db.test/switchboard' },
  },
  'files in the database of a SQLite store': { file: JSON.stringify({ ...VALID, files: { storage: 'database' } }) },
  'cluster on SQLite': { file: JSON.stringify({ ...VALID, cluster: { redis: { url: 'redis://redis.test:6379' } } }) },
  'cluster without a Redis URL': { file: JSON.stringify({ store: { type: 'postgres', url: POSTGRES_URL }, sites: SITES, cluster: {} }) },
  'bad `SWITCHBOARD_REDIS_URL`': {
    file: JSON.stringify({ store: { type: 'postgres', url: POSTGRES_URL }, sites: SITES, cluster: {} }),
    env: { SWITCHBOARD_REDIS_URL: 'http://redis.test:6379' },
  },
  'console account of no web agent': {
    file: JSON.stringify({
      ...VALID,
      teams: [{ id: 'support', members: ['web:a_alice'] }],
      console: { accounts: [{ site: 'shop', agent: 'carol', passwordHash: DOC_HASH }] },
    }),
    vars: { N: '0' },
  },
};
/** The file behind the example session at the top of the section. */
const EXAMPLE = { store: STORE, sites: [{ key: 'x', origins: ['https://shop.example.com/tents'], tokenTTLDays: 30 }], limits: { maxTextLength: 20_000 } };

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-docs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `switchboard-bridge --config NAME` in a folder of its own, as a user would. */
function runBridge(name: string, file: string | undefined, env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const cwd = mkdtempSync(join(dir, 'run-'));
  if (file !== undefined) writeFileSync(join(cwd, name), file);
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !['PORT', 'HOST', 'LOG_LEVEL', 'SWITCHBOARD_CONFIG', 'SWITCHBOARD_DATABASE_URL', 'SWITCHBOARD_REDIS_URL'].includes(key),
    ),
  );
  // A valid configuration would start a bridge: the timeout fails such a run rather than hang.
  const result = spawnSync(process.execPath, [CLI, '--config', name], { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

const section = (() => {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('## When the file is wrong');
  assert.ok(start >= 0, 'docs/configuration.md has the section "When the file is wrong"');
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
})();

/** `FILE`, `[N]`, `[M]` and `...` of a documented message, as a pattern for one printed line. */
function linePattern(documented: string, file: string, vars: Record<string, string>): RegExp {
  const escaped = documented.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const filled = escaped
    .replaceAll('FILE', file.replace(/[.]/g, '\\.'))
    .replace(/\\\[([NM])\\\]/g, (_, name: string) => `\\[${vars[name] ?? name}\\]`)
    .replaceAll('\\.\\.\\.', '.+');
  return new RegExp(`^${filled}$`);
}

describe('docs/configuration.md: what the bridge prints for a wrong configuration', () => {
  it('prints the example session exactly, and exits with code 1', () => {
    const session = /```\n\$ switchboard-bridge --config (\S+)\n([\s\S]*?)\n\$ echo \$\?\n(\d+)\n```/.exec(section);
    assert.ok(session, 'the example session is in the section');
    const [, name, printed, code] = session;
    const result = runBridge(name!, JSON.stringify(EXAMPLE));
    assert.equal(result.stderr.trimEnd(), printed);
    assert.equal(result.status, Number(code));
  });

  const rows = [...section.matchAll(/^\| (.+?) \| (.+) \|$/gm)]
    .map(([, problem, message]) => ({ problem: problem!, message: message! }))
    .filter((row) => row.problem !== 'problem' && !/^-+$/.test(row.problem));

  it('documents the rows this test runs, and runs every row documented', () => {
    assert.ok(rows.length >= 9, `${rows.length} rows`);
    assert.deepEqual(rows.map((row) => row.problem).sort(), Object.keys(ROWS).sort());
  });

  for (const { problem, message } of rows) {
    it(`prints what the table says for: ${problem}`, () => {
      const input = ROWS[problem];
      assert.ok(input, `an input for the row "${problem}"`);
      const name = input.file === undefined ? 'missing.json' : 'bad.json';
      const result = runBridge(name, input.file, input.env);
      assert.equal(result.status, 1, result.stderr);
      // "A then B": A is the first line printed, B one of the lines after it (the first code span of each part).
      const [head, rest] = message.split(/ then\b/);
      const expected = [head, rest].filter((part): part is string => part !== undefined).map((part) => /`([^`]+)`/.exec(part)?.[1]);
      assert.ok(expected.every(Boolean), `every part of "${message}" shows the message in backticks`);
      const lines = result.stderr
        .trimEnd()
        .split('\n')
        .map((line) => line.trim());
      assert.match(lines[0]!, linePattern(expected[0]!, name, input.vars ?? {}));
      if (expected[1]) {
        const pattern = linePattern(expected[1], name, input.vars ?? {});
        assert.ok(
          lines.slice(1).some((line) => pattern.test(line)),
          `a line matching ${pattern} in:\n${result.stderr}`,
        );
      }
    });
  }
});

describe('docs/configuration.md: the "console" section', () => {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('### `console`');
  const console_ = text.slice(start, text.indexOf('\n### ', start + 1));

  it('prints a hash as the example shows, and the documented hash verifies the documented password', async () => {
    const example = /```\n\$ printf '%s\\n' '([^']+)' \| switchboard-bridge hash-password\n(\S+)\n```/.exec(console_);
    assert.ok(example, 'the hash-password example is in the section');
    const [, password, documented] = example;
    const result = spawnSync(process.execPath, [CLI, 'hash-password'], { input: `${password}\n`, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    const printed = result.stdout.trim();
    assert.match(printed, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(printed, documented, 'a new salt each run');
    assert.equal(await verifyPassword(password!, printed), true);
    assert.equal(await verifyPassword(password!, documented!), true);
    assert.equal(await verifyPassword(`${password}x`, documented!), false);
  });

  it('refuses a short password, one longer than the sign-in takes, and an argument', () => {
    const short = spawnSync(process.execPath, [CLI, 'hash-password'], { input: 'short\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(short.status, 1);
    assert.match(short.stderr, /at least 8 characters/);
    // What the sign-in would refuse is not hashed either.
    const long = spawnSync(process.execPath, [CLI, 'hash-password'], { input: `${'x'.repeat(1025)}\n`, encoding: 'utf8', timeout: 30_000 });
    assert.equal(long.status, 1);
    assert.match(long.stderr, /at most 1024 characters/);
    const argument = spawnSync(process.execPath, [CLI, 'hash-password', 'secret-password'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(argument.status, 2);
    assert.match(argument.stderr, /reads the password on stdin/);
  });

  it('accepts the example configuration with that hash', () => {
    const json = /```json\n([\s\S]*?)\n```/.exec(console_);
    assert.ok(json, 'the JSON example is in the section');
    const example = JSON.parse(json[1]!) as Record<string, unknown>;
    const config = parseConfig({ store: STORE, sites: SITES, ...example }, 'docs', dir);
    assert.equal(config.console.accounts[0]!.agent, 'alice');
    assert.equal(config.console.accounts[0]!.passwordHash, DOC_HASH);
  });
});
