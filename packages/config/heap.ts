/**
 * The daemon's V8 heap policy. A full index leaves ~45 MB of garbage on the main thread (the parse results,
 * the previous graph's keys); V8's default growth factor (up to 4× the live heap) let it pile up over several
 * re-indexes before a major GC ran: the heap sawed between 70 and 250 MB, and RSS with it. Growing the old
 * generation by 30 % over what survived a GC keeps it at 65–75 MB across back-to-back full indexes of effect;
 * the extra major GCs mark concurrently. V8 flags are per process: the daemon's worker threads get it too.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

/** Call once, first thing in the daemon process (and in benchmarks that stand in for it). */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
