/**
 * Index jobs. At most one runs per project; requests that arrive while one runs are coalesced into a single
 * follow-up job (it must run after, since the running job may have scanned before the caller's edit).
 * Jobs for different projects run side by side and share the indexer's worker pool.
 *
 * A job is shared by everyone who asked for it. A caller may withdraw (its MCP call was cancelled); the job
 * is cancelled only when nobody is left who wants it — the watcher and catch-up ask without a signal, so
 * their jobs always finish.
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

/** One job, queued or running, and who still wants it. */
interface Request {
  root: string;
  mode: IndexMode;
  /** undefined = scan everything */
  paths: Set<string> | undefined;
  listeners: Set<(p: IndexProgress) => void>;
  /** Parties still waiting; a party without a signal never leaves. */
  interest: number;
  controller: AbortController;
  info: JobInfo | null;
  promise: Promise<IndexReport>;
  resolve: (r: IndexReport) => void;
  reject: (e: unknown) => void;
}

export interface RunOptions {
  onProgress?: (p: IndexProgress) => void;
  changedPaths?: string[];
  /** The caller's cancellation: it stops waiting, and the job stops if nobody else wants it. */
  signal?: AbortSignal;
}

export class JobManager {
  private readonly running = new Map<string, Request>();
  private readonly pending = new Map<string, Request>();
  private readonly idleListeners = new Set<() => void>();
  private readonly doneListeners = new Set<(root: string, report: IndexReport | null) => void>();
  private readonly rebuildListeners = new Map<string, Set<() => void>>();

  constructor(
    private readonly indexer: Indexer,
    private readonly log: Logger,
  ) {}

  /** Runs an index of `root` (a realpath), or joins the follow-up of the one already running. */
  run(root: string, mode: IndexMode, opts: RunOptions = {}): Promise<IndexReport> {
    if (opts.signal?.aborted) return Promise.reject(cancelled(root));
    if (!this.running.has(root)) {
      const req = this.request(root, mode, opts.changedPaths);
      // Join first: the caller's progress listener must be there before the job reports anything.
      const joined = this.join(req, opts);
      this.start(req);
      return joined;
    }
    const req = this.pending.get(root) ?? this.request(root, mode, opts.changedPaths ? [] : undefined);
    this.pending.set(root, req);
    if (mode === 'full') req.mode = 'full';
    if (!opts.changedPaths) req.paths = undefined;
    else if (req.paths) for (const p of opts.changedPaths) req.paths.add(p);
    return this.join(req, opts);
  }

  private request(root: string, mode: IndexMode, paths: string[] | undefined): Request {
    let resolve!: (r: IndexReport) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<IndexReport>((res, rej) => ((resolve = res), (reject = rej)));
    // Nobody may be listening when a withdrawn job fails; that is not an unhandled rejection.
    promise.catch(() => undefined);
    return { root, mode, paths: paths && new Set(paths), listeners: new Set(), interest: 0, controller: new AbortController(), info: null, promise, resolve, reject };
  }

  /** Adds a party to a request; with a signal, the party can withdraw. */
  private join(req: Request, opts: RunOptions): Promise<IndexReport> {
    req.interest++;
    if (opts.onProgress) req.listeners.add(opts.onProgress);
    const signal = opts.signal;
    if (!signal) return req.promise;
    return new Promise<IndexReport>((resolve, reject) => {
      const withdraw = () => {
        if (opts.onProgress) req.listeners.delete(opts.onProgress);
        reject(cancelled(req.root));
        if (--req.interest > 0) return;
        if (this.pending.get(req.root) === req) {
          this.pending.delete(req.root);
          req.reject(cancelled(req.root));
        } else if (this.running.get(req.root) === req) {
          this.log.info('job cancelled', { root: req.root, why: 'every caller withdrew' });
          req.controller.abort();
        }
      };
      signal.addEventListener('abort', withdraw, { once: true });
      req.promise.then(
        (r) => (signal.removeEventListener('abort', withdraw), resolve(r)),
        (e) => (signal.removeEventListener('abort', withdraw), reject(e)),
      );
    });
  }

  private start(req: Request): void {
    const { root, mode } = req;
    const info: JobInfo = { root, mode, startedAt: Date.now(), progress: null };
    req.info = info;
    this.running.set(root, req);
    if (mode === 'full') for (const l of this.rebuildListeners.get(root) ?? []) l();
    const changedPaths = req.paths ? [...req.paths] : undefined;
    this.log.info('job start', { root, mode, changed: changedPaths?.length });
    this.indexer
      .index(root, {
        mode,
        signal: req.controller.signal,
        changedPaths,
        onProgress: (p) => {
          info.progress = p;
          for (const l of req.listeners) l(p);
        },
      })
      .then(
        (report) => {
          this.log.info('job done', { root, mode, ms: report.durationMs, files: report.files.total, parsed: report.files.parsed });
          this.finish(root, report);
          req.resolve(report);
        },
        (err: unknown) => {
          this.log.warn('job failed', { root, mode, err: (err as Error).message });
          this.finish(root, null);
          req.reject(err);
        },
      );
  }

  private finish(root: string, report: IndexReport | null): void {
    this.running.delete(root);
    for (const l of this.doneListeners) l(root, report);
    const next = this.pending.get(root);
    if (next) {
      this.pending.delete(root);
      this.start(next);
      return;
    }
    if (this.running.size === 0) for (const l of this.idleListeners) l();
  }

  /** The job running or queued for `root`, if any (read-your-writes waits on it). */
  current(root: string): Promise<IndexReport> | undefined {
    return this.pending.get(root)?.promise ?? this.running.get(root)?.promise;
  }

  /**
   * Calls `listener` when a full index of `root` is running: at once if one is, else when one starts.
   * Returns the unsubscribe (callers subscribe per query, so they must leave when done).
   */
  whenRebuilding(root: string, listener: () => void): () => void {
    if (this.running.get(root)?.mode === 'full') {
      listener();
      return () => undefined;
    }
    let set = this.rebuildListeners.get(root);
    if (!set) this.rebuildListeners.set(root, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.rebuildListeners.get(root) === set) this.rebuildListeners.delete(root);
    };
  }

  /** The job running for `root`, if any. */
  info(root: string): JobInfo | null {
    const info = this.running.get(root)?.info;
    return info ? { ...info } : null;
  }

  list(): JobInfo[] {
    return [...this.running.values()].flatMap((r) => (r.info ? [{ ...r.info }] : []));
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
      next.reject(cancelled(root));
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

function cancelled(root: string): CodehiveError {
  return new CodehiveError('CANCELLED', `the index of ${root} was cancelled`);
}
