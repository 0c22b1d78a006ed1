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

  /** Rows written to the WAL only (no checkpoint runs here); the database file's size before any fold. */
  const writeRows = (text: string) => {
    const insert = db.prepare('INSERT INTO t (text) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(text.repeat(200));
    })();
    return statSync(path).size;
  };

  /** A checkpointer on the store below its fold limit, its failures collected. */
  const checkpointerEvery = (intervalMs: number, failures: Error[]) =>
    new Checkpointer({
      path,
      intervalMs,
      foldFrames: 1_000_000,
      onFailure: (error) => failures.push(error),
      onHoldWanted: () => assert.fail('no hold below the limit'),
      onFolded: () => assert.fail('no fold asked for'),
    });

  /**
   * Holds the event loop until the database file grows past `size` (only another thread can grow
   * it meanwhile), 10 s at most; whether it grew.
   */
  const grewPast = (size: number) => {
    const deadline = Date.now() + 10_000;
    while (statSync(path).size === size && Date.now() < deadline);
    return statSync(path).size > size;
  };

  it('folds the WAL back into the database while the event loop is busy, and stops when asked', async () => {
    const before = writeRows('x');
    const failures: Error[] = [];
    const checkpointer = checkpointerEvery(20, failures);
    assert.ok(grewPast(before), 'the database file grew while the event loop was busy');
    await checkpointer.stop();
    assert.deepEqual(failures, []);
    // The WAL holds nothing the database does not (a checkpoint now has nothing left to copy).
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    assert.equal(result!.checkpointed, result!.log);
  });

  it('passes once as it starts, without waiting for its first interval', async () => {
    const before = writeRows('y');
    const failures: Error[] = [];
    const checkpointer = checkpointerEvery(3_600_000, failures);
    const grown = grewPast(before);
    await checkpointer.stop();
    assert.deepEqual(failures, []);
    assert.ok(grown, 'the database file grew long before the first interval was over');
  });
});
