/**
 * Folds the WAL back into the database file off the event loop: a worker thread with its own
 * connection runs a PASSIVE checkpoint on a timer. A PASSIVE checkpoint neither waits for the
 * writer nor makes it wait, so the page copies and the fsync it takes (tens of milliseconds on a
 * busy store) never hold a message up. Durability does not depend on it: a commit is in the WAL
 * before its write resolves. Under writes that never pause, the WAL would grow without end (it
 * starts over only once a pass found nothing more to copy): past a limit the store holds its
 * commits (not the event loop) for one last pass over the rest.
 * https://www.sqlite.org/wal.html#avoiding_excessively_large_wal_files
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Plain CommonJS, evaluated in the worker: nothing to build or resolve beside the driver. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
// Busy (another connection's checkpoint at that moment) comes back as a row, not an error: the
// next tick folds the rest.
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const pass = () => {
  try {
    let pass = checkpoint();
    // What the store wrote while a pass copied is left for the next one: passes again at once
    // while that rest is large (each leaves less, copying being faster than writing).
    for (let again = 0; pass && pass.log - pass.checkpointed > workerData.restFrames && again < 8; again++) pass = checkpoint();
    // Under writes that never pause, the WAL never starts over and grows without end: past the
    // limit, the store is asked to hold its commits while one last pass copies the rest.
    if (pass && pass.log > workerData.foldFrames) parentPort.postMessage('hold');
  } catch {
    // The file went away under us (the store closing): stop asks us to end.
  }
};
// A first pass as the thread starts: what was written before it (a burst at start-up) waits no
// interval more.
pass();
const timer = setInterval(pass, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'held') {
    // Nothing is written meanwhile: this pass completes, and the store's next write starts the WAL over.
    try {
      checkpoint();
    } finally {
      parentPort.postMessage('folded');
    }
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** WAL frames a pass may leave (written while it copied) before the thread passes again at once: 1 MiB of 4 KiB pages. */
const REST_FRAMES = 256;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /**
   * `onFailure` runs if the worker cannot go on (it could not open the file): the caller
   * checkpoints itself. `onHoldWanted` runs when a pass left more than `foldFrames` frames in the
   * WAL: the caller holds its commits and calls `held()`; `onFolded` runs once the last pass is
   * done (the commits may go on).
   */
  constructor(options: { path: string; intervalMs: number; foldFrames: number; onFailure(error: Error): void; onHoldWanted(): void; onFolded(): void }) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the parent's flags (a loader, a profiler): the worker only runs the code above.
      execArgv: [],
      workerData: {
        path: options.path,
        intervalMs: options.intervalMs,
        foldFrames: options.foldFrames,
        restFrames: REST_FRAMES,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      },
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.once('error', (error) => options.onFailure(error));
    this.worker.on('message', (message) => (message === 'hold' ? options.onHoldWanted() : options.onFolded()));
  }

  /** The caller holds its commits: the last pass may run. */
  held(): void {
    this.worker.postMessage('held');
  }

  /** Stops the timer and closes the worker's connection; resolves once the worker is gone. */
  async stop(): Promise<void> {
    // Held open until the worker is gone, so the store's own close runs after it.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
