/**
 * The daemon's side of freshness: one watcher per indexed project (packages/watcher), whose change batches
 * become incremental index jobs, plus catch-up at open for changes made while nobody watched.
 */
import type { DaemonSettings } from '../packages/config/index.js';
import type { Logger } from '../packages/log/index.js';
import type { Store } from '../packages/store/db.js';
import type { ProjectRow } from '../packages/store/projects.js';
import type { ChangeFeed } from './projects.js';
import type { JobManager } from './jobs.js';

export class ProjectWatchers implements ChangeFeed {
  constructor(
    private readonly store: Store,
    private readonly jobs: JobManager,
    private readonly settings: DaemonSettings,
    private readonly log: Logger,
  ) {}

  /** Starts watching a project and catches up with changes made while nobody watched. */
  async open(project: ProjectRow): Promise<void> {
    if (project.snapshot === null) return;
    await this.jobs.run(project.root, 'incremental').catch((err) => this.log.warn('catch-up failed', { root: project.root, err: (err as Error).message }));
  }

  async unwatch(_projectId: number): Promise<void> {}

  pending(_projectId: number): number {
    return 0;
  }

  async flush(_projectId: number): Promise<void> {}

  state(_projectId: number): string {
    return this.settings.watch ? 'stopped' : 'off';
  }

  async close(): Promise<void> {}
}
