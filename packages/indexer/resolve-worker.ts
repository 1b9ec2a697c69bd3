/**
 * The resolve worker thread: one per indexer, always the same one (its own pool of one), so it can keep each
 * project's parsed facts and the graph it last resolved between runs (`resolve/session.ts`).
 * It loads no parser and never touches the database.
 */
import { lowerThisThreadPriority } from '../config/thread-priority.js';
import { ResolveSessions, type ResolveRequest, type ResolveRest } from './resolve/session.js';
import { reply, serveTasks } from './worker-reply.js';

lowerThisThreadPriority();

const sessions = new ResolveSessions();

serveTasks<ResolveRequest | ResolveRest>(({ id, msg }) => {
  reply(id, () => sessions.handle(msg));
});
