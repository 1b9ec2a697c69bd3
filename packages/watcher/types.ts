/**
 * Types shared by the watcher's modules and its callers. The subscribe function is typed here (rather than
 * taken from @parcel/watcher) so that tests and the daemon can inject a replacement: see `SubscribeFn`.
 */

export interface WatchEvent {
  /** Absolute path. */
  path: string;
  type: 'create' | 'update' | 'delete';
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

/**
 * The shape of `@parcel/watcher`'s `subscribe`, which the Linux backend (dir-watch.ts) shares. Replacing it
 * is also the watcher's fault-injection seam: tests pass one that rejects with ENOSPC/EMFILE, or that reports
 * an error through the callback, to drive the polling fallback without exhausting the machine's real inotify
 * limit.
 *
 * `ordered`: every subscription's events are handed over synchronously, in the order they happened, so a
 * fence's event arriving means every earlier event was already delivered (dir-watch.ts). Without it the fence
 * gives other subscriptions a few more event-loop turns (@parcel/watcher signals each one separately).
 */
export type SubscribeFn = ((
  dir: string,
  callback: (err: Error | null, events: WatchEvent[]) => unknown,
  opts: { ignore?: string[] },
) => Promise<Subscription>) & { ordered?: boolean };

/**
 * - `watching`: a native recursive watcher delivers changes.
 * - `polling`: the native watcher failed (watch limit, error); the project is rescanned every pollIntervalMs.
 *   Whatever part of the tree was still watched keeps delivering events.
 * - `off`: watching disabled (CODEHIVE_WATCH=0); answers may be stale.
 * - `stopped`: not watched: the root vanished, or the project was never (or is no longer) watched.
 */
export type WatchState = 'watching' | 'polling' | 'off' | 'stopped';

export interface WatchStatus {
  projectId: number;
  root: string | null;
  state: WatchState;
  /** Why the project is polling or stopped, in words for `status`/`index_status`; null when all is well. */
  warning: string | null;
}

/** Why a batch was handed over; for logs and job labels. */
export type BatchReason = 'events' | 'poll' | 'watch-error' | 'ignore-rules' | 'overflow' | 'retry';

export interface ChangeBatch {
  projectId: number;
  root: string;
  /**
   * Root-relative posix paths (files or directories: a directory means "look again under it") that changed,
   * sorted. `null` means rescan the whole tree (polling, lost events, ignore rules changed, too many paths):
   * pass `changedPaths: undefined` to the indexer.
   */
  paths: string[] | null;
  reason: BatchReason;
}

export interface PendingInfo {
  /** Paths seen and not yet handed to onBatch. */
  paths: number;
  /** A whole-tree rescan is pending (paths then undercounts). */
  rescan: boolean;
  /** When the oldest pending change was seen (epoch ms), or null. */
  since: number | null;
  /** Paths in the batch being applied right now (0 when none; -1 when it is a whole-tree rescan). */
  inFlight: number;
}

export interface FlushResult {
  /** True when every change seen before the call has been applied (onBatch resolved) within the timeout. */
  complete: boolean;
  state: WatchState;
  /** Pending paths left (arrived during the flush, or the timeout hit). */
  pending: number;
}
