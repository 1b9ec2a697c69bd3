/**
 * The daemon's whole-graph read thread (see whole-graph.ts): its own read-only connection to the database,
 * used for the reads that walk a whole snapshot. Same process as the main connection, so the one-owner rule
 * holds; it never writes or checkpoints. Normal priority: an agent waits on every read it runs.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { collectWhenIdle } from '../../config/heap.js';
import { reply, reportCollected, serveTasks } from '../../indexer/worker-reply.js';
import { runRead, type ReadRequest } from './whole-graph.js';

export interface WholeGraphWorkerData {
  path: string;
}

const { path } = workerData as WholeGraphWorkerData;
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
// No memory map, whatever CODEHIVE_SQLITE_MMAP_SIZE says: a second connection's map is a second copy of the
// file in the daemon's RSS. Its whole-graph scans touched a few more of the file's pages with every new
// snapshot, and the soak's RSS climbed ~1 MB/min file-backed until the map held the whole file (35 MB on
// effect x3). Read into a small page cache instead, the same reads take the same time (the file is in the
// OS page cache).
db.pragma('mmap_size = 0');
db.pragma('cache_size = -4000');

// Every read's rows are garbage once posted, and enough of them outlive a scavenge to sit in the old
// generation until V8 gets round to a full GC. Over 1,500 reads on effect (.scratch/readheap.mjs) the thread
// used 7-13 MB of 23 MB committed (38 MB committed in a 32-session soak); a full GC once it has been idle
// (a few ms, on this thread), with a 4 MB young generation (whole-graph.ts), keeps it at 5 MB of 12.
const collector = collectWhenIdle(reportCollected);

serveTasks<ReadRequest>(({ id, msg }) => {
  collector.busy();
  reply(id, () => runRead(db, msg));
  collector.idle();
});
