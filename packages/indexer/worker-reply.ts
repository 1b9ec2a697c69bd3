/**
 * How a worker thread (parse or resolve) answers the pool: `{ id, ok, result | error, heap }`. Every reply
 * carries the thread's V8 heap, so the daemon's status can show where its memory is: the main thread's heap
 * is only part of the daemon's RSS, and the soak's RSS slope needs the rest named.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';

export interface ThreadHeap {
  /** Bytes of live objects (and garbage not collected yet). */
  usedBytes: number;
  /** Bytes V8 has committed for the heap (what RSS sees). */
  totalBytes: number;
}

export function threadHeap(): ThreadHeap {
  const h = getHeapStatistics();
  return { usedBytes: h.used_heap_size, totalBytes: h.total_heap_size };
}

/** What the pool posts to end a worker (see `WorkerPool.close`). */
export const STOP_WORKER = 'stop';

/**
 * Serves the pool's messages: each task goes to `handle`; STOP_WORKER closes the port, so the thread ends
 * on its own once the task it is running (or its warm-up) has finished. A thread terminated from outside
 * in the middle of a tree-sitter parse aborted the whole process: the parser calls back into JavaScript for
 * the source text, the call fails as the thread is torn down, and node-addon-api's C++ exception has no
 * handler there.
 */
export function serveTasks<M>(handle: (message: { id?: number; msg: M }) => void): void {
  parentPort!.on('message', (message: { id?: number; msg: M } | typeof STOP_WORKER) => {
    if (message === STOP_WORKER) parentPort!.close();
    else handle(message);
  });
}

/** Runs `compute` and posts its result (or its error) as the answer to task `id`. */
export function reply(id: number | undefined, compute: () => unknown): void {
  let answer: { ok: true; result: unknown } | { ok: false; error: string };
  try {
    answer = { ok: true, result: compute() };
  } catch (err) {
    answer = { ok: false, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage({ id, ...answer, heap: threadHeap() });
}

/** What a worker posts unasked (no id: not an answer). */
export interface HeapReport {
  heap: ThreadHeap;
  /** Posted after an idle collection (see `collectWhenIdle`). */
  collected?: true;
}

/** Posts the heap alone, e.g. once a standby has warmed up. */
export function reportHeap(): void {
  parentPort!.postMessage({ heap: threadHeap() } satisfies HeapReport);
}

/** Posts the heap right after an idle collection: the pool counts these (`PoolStats.idleCollections`). */
export function reportCollected(): void {
  parentPort!.postMessage({ heap: threadHeap(), collected: true } satisfies HeapReport);
}
