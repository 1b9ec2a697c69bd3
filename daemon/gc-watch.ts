/**
 * The main thread's garbage collections, as V8 reports them to perf_hooks: the time they took, so the stall
 * log can name a stall's share of it.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export class GcWatch {
  private ms = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.ms += e.duration;
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
}
