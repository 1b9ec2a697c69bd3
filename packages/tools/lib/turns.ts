/**
 * Long scans share the event loop by taking turns: each `nextTurn()` waits for a turn of its own, and one
 * waiter runs per turn of the loop, however many scans are in progress. Plain `setImmediate` yields let every
 * scan run a slice in the same turn, so the turn lasted a slice times the scans at once: sixteen sessions
 * searching at once held the daemon's loop for 50-90 ms at a time (docs/benchmarks.md, tenth pass).
 */
const waiting: Array<() => void> = [];

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 1) setImmediate(release);
  });
}

function release(): void {
  // The waiter resumes in this callback's microtasks, after the length check: if it asks for another turn,
  // it finds the queue empty and schedules it itself.
  waiting.shift()?.();
  if (waiting.length) setImmediate(release);
}

/** How long a long loop of a tool runs at most per turn of the event loop. */
const SLICE_MS = 2;

/**
 * Paces a long loop on the main thread: `await step()` before each item returns at once while the current
 * slice is shorter than SLICE_MS, else waits for a turn of its own (`nextTurn`), and then throws if `signal`
 * was aborted meanwhile (the caller cancelled). The first step always waits, so the loop starts in a turn of
 * its own too.
 */
export function turnTaker(signal?: AbortSignal): () => Promise<void> {
  let sliceStart = -Infinity;
  return async () => {
    if (performance.now() - sliceStart < SLICE_MS) return;
    await nextTurn();
    signal?.throwIfAborted();
    sliceStart = performance.now();
  };
}
