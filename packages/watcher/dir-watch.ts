/**
 * A recursive watcher made of one plain `fs.watch` per directory: the Linux backend, in place of
 * @parcel/watcher's `subscribe` (same shape: `SubscribeFn`).
 *
 * Why: a read-your-writes fence (fence.ts) waits for an event to come through the same pipeline as the
 * project's events. @parcel/watcher hands events to JavaScript from its own thread through a shared debounce
 * that, once it has delivered anything in the last 500 ms, waits for 50 ms without a new event first; under
 * steady traffic every fence cost ≥ 50 ms, and a burst of queries two fences in a row. libuv reads every
 * `fs.watch` of a thread from ONE inotify descriptor and calls back at once, in the kernel's order. So when
 * the fence file's event arrives here, every event queued before it has already been handed over: a fence
 * costs one event-loop turn, and the ordering is exact (with @parcel/watcher two subscriptions' batches
 * could arrive in either order).
 *
 * What it does, like @parcel/watcher: watches directories only (one inotify watch each), never watches a
 * directory the `ignore` globs match, reports absolute paths as create/update/delete, and reports a
 * directory created or moved into the tree as one event for the directory (its contents are watched from
 * then on; the consumer looks again under it). Watching a new directory that fails (ENOSPC, EMFILE) is
 * reported through the callback as an error: events there may be lost, so the consumer rescans.
 */
import { lstatSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import type { SubscribeFn, Subscription, WatchEvent } from './types.js';

type Callback = (err: Error | null, events: WatchEvent[]) => unknown;

/** How long the initial walk may hold the event loop before it lets others run. */
const SLICE_MS = 8;

export const dirWatchSubscribe: SubscribeFn = Object.assign(
  async (root: string, callback: Callback, opts: { ignore?: string[] }): Promise<Subscription> => {
    const tree = new DirTree(root, callback, opts.ignore ?? []);
    await tree.start();
    return tree;
  },
  { ordered: true },
);

class DirTree implements Subscription {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly ignored: (rel: string) => boolean;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly callback: Callback,
    ignore: string[],
  ) {
    const match = ignore.length > 0 ? picomatch(ignore, { dot: true }) : null;
    this.ignored = match ? (rel) => rel !== '' && match(rel) : () => false;
  }

  /**
   * Watches the whole tree, in slices of the event loop's time (a tree of 1,659 directories took 77 ms; a
   * monorepo's would block the daemon for longer). Rejects, closing what it opened, if a directory cannot be
   * watched. Nothing is lost meanwhile: a directory made after its parent was read is reported by the
   * parent's watch, and what changed before a directory's watch existed is the caller's catch-up scan's.
   */
  async start(): Promise<void> {
    try {
      let slice = performance.now();
      for (const _ of this.watchTreeSteps(this.root, true)) {
        if (performance.now() - slice < SLICE_MS) continue;
        await new Promise((r) => setImmediate(r));
        if (this.closed) return;
        slice = performance.now();
      }
    } catch (err) {
      this.closeAll();
      throw err;
    }
  }

  async unsubscribe(): Promise<void> {
    this.closed = true;
    this.closeAll();
  }

  private closeAll(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /**
   * Watches a directory that appeared, and everything under it, at once: the event for it is handed over
   * only after, so whatever is written in it from then on is seen (and what was written before, the
   * consumer finds by looking again under it).
   */
  private watchTree(top: string): void {
    for (const _ of this.watchTreeSteps(top, false));
  }

  /** Watches `top` and every directory under it that is not ignored, one step per directory. Symlinks are not followed. */
  private *watchTreeSteps(top: string, strict: boolean): Generator<void> {
    const stack = [top];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      if (!this.watchDir(dir, strict)) continue;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue; // gone again, or unreadable: nothing under it to watch
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const child = join(dir, e.name);
        if (!this.isIgnored(child)) stack.push(child);
      }
      yield;
    }
  }

  /** False when `dir` is not (or no longer) there. Other failures throw when strict, else are reported. */
  private watchDir(dir: string, strict: boolean): boolean {
    if (this.closed) return false;
    if (this.watchers.has(dir)) return true;
    try {
      const w = watch(dir, { persistent: false }, (type, name) => this.onEvent(dir, type, name));
      w.on('error', (err) => this.report(err));
      this.watchers.set(dir, w);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (strict && dir === this.root) throw err;
        return false;
      }
      if (strict) throw err;
      this.report(err as Error);
      return false;
    }
  }

  private onEvent(dir: string, type: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const file = name === null ? null : String(name);
    // Events about the watched directory itself (deleted, moved away) carry its own basename.
    if (file === null || (file === basename(dir) && !exists(join(dir, file)))) {
      if (type === 'rename' && !exists(dir)) this.gone(dir);
      return; // a directory's own metadata change alters nothing under it
    }
    const path = join(dir, file);
    if (type === 'change') return this.emit(path, 'update');
    // 'rename': created, deleted, or moved in or out. The file system says which.
    let isDir: boolean;
    try {
      isDir = lstatSync(path).isDirectory();
    } catch {
      return this.gone(path);
    }
    if (isDir && !this.isIgnored(path)) {
      // A directory moved within the tree keeps its inotify watches, which would report under its old
      // path: the old path's watchers were closed when it went; watch the new place afresh.
      this.unwatchUnder(path);
      this.watchTree(path);
    }
    this.emit(path, 'create');
  }

  private gone(path: string): void {
    this.unwatchUnder(path);
    this.emit(path, 'delete');
  }

  /** Closes the watchers of `path` and below. Only a watched directory can have watched ones below it. */
  private unwatchUnder(path: string): void {
    if (!this.watchers.has(path)) return;
    const prefix = path + sep;
    for (const [dir, w] of this.watchers) {
      if (dir === path || dir.startsWith(prefix)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
  }

  private isIgnored(path: string): boolean {
    return this.ignored(relative(this.root, path).split(sep).join('/'));
  }

  private emit(path: string, type: WatchEvent['type']): void {
    this.callback(null, [{ path, type }]);
  }

  private report(err: Error): void {
    if (!this.closed) this.callback(err, []);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
