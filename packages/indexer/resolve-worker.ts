/**
 * The resolve worker thread: one per indexer, always the same one (its own pool of one), so it can keep each
 * project's parsed facts and the graph it last resolved between runs (`resolve/session.ts`).
 * It loads no parser and never touches the database.
 */
import { parentPort } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../config/thread-priority.js';
import { ResolveSessions, type ResolveRequest } from './resolve/session.js';
import { threadHeap } from './thread-heap.js';

lowerThisThreadPriority();

const sessions = new ResolveSessions();

parentPort!.on('message', ({ id, msg }: { id: number; msg: ResolveRequest }) => {
  try {
    const out = sessions.handle(msg);
    parentPort!.postMessage({ id, ok: true, result: out, heap: threadHeap() });
  } catch (err) {
    parentPort!.postMessage({ id, ok: false, error: (err as Error).stack ?? String(err), heap: threadHeap() });
  }
  // Requests are handled one at a time: this runs before the next one, off the indexer's critical path.
  sessions.afterReply();
});
