/**
 * The daemon's whole-graph read thread (see whole-graph.ts): its own read-only connection to the database,
 * used for the reads that walk a whole snapshot. Same process as the main connection, so the one-owner rule
 * holds; it maps the file like the main connection does (CODEHIVE_SQLITE_MMAP_SIZE) and never writes or
 * checkpoints. Normal priority: an agent waits on every read it runs.
 */
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { reply, serveTasks } from '../../indexer/worker-reply.js';
import { runRead, type ReadRequest } from './whole-graph.js';

export interface WholeGraphWorkerData {
  path: string;
  mmapSize: number;
}

const { path, mmapSize } = workerData as WholeGraphWorkerData;
const db = new Database(path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma(`mmap_size = ${mmapSize}`);
// The pages come from the memory map; a small cache is enough for what is not mapped.
db.pragma('cache_size = -4000');

serveTasks<ReadRequest>(({ id, msg }) => reply(id, () => runRead(db, msg)));
