/**
 * What a worker thread's V8 heap holds, sent with each reply so the daemon's status can show where its memory
 * is: the main thread's heap is only part of the daemon's RSS, and the soak's RSS slope needs the rest named.
 */
import { getHeapStatistics } from 'node:v8';

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
