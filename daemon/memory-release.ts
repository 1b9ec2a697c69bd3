/**
 * Trims malloc's arenas (packages/config/malloc-trim.ts) once the daemon's indexing goes quiet: a few
 * seconds after the last job, when the parse workers that did heavy work have been replaced and V8 has had
 * a chance to free the job's garbage. Status shows what each trim gave back.
 */
import { mallocTrim, mallocTrimAvailable } from '../packages/config/malloc-trim.js';
import type { Logger } from '../packages/log/index.js';

/** After the last job: the parse pool recycles heavy workers after 500 ms of quiet; leave them time to end. */
export const RELEASE_DELAY_MS = 3_000;

export interface MemoryReleaseStats {
  /** False without glibc: nothing is trimmed. */
  available: boolean;
  trims: number;
  last: { at: number; releasedBytes: number; ms: number } | null;
}

export class MemoryReleaser {
  private timer: NodeJS.Timeout | null = null;
  private trims = 0;
  private last: MemoryReleaseStats['last'] = null;

  constructor(
    private readonly busy: () => boolean,
    private readonly log: Logger,
    private readonly delayMs = RELEASE_DELAY_MS,
  ) {}

  /** Indexing went quiet: trim after the delay, unless a job is running by then (its own end re-arms this). */
  schedule(): void {
    if (!mallocTrimAvailable()) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.busy()) void this.releaseNow();
    }, this.delayMs);
    this.timer.unref();
  }

  async releaseNow(): Promise<void> {
    const before = process.memoryUsage.rss();
    const t0 = performance.now();
    await mallocTrim();
    const ms = performance.now() - t0;
    const releasedBytes = Math.max(0, before - process.memoryUsage.rss());
    this.trims++;
    this.last = { at: Date.now(), releasedBytes, ms: Math.round(ms * 10) / 10 };
    this.log.debug('malloc trimmed', { releasedMb: Math.round(releasedBytes / 1048576), ms: this.last.ms });
  }

  stats(): MemoryReleaseStats {
    return { available: mallocTrimAvailable(), trims: this.trims, last: this.last };
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
