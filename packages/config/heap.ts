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
import { runInNewContext } from 'node:vm';

export const HEAP_GROWING_PERCENT = 30;

/** For the daemon process: see `applyDaemonV8Flags` (config/index.ts). */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * For the daemon process, before it starts any worker: each worker's young generation is its own
 * `resourceLimits.maxYoungGenerationSizeMb` again. The daemon starts with --max-semi-space-size=4 for its main
 * thread (DAEMON_NODE_FLAGS), but V8 reads that flag for every isolate it creates, and where it is set it
 * overrides a Worker's limit: the whole-graph read thread, given 4 MB, grew its young generation to 8 MB in
 * the soak's last minutes (its committed heap 10 → 14 MB). The main isolate has read the flag by now; 0 is
 * V8's "unset", under which a worker without a limit would get V8's default (32 MB), so every worker the
 * daemon starts names its young generation (`WORKER_YOUNG_GENERATION_MB`).
 */
export function leaveYoungGenerationToWorkers(): void {
  setFlagsFromString('--max-semi-space-size=0');
}

/** Young-generation sizes (MB, V8's `maxYoungGenerationSizeMb`; 2 is its floor) of the daemon's workers. */
export const WORKER_YOUNG_GENERATION_MB = {
  /** What they had under the main thread's flag, with which every speed figure in docs/benchmarks.md was taken. */
  parse: 8,
  /**
   * V8's default (16 MB a semi-space) let this worker's heap grow to ~180 MB over a few effect edits (each
   * run's graph is garbage at the next); 8 MB keeps it at ~90–110 MB at the same speed.
   */
  resolve: 8,
  /** A read's rows are garbage once posted: V8's default would be most of what the thread commits. */
  wholeGraph: 4,
  /** It runs one PRAGMA per checkpoint. */
  checkpoint: 2,
} as const;

/**
 * The shim's: a young generation that never grows. V8 doubles the new space (up to 2 × 16 MiB) when a process
 * allocates fast, and a shim forwarding bursts of calls does, though it keeps ~6 MB alive: its RSS went from 56
 * to 81 MB over 80 bursts of 50 calls and stayed there. A factor of 1 (read by V8 each time it would grow, so
 * it works when set at run time, unlike --max-semi-space-size) kept it at 61 MB.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * A parse worker's: a full GC once it has been idle IDLE_COLLECT_MS. tree-sitter 0.21 frees a parsed tree
 * only when V8 collects its small JS wrapper, and V8 does not know the wrapper holds megabytes of native
 * memory. A tree outlives the parse's young-generation collections, so the old generation keeps it until a
 * major GC, which the few live objects of a worker almost never cause: parsing effect's four largest files
 * over and over grew one thread by ~7 MB per parse (a full GC and a turn of the event loop, where Node-API
 * runs the finalizers, kept it flat), and the soak's warm worker climbed ~28 MB over its one-file edits. A
 * GC between tasks would slow a full index's stream of batches, so it waits for a quiet moment; the pool's
 * next task cancels it.
 */
export const IDLE_COLLECT_MS = 100;

export interface IdleCollector {
  /** A task ended: collect after IDLE_COLLECT_MS unless `busy` comes first. */
  idle(): void;
  /** A task began. */
  busy(): void;
}

/**
 * `collected` runs after each such GC, once a turn of the event loop has let Node-API run the finalizers that
 * free the trees' native memory (the parse worker then reports its heap, now without the dead trees).
 */
export function collectWhenIdle(collected: () => void, ms = IDLE_COLLECT_MS): IdleCollector {
  const gc = exposeGc();
  let timer: NodeJS.Timeout | null = null;
  const busy = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return {
    busy,
    idle() {
      busy();
      timer = setTimeout(() => {
        timer = null;
        gc();
        setImmediate(collected);
      }, ms);
      timer.unref();
    },
  };
}

/** V8's `gc()` without starting the process with --expose-gc (a flag set now applies to contexts made after). */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
