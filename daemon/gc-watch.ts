/**
 * The main thread's garbage collections, as V8 reports them to perf_hooks: the time they took (the stall log
 * names a stall's share of it) and how many major collections have run (a trim after a heavy job waits for
 * one: until then the job's garbage, and the native memory its objects hold, has not been freed).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';

export class GcWatch {
  private ms = 0;
  private majors = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.ms += e.duration;
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.majors++;
    }
  });

  start(): void {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.observer.disconnect();
  }

  /** Milliseconds spent in collections since start (entries arrive just after each collection). */
  get totalMs(): number {
    return this.ms;
  }

  /** Major (mark-compact) collections since start. */
  get majorCollections(): number {
    return this.majors;
  }
}
