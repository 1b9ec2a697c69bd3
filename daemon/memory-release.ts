/**
 * Trims malloc's arenas (packages/config/glibc-malloc.ts) after indexing: a few seconds after a job ends, when
 * the parse workers that did heavy work have been replaced, if no job runs by then. Agents that keep editing
 * keep jobs coming (the 16-session soak: one every 1-2 s, rarely 3 s apart), so a trim waits for quiet at
 * most MAX_WAIT_MS. And trims are MIN_INTERVAL_MS apart: malloc_trim holds each arena's lock while it walks
 * it, so the main thread's allocations wait for it (10-28 ms for ~100 MB of fragmented arena); after every
 * one-file edit that is a stall for little gain. Status shows what each trim gave back.
 *
 * A trim first collects the main thread's garbage (`collectGarbage`, a full V8 collection: 20-30 ms on the
 * 16-session soak's daemon), then runs `beforeTrim` (the daemon empties SQLite's page cache there, so what it
 * held is part of what malloc_trim returns). A job leaves 10-25 MB of garbage on the main heap, and the
 * native memory its objects hold (SQLite rows, buffers) is freed only when V8 collects them. Left to V8, that
 * came 5-10 s after a heavy job under the soak's load (the trim waited for it), and between V8's collections
 * the main heap held anything from what was live to the 30 % above it that the heap-growing limit allows
 * (packages/config/heap.ts), plus the pages V8 had grown into: the soak's settled samples swung 45-68 MB on
 * the main heap alone and drifted up for minutes after each daemon start (10-minute runs of seed 1151 judged
 * 1.26-1.77 MB/min; with the collection, -0.44 and 0.52).
 */
import { mallocTrim, mallocTrimAvailable } from '../packages/config/glibc-malloc.js';
import { PARSE_BATCH_BYTES } from '../packages/indexer/index.js';
import type { Logger } from '../packages/log/index.js';

/** After the last job: the parse pool recycles heavy workers after 500 ms of quiet; leave them time to end. */
export const RELEASE_DELAY_MS = 3_000;
/** Since the last trim: past this, a trim runs even while a job does (malloc_trim is thread-safe). */
export const MAX_WAIT_MS = 30_000;
/** Between two trims, at least this long. */
export const MIN_INTERVAL_MS = 15_000;
/**
 * A job whose parse workers read more source than one parse batch (so it spread over a second worker) leaves
 * megabytes to free after it ends: the extra worker, its trees, the main thread's buffers. One-file edits,
 * which agents make every few seconds, do not. Read, not parsed: a checkout that rewrites files with their
 * old content makes the workers read and hash them all, and parse none.
 */
export const HEAVY_JOB_BYTES = PARSE_BATCH_BYTES;

export interface MemoryReleaseStats {
  /** False without glibc: nothing is trimmed. */
  available: boolean;
  trims: number;
  /** The last trim: what it gave back, its time in all, and the pause of the collection before it. */
  last: { at: number; releasedBytes: number; ms: number; gcMs: number | null } | null;
  /**
   * Index jobs that ended since the last trim (or, heavy ones, less than a release delay before it), and the
   * bytes their parse workers read: a job's memory (parse workers, freed native memory) stays until the next
   * trim, so these say whether RSS now is a resting baseline (the soak's leak judge reads them).
   */
  jobsSinceTrim: number;
  bytesReadSinceTrim: number;
}

export interface ReleaseOptions {
  /** Frees what the process caches itself, right before each trim (the daemon: SQLite's page cache). */
  beforeTrim?: () => void;
  /**
   * A full garbage collection of the main thread's heap (the daemon: V8's `gc()`), before each trim; the
   * trim then waits a turn of the event loop, where Node runs the finalizers that free native memory.
   */
  collectGarbage?: () => void;
  delayMs?: number;
  maxWaitMs?: number;
  minIntervalMs?: number;
}

interface HeavyJob {
  at: number;
  bytes: number;
}

export class MemoryReleaser {
  private timer: NodeJS.Timeout | null = null;
  private trims = 0;
  private last: MemoryReleaseStats['last'] = null;
  private jobsSinceTrim = 0;
  private bytesReadSinceTrim = 0;
  /** Heavy jobs still freeing their memory (see `settlingHeavy`): a trim now cannot give it back. */
  private recentHeavy: HeavyJob[] = [];

  /** When the last trim ran (or this releaser was made). */
  private lastAt = Date.now();

  private readonly delayMs: number;
  private readonly maxWaitMs: number;
  private readonly minIntervalMs: number;
  private readonly beforeTrim: () => void;
  private readonly collectGarbage: (() => void) | null;

  constructor(
    private readonly busy: () => boolean,
    private readonly log: Logger,
    opts: ReleaseOptions = {},
  ) {
    this.delayMs = opts.delayMs ?? RELEASE_DELAY_MS;
    this.maxWaitMs = opts.maxWaitMs ?? MAX_WAIT_MS;
    this.minIntervalMs = opts.minIntervalMs ?? MIN_INTERVAL_MS;
    this.beforeTrim = opts.beforeTrim ?? (() => {});
    this.collectGarbage = opts.collectGarbage ?? null;
  }

  /** An index job ended; its parse workers read this many bytes (counted for status; `schedule` comes once idle). */
  jobEnded(bytesRead: number): void {
    this.jobsSinceTrim++;
    this.bytesReadSinceTrim += bytesRead;
    if (bytesRead > HEAVY_JOB_BYTES) {
      this.recentHeavy = [...this.settlingHeavy(), { at: Date.now(), bytes: bytesRead }];
    }
  }

  /** Heavy jobs that ended less than a delay ago. */
  private settlingHeavy(): HeavyJob[] {
    const now = Date.now();
    return this.recentHeavy.filter((j) => now - j.at < this.delayMs);
  }

  /**
   * The daemon went idle after jobs: trim after the delay (and no sooner than minInterval after the last
   * trim). A trim already pending keeps its time (jobs every second would otherwise push it back forever);
   * if a job runs when it is due, or a heavy one is still settling (its extra parse workers and trees are
   * being freed), it waits another delay, up to maxWaitMs since the last trim.
   */
  schedule(): void {
    if (this.timer || !mallocTrimAvailable()) return;
    const wait = Math.max(this.delayMs, this.lastAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const settling = this.busy() || this.settlingHeavy().length > 0;
      if (settling && Date.now() - this.lastAt < this.maxWaitMs) this.schedule();
      else void this.releaseNow();
    }, wait);
    this.timer.unref();
  }

  async releaseNow(): Promise<void> {
    const before = process.memoryUsage.rss();
    const t0 = performance.now();
    // A job ending while the trim runs is counted for the next one; so is a heavy one still settling (a trim
    // forced by maxWait): it frees its memory after this trim, so RSS is not settled yet.
    this.recentHeavy = this.settlingHeavy();
    this.jobsSinceTrim = this.recentHeavy.length;
    this.bytesReadSinceTrim = this.recentHeavy.reduce((n, j) => n + j.bytes, 0);
    const gcMs = await this.collect();
    try {
      this.beforeTrim();
    } catch (err) {
      this.log.warn('releasing memory before a trim failed', { error: (err as Error).message });
    }
    await mallocTrim();
    const ms = performance.now() - t0;
    const releasedBytes = Math.max(0, before - process.memoryUsage.rss());
    this.trims++;
    this.lastAt = Date.now();
    this.last = { at: this.lastAt, releasedBytes, ms: round1(ms), gcMs };
    this.log.debug('malloc trimmed', { releasedMb: Math.round(releasedBytes / 1048576), ms: this.last.ms, gcMs });
  }

  /** The collection before a trim, and the turn of the event loop after it; its pause in ms (null: none). */
  private async collect(): Promise<number | null> {
    if (!this.collectGarbage) return null;
    const t0 = performance.now();
    this.collectGarbage();
    const ms = round1(performance.now() - t0);
    await new Promise((resolve) => setImmediate(resolve));
    return ms;
  }

  stats(): MemoryReleaseStats {
    return {
      available: mallocTrimAvailable(),
      trims: this.trims,
      last: this.last,
      jobsSinceTrim: this.jobsSinceTrim,
      bytesReadSinceTrim: this.bytesReadSinceTrim,
    };
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
