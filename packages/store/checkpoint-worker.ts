/**
 * The daemon's checkpoint thread: its own connection to the database, used for nothing but PASSIVE
 * checkpoints, so copying the WAL back into the database (40+ ms after a full index of a large project)
 * never holds the event loop that answers queries. Same process as the main connection; no mmap (it never
 * reads rows) and never TRUNCATE.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { lowerThisThreadPriority } from '../config/thread-priority.js';

lowerThisThreadPriority();

const db = new Database((workerData as { path: string }).path);
db.pragma('busy_timeout = 5000');
db.pragma('mmap_size = 0');
db.pragma('wal_autocheckpoint = 0');

parentPort!.on('message', (reason: string) => {
  const t0 = performance.now();
  try {
    const row = (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>)[0];
    parentPort!.postMessage({ reason, ok: true, ...row, ms: performance.now() - t0 });
  } catch (err) {
    parentPort!.postMessage({ reason, ok: false, error: (err as Error).message, ms: performance.now() - t0 });
  }
});
