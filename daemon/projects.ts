/**
 * Which project a call is about, and how fresh its graph is. A call names a project by root path or name,
 * or defaults to the project containing the session's working directory (or one of its MCP roots). Before a
 * query runs, changes already seen on disk are applied (read-your-writes), so an edit saved in one agent
 * window is in the next answer of any other.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { DaemonSettings } from '../packages/config/index.js';
import { CodehiveError } from '../packages/protocol/index.js';
import type { Store } from '../packages/store/db.js';
import { listProjects, projectByRoot, projectContaining, type ProjectRow } from '../packages/store/projects.js';
import type { Freshness } from '../packages/tools/context.js';
import type { JobManager } from './jobs.js';
import type { Indexer } from '../packages/indexer/api.js';

/** What the daemon needs from the watcher layer (packages/watcher). */
export interface ChangeFeed {
  /** Changes seen on disk for the project and not yet indexed. */
  pending(projectId: number): number;
  /**
   * Waits until edits saved before the call have been seen and applied. Only for watched projects: events
   * may still be in flight inside the watcher, so this is needed even when nothing is pending yet.
   */
  flush(projectId: number): Promise<void>;
  watched(projectId: number): boolean;
  /** Resolves once the project is watched and caught up with changes made while the daemon was down. */
  open(project: ProjectRow): Promise<void>;
  /** Whether `open` has finished for the project in this daemon's lifetime. */
  caughtUp(projectId: number): boolean;
  /** Resolves once a watch being set up for the project is in place (at once when none is). */
  subscribed(projectId: number): Promise<void>;
  state(projectId: number): string;
}

/** Read-your-writes waits at most this long for a re-index before answering from what is there. */
export const FRESH_WAIT_MS = 10_000;
/**
 * Until a project's catch-up after a daemon start has finished (edits made while no daemon ran, or while the
 * killed one was indexing them), a read waits at most this long and then answers from the published graph,
 * marked stale. A daemon crash must be invisible to agents: in the 32-session soak a `kill -9` one second
 * after a `git checkout` of 120 files left the restarted daemon a 4 s catch-up, and every session's first
 * read waited for it (recovery 5.3 s against 3 s). A catch-up with nothing or little to apply (the usual
 * restart) ends well within this.
 */
export const CATCH_UP_WAIT_MS = 1_000;

export class ProjectResolver {
  constructor(
    private readonly store: Store,
    private readonly jobs: JobManager,
    private readonly feed: ChangeFeed,
    private readonly settings: DaemonSettings,
    private readonly indexer: Pick<Indexer, 'changedSince'>,
  ) {}

  /** Canonical root for a path a client gave (relative to its cwd); checks existence and confinement. */
  canonicalRoot(path: string, cwd: string): string {
    const abs = isAbsolute(path) ? path : resolve(cwd, path);
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      throw new CodehiveError('NOT_FOUND', `${abs} does not exist; pass the repository's root directory`);
    }
    this.checkAllowed(real);
    return real;
  }

  checkAllowed(real: string): void {
    const allowed = this.settings.allowedRoots;
    if (!allowed) return;
    if (!allowed.some((r) => real === r || real.startsWith(r.endsWith('/') ? r : r + '/'))) {
      throw new CodehiveError('PATH_NOT_ALLOWED', `${real} is outside CODEHIVE_ALLOWED_ROOTS (${allowed.join(', ')})`);
    }
  }

  /** The project a call is about (see module comment); throws UNKNOWN_PROJECT naming the known ones. */
  find(arg: string | undefined, cwd: string, roots: string[]): ProjectRow {
    if (arg) return this.byArg(arg, cwd);
    for (const dir of [cwd, ...roots]) {
      const real = safeRealpath(dir);
      const p = real && projectContaining(this.store, real);
      if (p) return p;
    }
    throw this.unknown(`no indexed project contains ${cwd}; index it first with index_repository {"path": "${cwd}"}`);
  }

  private byArg(arg: string, cwd: string): ProjectRow {
    const looksLikePath = arg.includes('/') || arg === '.' || arg === '..';
    if (looksLikePath) {
      const real = safeRealpath(isAbsolute(arg) ? arg : resolve(cwd, arg));
      const p = real && (projectByRoot(this.store, real) ?? projectContaining(this.store, real));
      if (p) return p;
      throw this.unknown(`${arg} is not inside an indexed project; index it with index_repository {"path": "${arg}"}`);
    }
    const named = listProjects(this.store).filter((p) => p.name === arg);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) {
      throw new CodehiveError('UNKNOWN_PROJECT', `several projects are named ${arg}; pass the root path instead: ${named.map((p) => p.root).join(', ')}`, {
        candidates: named.map((p) => p.root),
      });
    }
    throw this.unknown(`no project named ${arg}`);
  }

  private unknown(message: string): CodehiveError {
    const known = listProjects(this.store).map((p) => p.root);
    const suffix = known.length ? ` Known projects: ${known.join(', ')}` : ' No project is indexed yet.';
    return new CodehiveError('UNKNOWN_PROJECT', message + '.' + suffix, { knownProjects: known });
  }

  /**
   * Applies what the watcher has seen, or waits for a running job, so the answer reflects edits saved before
   * the call. Bounded: past FRESH_WAIT_MS (CATCH_UP_WAIT_MS until the catch-up after a daemon start is done)
   * the answer goes out and says it may be stale. A full re-index is
   * not waited for when a graph is published (edits queue behind it): queries see that graph until the new
   * one is complete, and the answer says a full re-index is running. (Waiting made every query after a
   * daemon restart during a full re-index take the whole FRESH_WAIT_MS: the 32-session soak's recovery took
   * 9.4 s.)
   */
  async makeFresh(project: ProjectRow): Promise<ProjectRow> {
    let timer: NodeJS.Timeout | undefined;
    let leave: () => void = () => undefined;
    // Without a published graph there is nothing to answer from: the first index is waited for, in full.
    const published = project.snapshot !== null;
    const budget = published && !this.feed.caughtUp(project.id) ? CATCH_UP_WAIT_MS : FRESH_WAIT_MS;
    const enough = new Promise<void>((r) => {
      timer = setTimeout(r, budget);
      if (published) leave = this.jobs.whenRebuilding(project.root, r);
    });
    await Promise.race([this.catchUp(project).catch(() => undefined), enough]);
    clearTimeout(timer);
    leave();
    const row = projectByRoot(this.store, project.root) ?? project;
    if (row.snapshot === null) {
      const why = row.state === 'failed' ? `its last index failed: ${row.error}` : 'its first index has not finished yet';
      throw new CodehiveError('BUSY', `project ${row.root} has no graph yet (${why}); check index_status, or run index_repository`);
    }
    return row;
  }

  /**
   * How current a project's graph is. Watched projects count what the watcher has seen and not applied;
   * unwatched ones (CODEHIVE_WATCH=0, polling, stopped) compare sizes and mtimes on disk (a stat per file,
   * shared by concurrent queries).
   */
  private async catchUp(project: ProjectRow): Promise<void> {
    // The first query after a (re)start waits for the catch-up scan: edits made while the daemon was down.
    if (project.snapshot !== null) await this.feed.open(project);
    await (this.feed.watched(project.id) ? this.feed.flush(project.id) : this.jobs.current(project.root));
  }

  async freshness(project: ProjectRow): Promise<Freshness> {
    // Right after a first index the daemon starts watching the project: report the watch it is setting up
    // (an answer saying "watch stopped · may miss recent edits" right after index_repository misleads).
    await this.feed.subscribed(project.id);
    const watch = this.feed.state(project.id);
    const pendingChanges = this.feed.watched(project.id) && watch === 'watching' ? this.feed.pending(project.id) : await this.changedOnDisk(project);
    const reindexing = this.jobs.info(project.root)?.mode === 'full';
    return {
      indexedAt: project.indexedAt,
      pendingChanges,
      watch,
      stale: pendingChanges > 0 || this.jobs.current(project.root) !== undefined,
      ...(reindexing ? { reindexing } : {}),
    };
  }

  /** Concurrent queries share one scan; a new query after it finished scans again (an edit may be newer). */
  private readonly diskChecks = new Map<number, Promise<number>>();

  private changedOnDisk(project: ProjectRow): Promise<number> {
    let count = this.diskChecks.get(project.id);
    if (!count) {
      count = this.indexer.changedSince(project.id).then((paths) => paths.length, () => 0);
      this.diskChecks.set(project.id, count);
      void count.finally(() => this.diskChecks.delete(project.id));
    }
    return count;
  }
}

function safeRealpath(p: string): string | null {
  try {
    // The native form is one syscall; the JS one lstat()s every path component, on every call.
    return realpathSync.native(p);
  } catch {
    return null;
  }
}
