import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Checkpointer } from '../../src/store/sqlite/checkpointer.js';

describe('SQLite checkpointer', () => {
  let dir: string;
  let path: string;
  let db: Database.Database;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-checkpointer-'));
    path = join(dir, 'store.db');
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('folds the WAL back into the database while the event loop is busy, and stops when asked', async () => {
    const insert = db.prepare('INSERT INTO t (text) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200));
    })();
    const before = statSync(path).size;
    const failures: Error[] = [];
    const checkpointer = new Checkpointer({
      path,
      intervalMs: 20,
      foldFrames: 1_000_000,
      onFailure: (error) => failures.push(error),
      onHoldWanted: () => assert.fail('no hold below the limit'),
      onFolded: () => assert.fail('no fold asked for'),
    });
    // The event loop is held the whole time: only another thread can grow the database file.
    const deadline = Date.now() + 10_000;
    while (statSync(path).size === before && Date.now() < deadline);
    assert.ok(statSync(path).size > before, 'the database file grew while the event loop was busy');
    await checkpointer.stop();
    assert.deepEqual(failures, []);
    // The WAL holds nothing the database does not (a checkpoint now has nothing left to copy).
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    assert.equal(result!.checkpointed, result!.log);
  });
});
