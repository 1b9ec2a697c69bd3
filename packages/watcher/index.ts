/**
 * packages/watcher — keeps every indexed project's graph fresh while the daemon runs: one native recursive
 * watcher (Linux: fs.watch per directory; elsewhere @parcel/watcher) per project however many sessions use it, changes debounced into batches, a polling
 * fallback when the OS refuses more watches, and a read-your-writes `flush` for queries.
 *
 * API (the daemon is the only caller):
 *
 *   const watchers = createWatchManager({ log, enabled: settings.watch, onBatch });
 *   await watchers.watch(projectId, root)       // idempotent; subscribe BEFORE running the catch-up index
 *   watchers.state(projectId)                   // { state: 'watching'|'polling'|'off'|'stopped', warning }
 *   watchers.pending(projectId)                 // { paths, rescan, since, inFlight } — for Freshness
 *   await watchers.flush(projectId)             // read-your-writes: apply changes seen before the call
 *   await watchers.unwatch(projectId)           // project deleted
 *   await watchers.close()                      // daemon shutdown
 *
 * `onBatch({ projectId, root, paths, reason })` is called with at most one batch in flight per project; `paths`
 * are root-relative posix paths of files or directories (a directory means "look again under it"), or `null`
 * for "rescan the whole tree". The daemon turns it into
 * `indexer.index(root, { mode: 'incremental', changedPaths: paths ?? undefined })` through its job manager.
 * If onBatch rejects, the paths go back into pending and are retried with backoff (1 s doubling up to
 * pollIntervalMs); nothing seen is dropped.
 *
 * Degrading: a subscribe that fails (ENOSPC, EMFILE, …) or a watcher error puts the project in `polling` with a
 * warning (logged once): a whole-tree incremental rescan every pollIntervalMs, and a new native subscribe
 * attempt every resubscribeMs. A deleted (or moved-away) root stops its watcher: state `stopped`, no batches, no
 * timers. `enabled: false` (CODEHIVE_WATCH=0) makes every project `off` and watch() a no-op.
 *
 * Catch-up (changes made while nobody watched) is the indexer's incremental scan; the daemon must subscribe
 * first and then run it, so that nothing changed between the scan and the subscription is lost.
 */
import type { Logger } from '../log/index.js';
import { dirWatchSubscribe } from './dir-watch.js';
import { createFence, type Fence } from './fence.js';
import { defaultIgnore, type IgnoreSource } from './ignore.js';
import { ProjectWatcher } from './project.js';
import type { ChangeBatch, FlushResult, PendingInfo, SubscribeFn, WatchStatus } from './types.js';

export type { ChangeBatch, BatchReason, FlushResult, PendingInfo, SubscribeFn, Subscription, WatchEvent, WatchState, WatchStatus } from './types.js';
export { defaultIgnore, dirGlobs, gitignoreDirGlobs, type IgnoreSource, type WatchIgnore } from './ignore.js';
export { isRelevant, SOURCE_EXTENSIONS } from './relevance.js';

export interface WatchManagerOptions {
  log: Logger;
  /** Applies one batch (runs or joins an incremental index job). At most one in flight per project. */
  onBatch: (batch: ChangeBatch) => Promise<void>;
  /** False (CODEHIVE_WATCH=0): nothing is watched and every state is `off`. Default true. */
  enabled?: boolean;
  /** Called when a project's state or warning changes (watching → polling, → stopped). */
  onState?: (status: WatchStatus) => void;
  /** Quiet time after the last change before a batch is handed over. Default 150 ms. */
  debounceMs?: number;
  /** Longest a change waits while changes keep coming. Default 1000 ms. */
  maxWaitMs?: number;
  /** Rescan period when polling, and how often a watched root's existence is checked. Default 30 s. */
  pollIntervalMs?: number;
  /** How often a polling project retries the native watcher. Default 5 min. */
  resubscribeMs?: number;
  /** More pending paths than this become one whole-tree rescan. Default 10,000. */
  maxPaths?: number;
  /** Default bound on flush(). Default 5000 ms. */
  flushTimeoutMs?: number;
  /** Ignore rules used when watch() is not given any. Default `defaultIgnore`. */
  ignore?: IgnoreSource;
  /** Dir for read-your-writes fence files (e.g. `<cacheDir>/fence`). Default: a fresh dir in the OS temp dir. */
  fenceDir?: string;
  /** FAULT-INJECTION SEAM: replaces the native backend's subscribe (tests only; see `SubscribeFn`). */
  subscribe?: SubscribeFn;
}

export interface WatchManager {
  readonly enabled: boolean;
  /** Starts watching `root` (a realpath) for the project; a second call for the same root is a no-op. */
  watch(projectId: number, root: string, opts?: { ignore?: IgnoreSource }): Promise<WatchStatus>;
  /** Stops watching; no new onBatch starts for the project afterwards. */
  unwatch(projectId: number): Promise<void>;
  state(projectId: number): WatchStatus;
  list(): WatchStatus[];
  pending(projectId: number): PendingInfo;
  /**
   * Read-your-writes: waits until events for edits made before the call have arrived (a fence), then
   * hands over what is pending without waiting for the debounce, after the batch in flight. Never rejects;
   * `complete: false` when the timeout hit or the batch failed (the answer should then say it may be stale).
   */
  flush(projectId: number, opts?: { timeoutMs?: number; fence?: boolean }): Promise<FlushResult>;
  close(): Promise<void>;
}

/**
 * On Linux, one fs.watch per directory (dir-watch.ts: events arrive at once and in order, so a fence costs an
 * event-loop turn); elsewhere @parcel/watcher (FSEvents, ReadDirectoryChangesW), loaded only there.
 */
export const nativeSubscribe: SubscribeFn =
  process.platform === 'linux'
    ? dirWatchSubscribe
    : async (dir, cb, o) => (await import('@parcel/watcher')).default.subscribe(dir, cb, o);

const NOT_PENDING: PendingInfo = { paths: 0, rescan: false, since: null, inFlight: 0 };

export function createWatchManager(opts: WatchManagerOptions): WatchManager {
  const enabled = opts.enabled ?? true;
  const subscribe: SubscribeFn = opts.subscribe ?? nativeSubscribe;
  const cfg = {
    log: opts.log,
    subscribe,
    onBatch: opts.onBatch,
    onState: opts.onState,
    debounceMs: opts.debounceMs ?? 150,
    maxWaitMs: opts.maxWaitMs ?? 1000,
    pollIntervalMs: opts.pollIntervalMs ?? 30_000,
    resubscribeMs: opts.resubscribeMs ?? 5 * 60_000,
    maxPaths: opts.maxPaths ?? 10_000,
  };
  const flushTimeoutMs = opts.flushTimeoutMs ?? 5000;
  const projects = new Map<number, ProjectWatcher>();
  const starting = new Map<number, Promise<WatchStatus>>();
  const offRoots = new Map<number, string>();
  let fence: Fence | null = null;
  let closed = false;

  const statusOf = (projectId: number): WatchStatus => {
    if (!enabled) return { projectId, root: offRoots.get(projectId) ?? null, state: 'off', warning: 'watching is off (CODEHIVE_WATCH=0); answers may be stale' };
    return projects.get(projectId)?.status() ?? { projectId, root: null, state: 'stopped', warning: null };
  };

  // Group commit for fences: a fence covers every edit made before its file was written, so concurrent
  // queries share one. A caller arriving while a fence is already on its way waits for the next one (its
  // edit may be newer than that file); at most two fences are ever outstanding, however many queries.
  let fenceInFlight: Promise<void> | null = null;
  let fenceQueued: Promise<void> | null = null;
  const sharedFence = (timeoutMs: number): Promise<void> => {
    if (!fenceInFlight) {
      fence ??= createFence(subscribe, opts.log, opts.fenceDir);
      fenceInFlight = fence.pass(timeoutMs).finally(() => (fenceInFlight = null));
      return fenceInFlight;
    }
    fenceQueued ??= fenceInFlight.then(() => {
      fenceQueued = null;
      return sharedFence(timeoutMs);
    });
    return fenceQueued;
  };

  const manager: WatchManager = {
    enabled,

    async watch(projectId, root, wopts) {
      if (!enabled || closed) {
        offRoots.set(projectId, root);
        return statusOf(projectId);
      }
      const inProgress = starting.get(projectId);
      if (inProgress) {
        await inProgress;
        return manager.watch(projectId, root, wopts);
      }
      const existing = projects.get(projectId);
      if (existing && existing.root === root && existing.state !== 'stopped') return existing.status();
      const start = (async () => {
        if (existing) {
          projects.delete(projectId);
          await existing.close();
        }
        const w = new ProjectWatcher(projectId, root, wopts?.ignore ?? opts.ignore ?? defaultIgnore, cfg);
        projects.set(projectId, w);
        await w.start();
        if (w.state !== 'stopped') opts.log.info('watch.started', { projectId, root, state: w.state });
        return w.status();
      })();
      starting.set(projectId, start);
      try {
        return await start;
      } finally {
        starting.delete(projectId);
      }
    },

    async unwatch(projectId) {
      offRoots.delete(projectId);
      await starting.get(projectId)?.catch(() => undefined);
      const w = projects.get(projectId);
      if (!w) return;
      projects.delete(projectId);
      await w.close();
      opts.log.info('watch.unwatched', { projectId, root: w.root });
    },

    state: statusOf,

    list() {
      if (!enabled) return [...offRoots.keys()].map(statusOf);
      return [...projects.keys()].map(statusOf);
    },

    pending(projectId) {
      return projects.get(projectId)?.pending() ?? NOT_PENDING;
    },

    async flush(projectId, fopts) {
      const deadline = Date.now() + (fopts?.timeoutMs ?? flushTimeoutMs);
      await starting.get(projectId)?.catch(() => undefined);
      const w = projects.get(projectId);
      if (!w || w.state === 'stopped') return { complete: true, state: statusOf(projectId).state, pending: 0 };
      // Without the fence, only changes the watcher has already delivered are applied (an edit saved a moment
      // ago may still be in the kernel's queue, or inside @parcel/watcher's batching off Linux).
      if (w.subscribed && fopts?.fence !== false) await sharedFence(Math.max(1, Math.min(1000, deadline - Date.now())));
      return w.drain(deadline);
    },

    async close() {
      closed = true;
      const all = [...projects.values()];
      projects.clear();
      await Promise.all(all.map((w) => w.close()));
      await fence?.close();
      fence = null;
    },
  };
  return manager;
}
