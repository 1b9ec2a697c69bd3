/**
 * Logs each long stall of the daemon's event loop with what was running: the status's event-loop figures say
 * that the loop was late, this says when and beside what (tools in flight, index jobs and their phases, and
 * the main thread's collection time during the stall), so a soak's worst window or a user's report of a slow
 * answer can be matched to the work behind it in daemon.log.
 */
import type { Logger } from '../packages/log/index.js';
import type { GcWatch } from './gc-watch.js';

/** A timer this late (beyond its period) is a stall worth a log line. */
export const STALL_LOG_MS = 100;
const TICK_MS = 20;
/** One line per this long at most: a loop stalling again and again does not flood the log. */
const LOG_EVERY_MS = 1_000;

export interface StallContext {
  /** Tool names in flight, with counts. */
  tools(): Record<string, number>;
  /** Index jobs running, as `mode:phase`. */
  jobs(): string[];
}

export class StallWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastLog = -Infinity;
  private count = 0;

  constructor(
    private readonly log: Logger,
    private readonly context: StallContext,
    /** The main thread's collections (started and stopped by its owner). */
    private readonly gc: GcWatch,
  ) {}

  start(): void {
    let due = performance.now() + TICK_MS;
    let gcAtTick = this.gc.totalMs;
    const tick = () => {
      const now = performance.now();
      const late = now - due;
      if (late >= STALL_LOG_MS) this.stalled(late, gcAtTick);
      due = now + TICK_MS;
      gcAtTick = this.gc.totalMs;
      this.timer = setTimeout(tick, TICK_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, TICK_MS);
    this.timer.unref();
  }

  /** Stalls seen since start, logged or not. */
  get stalls(): number {
    return this.count;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private stalled(lateMs: number, gcAtTick: number): void {
    this.count++;
    const now = performance.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    const seen = { ms: Math.round(lateMs), tools: this.context.tools(), jobs: this.context.jobs() };
    // GC entries reach the observer after the stall ends: log once they have (collections since the tick
    // before the stall, i.e. the stall's own).
    setImmediate(() => this.log.warn('event loop stalled', { ...seen, gcMs: Math.round(this.gc.totalMs - gcAtTick) }));
  }
}
