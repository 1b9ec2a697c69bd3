/**
 * V8 heap policies for our processes.
 *
 * The daemon's. A full index leaves ~45 MB of garbage on the main thread (the parse results,
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

/**
 * The shim's: a young generation that never grows. V8 doubles the new space (up to 2 × 16 MiB) when a process
 * allocates fast, and a shim forwarding bursts of calls does, though it keeps ~6 MB alive: its RSS went from 56
 * to 81 MB over 80 bursts of 50 calls and stayed there. A factor of 1 (read by V8 each time it would grow, so
 * it works when set at run time, unlike --max-semi-space-size) kept it at 61 MB.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
