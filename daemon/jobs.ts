/**
 * Index jobs. At most one runs per project; requests that arrive while one runs are coalesced into a single
 * follow-up job (it must run after, since the running job may have scanned before the caller's edit).
 * Jobs for different projects run side by side and share the indexer's worker pool.
 */
import type { IndexMode, IndexProgress, IndexReport, Indexer } from '../packages/indexer/api.js';
import type { Logger } from '../packages/log/index.js';
import { CodehiveError } from '../packages/protocol/index.js';

export interface JobInfo {
  root: string;
  mode: IndexMode;
  startedAt: number;
  progress: IndexProgress | null;
}

interface Job {
  info: JobInfo;
  controller: AbortController;
  listeners: Set<(p: IndexProgress) => void>;
  promise: Promise<IndexReport>;
}

interface Pending {
  mode: IndexMode;
  /** undefined = scan everything */
  paths: Set<string> | undefined;
  listeners: Set<(p: IndexProgress) => void>;
  promise: Promise<IndexReport>;
  resolve: (r: IndexReport) => void;
  reject: (e: unknown) => void;
}

export interface RunOptions {
  onProgress?: (p: IndexProgress) => void;
  changedPaths?: string[];
}

export class JobManager {
  private readonly running = new Map<string, Job>();
  private readonly pending = new Map<string, Pending>();
  private readonly idleListeners = new Set<() => void>();
  private readonly doneListeners = new Set<(root: string, report: IndexReport | null) => void>();

  constructor(
    private readonly indexer: Indexer,
    private readonly log: Logger,
  ) {}

  /** Runs an index of `root` (a realpath), or joins the follow-up of the one already running. */
  run(root: string, mode: IndexMode, opts: RunOptions = {}): Promise<IndexReport> {
    if (!this.running.has(root)) return this.start(root, mode, opts.changedPaths, opts.onProgress ? [opts.onProgress] : []);
    let next = this.pending.get(root);
    if (!next) {
      let resolve!: (r: IndexReport) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<IndexReport>((res, rej) => ((resolve = res), (reject = rej)));
      next = { mode, paths: opts.changedPaths ? new Set() : undefined, listeners: new Set(), promise, resolve, reject };
      this.pending.set(root, next);
    }
    if (mode === 'full') next.mode = 'full';
    if (!opts.changedPaths) next.paths = undefined;
    else if (next.paths) for (const p of opts.changedPaths) next.paths.add(p);
    if (opts.onProgress) next.listeners.add(opts.onProgress);
    return next.promise;
  }

  private start(root: string, mode: IndexMode, changedPaths: string[] | undefined, listeners: Array<(p: IndexProgress) => void>): Promise<IndexReport> {
    const controller = new AbortController();
    const info: JobInfo = { root, mode, startedAt: Date.now(), progress: null };
    const job: Job = { info, controller, listeners: new Set(listeners), promise: Promise.resolve(null as never) };
    this.log.info('job start', { root, mode, changed: changedPaths?.length });
    job.promise = this.indexer
      .index(root, {
        mode,
        signal: controller.signal,
        changedPaths,
        onProgress: (p) => {
          info.progress = p;
          for (const l of job.listeners) l(p);
        },
      })
      .then(
        (report) => {
          this.log.info('job done', { root, mode, ms: report.durationMs, files: report.files.total, parsed: report.files.parsed });
          this.finish(root, report);
          return report;
        },
        (err: unknown) => {
          this.log.warn('job failed', { root, mode, err: (err as Error).message });
          this.finish(root, null);
          throw err;
        },
      );
    this.running.set(root, job);
    return job.promise;
  }

  private finish(root: string, report: IndexReport | null): void {
    this.running.delete(root);
    for (const l of this.doneListeners) l(root, report);
    const next = this.pending.get(root);
    if (next) {
      this.pending.delete(root);
      this.start(root, next.mode, next.paths ? [...next.paths] : undefined, [...next.listeners]).then(next.resolve, next.reject);
      return;
    }
    if (this.running.size === 0) for (const l of this.idleListeners) l();
  }

  /** The job running for `root`, if any (read-your-writes waits on it). */
  current(root: string): Promise<IndexReport> | undefined {
    return this.pending.get(root)?.promise ?? this.running.get(root)?.promise;
  }

  /** The job running for `root`, if any. */
  info(root: string): JobInfo | null {
    const j = this.running.get(root);
    return j ? { ...j.info } : null;
  }

  list(): JobInfo[] {
    return [...this.running.values()].map((j) => ({ ...j.info }));
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Called after every job, successful or not. */
  onJobDone(listener: (root: string, report: IndexReport | null) => void): void {
    this.doneListeners.add(listener);
  }

  onIdle(listener: () => void): void {
    this.idleListeners.add(listener);
  }

  /** Cancels the running and queued jobs of one project (before deleting it) and waits for them to stop. */
  async cancel(root: string): Promise<void> {
    const next = this.pending.get(root);
    if (next) {
      this.pending.delete(root);
      next.reject(new CodehiveError('CANCELLED', `the queued index of ${root} was cancelled`));
      next.promise.catch(() => undefined);
    }
    const job = this.running.get(root);
    if (!job) return;
    job.controller.abort();
    await job.promise.catch(() => undefined);
  }

  async cancelAll(): Promise<void> {
    await Promise.all([...new Set([...this.running.keys(), ...this.pending.keys()])].map((r) => this.cancel(r)));
  }
}
