/**
 * A steady query load on the main thread: one call every `everyMs`, each timed from the moment it was due
 * to the moment its answer was ready. That includes any time the event loop was blocked before the timer
 * could fire, which is what a client waiting on the daemon experiences (a pure query timer would hide it).
 */
export interface LoadResult {
  latencies: number[];
  errors: number;
  firstError?: string;
}

export function startLoad(call: () => unknown, everyMs = 10): { stop(): Promise<LoadResult> } {
  const res: LoadResult = { latencies: [], errors: 0 };
  let stopped = false;
  let next = performance.now() + everyMs;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> = Promise.resolve();

  const tick = () => {
    if (stopped) return;
    const due = next;
    inflight = (async () => {
      try {
        await call();
      } catch (err) {
        res.errors++;
        res.firstError ??= (err as Error).message;
      }
      const done = performance.now();
      res.latencies.push(done - due);
      // Never queue a backlog: the next call is due one period later, or now if we are already late.
      next = Math.max(due + everyMs, done);
      if (!stopped) timer = setTimeout(tick, Math.max(0, next - performance.now()));
    })();
  };
  timer = setTimeout(tick, everyMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inflight;
      return res;
    },
  };
}
