/**
 * The resolve worker thread: one per indexer, always the same one (its own pool of one), so it can keep each
 * project's parsed facts and the graph it last resolved between runs (`resolve/session.ts`).
 * It loads no parser and never touches the database.
 */
import { collectWhenIdle } from '../config/heap.js';
import { lowerThisThreadPriority } from '../config/thread-priority.js';
import { ResolveSessions, type ResolveRequest } from './resolve/session.js';
import { reply, reportCollected, serveTasks } from './worker-reply.js';

lowerThisThreadPriority();

const sessions = new ResolveSessions();
// Each run leaves the previous graph and its diff as garbage. A full GC once the worker is idle returns it
// (here, off the daemon's main thread) instead of carrying it into the next run, and the heap the worker
// then reports is what it really keeps: its committed heap crept up ~0.6 MB/min in the soak's
// settled samples (one-file edits every few seconds, a full index every minute or two).
const collector = collectWhenIdle(reportCollected);

serveTasks<ResolveRequest>(({ id, msg }) => {
  collector.busy();
  reply(id, () => sessions.handle(msg));
  collector.idle();
});
