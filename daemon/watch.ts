/**
 * The daemon's side of freshness: one watcher per indexed project (packages/watcher), whose change batches
 * become incremental index jobs, plus a catch-up index at open for changes made while nobody watched. The
 * watcher subscribes first and the catch-up scan runs after, so nothing changed in between is lost.
 */
import { join } from 'node:path';
import type { DaemonSettings } from '../packages/config/index.js';
import type { Logger } from '../packages/log/index.js';
import type { ProjectRow } from '../packages/store/projects.js';
import { createWatchManager, type WatchManager } from '../packages/watcher/index.js';
import type { JobManager } from './jobs.js';
import type { ChangeFeed } from './projects.js';

export class ProjectWatchers implements ChangeFeed {
  private readonly manager: WatchManager;

  private readonly fence: boolean;

  constructor(
    private readonly jobs: JobManager,
    settings: DaemonSettings,
    cacheDir: string,
    private readonly log: Logger,
  ) {
    this.fence = settings.fence;
    this.manager = createWatchManager({
      log,
      enabled: settings.watch,
      fenceDir: join(cacheDir, 'fence'),
      onBatch: async (batch) => {
        await this.jobs.run(batch.root, 'incremental', { changedPaths: batch.paths ?? undefined });
      },
      onState: (s) => {
        if (s.warning) log.warn('watch state', { projectId: s.projectId, state: s.state, warning: s.warning });
      },
    });
  }

  /** Projects opened since the daemon started: watched, and caught up with what changed while it was down. */
  private readonly opened = new Map<number, Promise<void>>();
  /** Projects whose open (watch and catch-up) has finished. */
  private readonly caught = new Set<number>();
  /** Subscriptions being set up (the first part of an open). */
  private readonly subscribing = new Map<number, Promise<unknown>>();

  /**
   * Watches a project (once) and catches up with what changed while nobody watched. `afterIndex`: the caller
   * has just indexed it, so a catch-up is only needed for the gap between that scan and the subscription.
   */
  open(project: Pick<ProjectRow, 'id' | 'root'>, opts: { afterIndex?: boolean } = {}): Promise<void> {
    let done = this.opened.get(project.id);
    if (!done) {
      done = this.doOpen(project, opts.afterIndex ?? false).then(() => {
        // Not if the project was unwatched (and maybe opened again) meanwhile.
        if (this.opened.get(project.id) === done) this.caught.add(project.id);
      });
      this.opened.set(project.id, done);
    }
    return done;
  }

  caughtUp(projectId: number): boolean {
    return this.caught.has(projectId);
  }

  private async doOpen(project: Pick<ProjectRow, 'id' | 'root'>, afterIndex: boolean): Promise<void> {
    const watching = this.manager.watch(project.id, project.root);
    this.subscribing.set(project.id, watching);
    const state = (await watching.finally(() => this.subscribing.delete(project.id))).state;
    if (afterIndex && state !== 'watching' && state !== 'polling') return;
    await this.jobs.run(project.root, 'incremental').catch((err) => this.log.warn('catch-up failed', { root: project.root, err: (err as Error).message }));
  }

  async subscribed(projectId: number): Promise<void> {
    await this.subscribing.get(projectId)?.catch(() => undefined);
  }

  unwatch(projectId: number): Promise<void> {
    this.opened.delete(projectId);
    this.caught.delete(projectId);
    return this.manager.unwatch(projectId);
  }

  pending(projectId: number): number {
    const p = this.manager.pending(projectId);
    return p.paths + (p.rescan ? 1 : 0) + Math.abs(p.inFlight);
  }

  /** Read-your-writes: edits saved before this call are applied when it resolves (bounded by the watcher). */
  async flush(projectId: number): Promise<void> {
    await this.manager.flush(projectId, { fence: this.fence });
  }

  /** Whether a query must flush first: only projects the watcher covers (off/stopped have nothing to flush). */
  watched(projectId: number): boolean {
    const s = this.manager.state(projectId).state;
    return s === 'watching' || s === 'polling';
  }

  state(projectId: number): string {
    const s = this.manager.state(projectId);
    return s.warning && s.state !== 'off' ? `${s.state} (${s.warning})` : s.state;
  }

  close(): Promise<void> {
    return this.manager.close();
  }
}
