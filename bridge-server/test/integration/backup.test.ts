// `switchboard-bridge backup FILE` while a real bridge (the CLI) takes messages, then the documented
// restore (the backup copied to the store path of a fresh bridge): nothing acked before the backup
// started is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { CLI, exited, runCli } from '../cli-process.js';
import { baseConfig, call, connectTo, userAuth } from '../helpers.js';

function writeConfig(dir: string): string {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ ...baseConfig(dir), store: { type: 'sqlite', path: 'data/switchboard.db' }, log: { level: 'info' } }));
  return path;
}

/** Runs `switchboard-bridge backup FILE --config CONFIG`; resolves with its exit code and output. */
function backup(file: string, config: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, 'backup', file, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return exited(child).then((code) => ({ code, out }));
}

describe('backups', () => {
  it('backs up a running bridge mid-stream, and a restored bridge has every message acked before the backup began', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-backup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = writeConfig(dir);
    const running = await runCli(config);
    t.after(() => running.child.kill('SIGKILL'));
    const { socket } = await connectTo(t, running.url, userAuth('gina'));
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;

    // Messages flow, one after another, for as long as the test says.
    const acked: Message[] = [];
    let flowing = true;
    const stream = (async () => {
      for (let i = 0; flowing; i++) acked.push((await call(socket, 'message:send', { conversationId, clientId: `s${i}`, text: `stream ${i}` })).message);
    })();
    while (acked.length < 50) await new Promise((resolve) => setTimeout(resolve, 5));

    const backupFile = join(dir, 'backups', 'switchboard.backup.db');
    mkdirSync(join(dir, 'backups'));
    const ackedBefore = acked.map((m) => m.id);
    const result = await backup(backupFile, config);
    const ackedDuring = acked.length - ackedBefore.length;
    const countAfterBackup = acked.length;
    while (acked.length < countAfterBackup + 10) await new Promise((resolve) => setTimeout(resolve, 5));
    flowing = false;
    await stream;
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /Backed up .* \(\d+ pages\)/);
    assert.ok(existsSync(backupFile));
    assert.ok(!existsSync(`${backupFile}.partial`));
    // The bridge kept taking messages during and after the backup.
    assert.ok(acked.length >= countAfterBackup + 10);
    t.diagnostic(`${ackedBefore.length} messages acked before the backup, ${ackedDuring} during it`);
    running.child.kill('SIGTERM');
    assert.equal(await exited(running.child), 0);

    // Restore, as docs/deploying.md says: the backup copied to the store path of a stopped (here: new) bridge.
    const fresh = mkdtempSync(join(tmpdir(), 'switchboard-restore-'));
    t.after(() => rmSync(fresh, { recursive: true, force: true }));
    const freshConfig = writeConfig(fresh);
    mkdirSync(join(fresh, 'data'));
    copyFileSync(backupFile, join(fresh, 'data', 'switchboard.db'));
    const restored = await runCli(freshConfig);
    try {
      const { socket: again } = await connectTo(t, restored.url, userAuth('gina'));
      const ids = new Set<string>();
      let after = 0;
      for (;;) {
        const page = await call(again, 'history:get', { conversationId, afterSeq: after, limit: 100 });
        for (const message of page.messages) ids.add(message.id);
        if (!page.hasMore) break;
        after = page.messages.at(-1)!.seq;
      }
      const missing = ackedBefore.filter((id) => !ids.has(id));
      assert.deepEqual(missing, []);
      // A snapshot: what it holds is a prefix of the stream, with no gap.
      const stored = acked.filter((m) => ids.has(m.id));
      assert.deepEqual(
        stored.map((m) => m.seq),
        stored.map((_, i) => i + 1),
      );
    } finally {
      restored.child.kill('SIGTERM');
      assert.equal(await exited(restored.child), 0);
    }
  });

  it('refuses a missing store and bad arguments without writing anything', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-backup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = writeConfig(dir);
    const missing = await backup(join(dir, 'out.db'), config);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /^switchboard-bridge backup: .+/);
    assert.doesNotMatch(missing.out, /\n\s+at /);
    assert.ok(!existsSync(join(dir, 'out.db')));
    const child = spawn(process.execPath, [CLI, 'backup', '--config', config], { stdio: 'ignore' });
    assert.equal(await exited(child), 2);
  });

  it('refuses a Postgres store, pointing to pg_dump, without connecting or writing anything', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-backup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'config.json');
    // Nothing listens there: the command must answer without trying.
    writeFileSync(config, JSON.stringify({ ...baseConfig(dir), store: { type: 'postgres', url: 'postgres://bridge:secret@127.0.0.1:1/switchboard' } }));
    const result = await backup(join(dir, 'out.db'), config);
    assert.equal(result.code, 1);
    assert.match(result.out, /^switchboard-bridge backup: the configured store is Postgres; .*Back up a Postgres store with pg_dump/);
    assert.doesNotMatch(result.out, /\n\s+at /);
    assert.ok(!existsSync(join(dir, 'out.db')));
  });

  it("refuses a cluster node's configuration whose secrets are in the environment, run where they are not", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-backup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'config.json');
    // As docs/deploying.md ("Several nodes") keeps them: the database's and Redis' URLs in the environment only.
    writeFileSync(config, JSON.stringify({ ...baseConfig(dir), store: { type: 'postgres' }, cluster: { redis: {} } }));
    const { SWITCHBOARD_DATABASE_URL: _database, SWITCHBOARD_REDIS_URL: _redis, ...env } = process.env;
    const result = await backup(join(dir, 'out.db'), config, env);
    assert.equal(result.code, 1);
    assert.match(result.out, /^switchboard-bridge backup: the configured store is Postgres; .*Back up a Postgres store with pg_dump/);
    assert.ok(!existsSync(join(dir, 'out.db')));
  });
});
