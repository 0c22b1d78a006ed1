/**
 * An online backup of the SQLite store: SQLite's backup API (through better-sqlite3) copies a
 * consistent snapshot page by page, from a second, read-only connection, while the bridge goes on
 * writing (WAL mode lets a reader and a writer work at once).
 */
import { renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';

export async function backupSqlite(storePath: string, target: string): Promise<{ pages: number }> {
  if (resolve(storePath) === resolve(target)) throw new Error('the backup file must not be the store file itself');
  // `fileMustExist`: a wrong path must not create an empty database and back that up.
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  // Written beside the target and renamed once complete: a half-written file never looks like a backup.
  const partial = `${target}.partial`;
  try {
    const { totalPages } = await db.backup(partial);
    renameSync(partial, target);
    return { pages: totalPages };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
}
