/**
 * The resolve worker thread: one per indexer, always the same one (its own pool of one), so it can keep each
 * project's parsed facts and the graph it last resolved between runs (`resolve/session.ts`).
 * It loads no parser and never touches the database.
 */
import { collectWhenIdle } from '../config/heap.js';
import { lowerThisThreadPriority } from '../config/thread-priority.js';
import { ResolveSessions, type ResolveFeed, type ResolveRequest, type ResolveRest } from './resolve/session.js';
import { reply, reportCollected, serveTasks } from './worker-reply.js';

lowerThisThreadPriority();

/**
 * A full GC once the worker has been idle this long after answering a request. Each resolution leaves the
 * previous graph's rows as garbage in the old generation, which V8 (growing it 30 % past what survived, see
 * config/heap.ts) collects only once enough has piled up, so between jobs the worker's heap depended on
 * where in that cycle the last job ended. Over a full index of effect, 21 one-file edits and 2 full
 * re-indexes, read 1.2 s after each job: in use 27–42 MB, committed 36–47 MB; with this collection 22 MB in
 * use every time, committed 31–38 MB. Longer than a parse worker's wait: agents' edits come every second or
 * two, and a collection here delays the next edit's resolution if it starts meanwhile.
 */
const RESOLVE_IDLE_COLLECT_MS = 500;

const sessions = new ResolveSessions();
const collector = collectWhenIdle(reportCollected, RESOLVE_IDLE_COLLECT_MS);

serveTasks<ResolveRequest | ResolveRest | ResolveFeed>(({ id, msg }) => {
  collector.busy();
  reply(id, () => sessions.handle(msg));
  // A feed is followed by more of the same run; the run's request and rest arm the collection.
  if (!('feed' in msg)) collector.idle();
});
