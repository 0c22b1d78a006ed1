/**
 * Folds the WAL back into the database file off the event loop: a worker thread with its own
 * connection runs a PASSIVE checkpoint on a timer. A PASSIVE checkpoint neither waits for the
 * writer nor makes it wait, so the page copies and the fsync it takes (tens of milliseconds on a
 * busy store) never hold a message up. Durability does not depend on it: a commit is in the WAL
 * before its write resolves.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Plain CommonJS, evaluated in the worker: nothing to build or resolve beside the driver. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    // Busy (another connection's checkpoint at that moment) comes back as a row, not an error:
    // the next tick folds the rest.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The file went away under us (the store closing): stop asks us to end.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /** `onFailure` runs if the worker cannot go on (it could not open the file): the caller checkpoints itself. */
  constructor(path: string, intervalMs: number, onFailure: (error: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's flags (a loader, a profiler): the worker only runs the code above.
      execArgv: [],
      workerData: { path, intervalMs, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.once('error', onFailure);
  }

  /** Stops the timer and closes the worker's connection; resolves once the worker is gone. */
  async stop(): Promise<void> {
    // Held open until the worker is gone, so the store's own close runs after it.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
