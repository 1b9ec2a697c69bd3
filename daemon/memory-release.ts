/**
 * Trims malloc's arenas (packages/config/glibc-malloc.ts) after indexing: a few seconds after a job ends, when
 * the parse workers that did heavy work have been replaced and V8 has had a chance to free the job's garbage,
 * if no job runs by then. Agents that keep editing keep jobs coming (the 16-session soak: one every 1-2 s,
 * rarely 3 s apart), so a trim waits for quiet at most MAX_WAIT_MS. And trims are MIN_INTERVAL_MS apart:
 * malloc_trim holds each arena's lock while it walks it, so the main thread's allocations wait for it
 * (10-28 ms for ~100 MB of fragmented arena); after every one-file edit that is a stall for little gain.
 * Status shows what each trim gave back. A trim first runs `beforeTrim` (the daemon empties SQLite's page
 * cache there, so what it held is part of what malloc_trim returns).
 *
 * After a heavy job the trim also waits for the main thread's next major collection (when the daemon counts
 * them): the job leaves 10-25 MB of garbage on the main heap, and the native memory its objects hold (SQLite
 * rows, buffers) is freed only when V8 collects them, 5-10 s later under a 16-session soak's load. A trim
 * before that returned the worker's memory but not this, which then stayed resident until the next trim
 * 15-30 s on (the soak's samples right after such trims: 10-30 MB above the resting baseline).
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
  last: { at: number; releasedBytes: number; ms: number } | null;
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
   * Major collections of the main thread so far (daemon/gc-watch.ts): a heavy job is settled only once one
   * has run since it ended. Unset: a delay after it is enough.
   */
  majorCollections?: () => number;
  delayMs?: number;
  maxWaitMs?: number;
  minIntervalMs?: number;
}

interface HeavyJob {
  at: number;
  bytes: number;
  /** The main thread's major collections when it ended. */
  collections: number;
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
  private readonly majorCollections: (() => number) | null;

  constructor(
    private readonly busy: () => boolean,
    private readonly log: Logger,
    opts: ReleaseOptions = {},
  ) {
    this.delayMs = opts.delayMs ?? RELEASE_DELAY_MS;
    this.maxWaitMs = opts.maxWaitMs ?? MAX_WAIT_MS;
    this.minIntervalMs = opts.minIntervalMs ?? MIN_INTERVAL_MS;
    this.beforeTrim = opts.beforeTrim ?? (() => {});
    this.majorCollections = opts.majorCollections ?? null;
  }

  /** An index job ended; its parse workers read this many bytes (counted for status; `schedule` comes once idle). */
  jobEnded(bytesRead: number): void {
    this.jobsSinceTrim++;
    this.bytesReadSinceTrim += bytesRead;
    if (bytesRead > HEAVY_JOB_BYTES) {
      const job = { at: Date.now(), bytes: bytesRead, collections: this.majorCollections?.() ?? 0 };
      this.recentHeavy = [...this.settlingHeavy(), job];
    }
  }

  /** Heavy jobs that ended less than a delay ago, or with no major collection of the main thread since. */
  private settlingHeavy(): HeavyJob[] {
    const now = Date.now();
    const collections = this.majorCollections?.() ?? Infinity;
    return this.recentHeavy.filter((j) => now - j.at < this.delayMs || collections <= j.collections);
  }

  /**
   * The daemon went idle after jobs: trim after the delay (and no sooner than minInterval after the last
   * trim). A trim already pending keeps its time (jobs every second would otherwise push it back forever);
   * if a job runs when it is due, or a heavy one is still settling (its extra parse workers and trees are
   * being freed, or its garbage waits for a major collection), it waits another delay, up to maxWaitMs since
   * the last trim.
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
    this.last = { at: this.lastAt, releasedBytes, ms: Math.round(ms * 10) / 10 };
    this.log.debug('malloc trimmed', { releasedMb: Math.round(releasedBytes / 1048576), ms: this.last.ms });
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
