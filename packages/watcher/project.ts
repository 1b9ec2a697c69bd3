/**
 * One project's watcher: a native subscription, the pending-change set, the debounce timer, at most one batch
 * in flight, and the polling fallback. The manager (index.ts) owns the map of these and the shared fence.
 *
 * Batching rule: a change arms a trailing timer of `debounceMs`, re-armed by each later change but never past
 * `maxWaitMs` after the oldest pending change; when it fires, everything pending becomes one batch. While a
 * batch is being applied, new changes accumulate into the next one, so a 2,000-file branch switch costs one or
 * two index jobs, not 2,000.
 */
import { existsSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { Logger } from '../log/index.js';
import type { IgnoreSource, WatchIgnore } from './ignore.js';
import { isIgnoreFile, isRelevant } from './relevance.js';
import type {
  BatchReason,
  ChangeBatch,
  FlushResult,
  PendingInfo,
  SubscribeFn,
  Subscription,
  WatchEvent,
  WatchState,
  WatchStatus,
} from './types.js';

export interface ProjectWatcherConfig {
  log: Logger;
  subscribe: SubscribeFn;
  onBatch: (batch: ChangeBatch) => Promise<void>;
  onState?: (status: WatchStatus) => void;
  debounceMs: number;
  maxWaitMs: number;
  pollIntervalMs: number;
  resubscribeMs: number;
  maxPaths: number;
}

export class ProjectWatcher {
  private st: WatchState = 'stopped';
  private warning: string | null = null;
  private warned = false;
  private sub: Subscription | null = null;
  private rules: WatchIgnore;
  private readonly pendingPaths = new Set<string>();
  private rescan: BatchReason | null = null;
  private since: number | null = null;
  private lastEventAt = 0;
  private debounceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 0;
  private failing = false;
  private tick: NodeJS.Timeout | null = null;
  private lastSubscribeAttempt = 0;
  private inFlight: Promise<void> | null = null;
  private inFlightCount = 0;
  private closed = false;

  constructor(
    readonly projectId: number,
    readonly root: string,
    private readonly ignoreSource: IgnoreSource,
    private readonly cfg: ProjectWatcherConfig,
  ) {
    this.rules = ignoreSource(root);
  }

  get state(): WatchState {
    return this.st;
  }

  /** True while the native watcher delivers events (so a read-your-writes fence is meaningful). */
  get subscribed(): boolean {
    return this.sub !== null;
  }

  status(): WatchStatus {
    return { projectId: this.projectId, root: this.root, state: this.st, warning: this.warning };
  }

  pending(): PendingInfo {
    return {
      paths: this.pendingPaths.size,
      rescan: this.rescan !== null,
      since: this.since,
      inFlight: this.inFlight ? this.inFlightCount : 0,
    };
  }

  /** Subscribes (or falls back to polling). Never throws: a project that cannot be watched is polled or stopped. */
  async start(): Promise<void> {
    if (!existsSync(this.root)) {
      this.stop(`project root ${this.root} does not exist; not watching it`);
      return;
    }
    // The liveness tick runs in every state: it notices a root that vanished without an event (renamed away),
    // drives the rescans when polling, and retries the native watcher. One stat per interval when healthy.
    this.tick = setInterval(() => this.onTick(), this.cfg.pollIntervalMs);
    this.tick.unref();
    await this.subscribeNative();
  }

  private async subscribeNative(): Promise<boolean> {
    this.lastSubscribeAttempt = Date.now();
    try {
      const sub = await this.cfg.subscribe(this.root, (err, events) => this.onNative(err, events), { ignore: this.rules.native });
      if (this.closed) {
        await sub.unsubscribe().catch(() => undefined);
        return false;
      }
      this.sub = sub;
      if (this.st !== 'watching') {
        if (this.st === 'polling') this.cfg.log.info('watch.resumed', { projectId: this.projectId, root: this.root });
        this.setState('watching', null);
      }
      return true;
    } catch (err) {
      if (this.closed) return false;
      if (!existsSync(this.root)) {
        this.stop(`project root ${this.root} was deleted; watching stopped`);
        return false;
      }
      this.degrade(`native watch failed: ${describe(err as Error)}`, null);
      return false;
    }
  }

  private onNative(err: Error | null, events: WatchEvent[]): void {
    if (this.closed) return;
    if (err) {
      if (!existsSync(this.root)) return this.stop(`project root ${this.root} was deleted; watching stopped`);
      // Events may have been lost (queue overflow, a directory that could not be watched): keep what is
      // watched, rescan on a timer, and rescan once now to catch up.
      this.degrade(`watcher error: ${describe(err)}`, 'watch-error');
      return;
    }
    let rootRules = false;
    for (const e of events) {
      const rel = relative(this.root, e.path).split(sep).join('/');
      if (rel === '') {
        if (e.type === 'delete' && !existsSync(this.root)) return this.stop(`project root ${this.root} was deleted; watching stopped`);
        continue;
      }
      if (rel.startsWith('../') || rel === '..' || this.rules.test(rel)) continue;
      if (!isRelevant(rel, e.type, e.path)) continue;
      const base = rel.slice(rel.lastIndexOf('/') + 1);
      if (isIgnoreFile(base)) {
        // The set of indexed files changed under this ignore file's directory: look again under all of it.
        const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
        if (dir === '') rootRules = true;
        else this.add(dir);
        continue;
      }
      this.add(rel);
    }
    if (rootRules) {
      this.markRescan('ignore-rules');
      this.reloadRules().catch((err) => this.cfg.log.warn('watch.ignore_reload_failed', { projectId: this.projectId, error: (err as Error).message }));
    }
    if (this.pendingPaths.size > 0 || this.rescan) this.arm();
  }

  private add(rel: string): void {
    if (this.since === null) this.since = Date.now();
    this.lastEventAt = Date.now();
    if (this.rescan) return; // a whole-tree rescan covers it
    this.pendingPaths.add(rel);
    if (this.pendingPaths.size > this.cfg.maxPaths) this.markRescan('overflow');
  }

  private markRescan(reason: BatchReason): void {
    if (this.since === null) this.since = Date.now();
    this.lastEventAt = Date.now();
    this.rescan ??= reason;
    // The paths are subsumed; dropping them keeps memory bounded however large the burst.
    this.pendingPaths.clear();
  }

  /** The root ignore files changed: new native ignore list, so resubscribe (new first, then drop the old). */
  private async reloadRules(): Promise<void> {
    const before = JSON.stringify(this.rules.native);
    this.rules = this.ignoreSource(this.root);
    if (JSON.stringify(this.rules.native) === before || !this.sub) return;
    const old = this.sub;
    this.sub = null;
    if (await this.subscribeNative()) await old.unsubscribe().catch(() => undefined);
    else this.sub = old; // keep the old watcher over none
  }

  private degrade(warning: string, rescan: BatchReason | null): void {
    if (!this.warned) {
      this.warned = true;
      this.cfg.log.warn('watch.degraded', {
        projectId: this.projectId,
        root: this.root,
        warning,
        fallback: `rescan every ${Math.round(this.cfg.pollIntervalMs / 1000)} s`,
      });
    }
    this.setState('polling', `${warning}; rescanning every ${Math.round(this.cfg.pollIntervalMs / 1000)} s`);
    if (rescan) {
      this.markRescan(rescan);
      this.arm();
    }
  }

  private onTick(): void {
    if (this.closed) return;
    if (!existsSync(this.root)) return this.stop(`project root ${this.root} was deleted; watching stopped`);
    if (this.st !== 'polling') return;
    this.markRescan('poll');
    this.arm();
    // Retry the native watcher now and then: the limit may have been raised, or the EMFILE was transient.
    if (!this.sub && Date.now() - this.lastSubscribeAttempt >= this.cfg.resubscribeMs) void this.subscribeNative();
  }

  private arm(): void {
    if (this.closed || this.inFlight || this.retryTimer) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    const now = Date.now();
    const due = Math.min(this.lastEventAt + this.cfg.debounceMs, (this.since ?? now) + this.cfg.maxWaitMs);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      void this.dispatch();
    }, Math.max(0, due - now));
  }

  /** Hands everything pending to onBatch as one batch, unless one is already in flight. */
  private dispatch(): Promise<void> | null {
    if (this.closed || this.inFlight) return this.inFlight;
    if (this.pendingPaths.size === 0 && !this.rescan) return null;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = null;
    const batch: ChangeBatch = {
      projectId: this.projectId,
      root: this.root,
      paths: this.rescan ? null : [...this.pendingPaths].sort(),
      reason: this.rescan ?? (this.failing ? 'retry' : 'events'),
    };
    this.pendingPaths.clear();
    this.rescan = null;
    this.since = null;
    this.inFlightCount = batch.paths ? batch.paths.length : -1;
    const run = async () => {
      try {
        await this.cfg.onBatch(batch);
        this.failing = false;
        this.retryDelayMs = 0;
      } catch (err) {
        this.requeue(batch, err as Error);
      } finally {
        this.inFlight = null;
        this.inFlightCount = 0;
        if (this.pendingPaths.size > 0 || this.rescan) this.arm();
      }
    };
    this.inFlight = run();
    return this.inFlight;
  }

  /** A failed batch is not lost: its paths go back into pending and are retried with backoff. */
  private requeue(batch: ChangeBatch, err: Error): void {
    if (this.closed) return;
    const level = this.failing ? 'debug' : 'warn';
    this.failing = true;
    this.cfg.log[level]('watch.batch_failed', { projectId: this.projectId, paths: batch.paths?.length ?? 'all', error: err.message });
    if (this.since === null) this.since = Date.now();
    if (batch.paths === null) this.markRescan(batch.reason);
    else for (const p of batch.paths) this.add(p);
    this.retryDelayMs = Math.min(this.cfg.pollIntervalMs, this.retryDelayMs ? this.retryDelayMs * 2 : 1000);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.dispatch();
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  /**
   * Applies what is pending now (skipping the debounce) and waits for it, after any batch already in flight.
   * Two rounds at most, so a project under a constant stream of edits cannot hold a query forever.
   */
  async drain(deadline: number): Promise<FlushResult> {
    let timedOut = false;
    const within = async (p: Promise<void> | null) => {
      if (!p || timedOut) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        timedOut = true;
        return;
      }
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), left)));
      if ((await Promise.race([p, timeout])) === 'timeout') timedOut = true;
      clearTimeout(t);
    };
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    await within(this.inFlight);
    await within(this.dispatch());
    return { complete: !timedOut && !this.failing, state: this.st, pending: this.pendingPaths.size + (this.rescan ? 1 : 0) };
  }

  /** Stops watching for good (root gone); the manager keeps the entry so `state()` can say why. */
  stop(warning: string | null): void {
    if (this.st !== 'stopped' && warning) this.cfg.log.warn('watch.stopped', { projectId: this.projectId, root: this.root, reason: warning });
    this.closed = true;
    // Unsubscribing a watcher whose root was deleted fails with EINVAL in @parcel/watcher; nothing to undo.
    void this.teardown()?.unsubscribe().catch(() => undefined);
    this.setState('stopped', warning);
  }

  /** Unsubscribes and clears timers; an onBatch already running is the caller's to cancel. */
  async close(): Promise<void> {
    this.closed = true;
    await this.teardown()?.unsubscribe().catch(() => undefined);
  }

  private teardown(): Subscription | null {
    for (const t of [this.debounceTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.tick) clearInterval(this.tick);
    this.debounceTimer = this.retryTimer = this.tick = null;
    this.pendingPaths.clear();
    this.rescan = null;
    this.since = null;
    const sub = this.sub;
    this.sub = null;
    return sub;
  }

  private setState(st: WatchState, warning: string | null): void {
    const changed = st !== this.st || warning !== this.warning;
    this.st = st;
    this.warning = warning;
    if (changed) this.cfg.onState?.(this.status());
  }
}

/** The error in words a person can act on (the common native failures get their remedy). */
function describe(err: Error): string {
  const m = err.message || String(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || /ENOSPC|No space left on device/i.test(m)) {
    return `inotify watch limit reached (ENOSPC); raise fs.inotify.max_user_watches (${m})`;
  }
  if (code === 'EMFILE' || /EMFILE|Too many open files/i.test(m)) return `too many open files (EMFILE) (${m})`;
  return m;
}
