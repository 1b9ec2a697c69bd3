/**
 * How long a read waits for freshness (daemon/projects.ts). Until a restarted daemon has caught up with the
 * edits made while none ran, a read waits at most CATCH_UP_WAIT_MS and then answers from the published
 * graph (marked stale), so a daemon crash costs agents about a second, not the length of the catch-up; once
 * caught up, read-your-writes waits up to FRESH_WAIT_MS for the watcher's edits; a project without a graph
 * waits for its first index. Real store and job manager; the watcher layer is the part held still here
 * (its catch-up or flush never ends), and time is V8's fake clock, so nothing depends on the machine's speed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { daemonSettings } from '../../packages/config/index.js';
import type { Indexer } from '../../packages/indexer/api.js';
import type { Logger } from '../../packages/log/index.js';
import { Store } from '../../packages/store/db.js';
import { ensureProject, projectByRoot, type ProjectRow } from '../../packages/store/projects.js';
import { createSnapshot, publishSnapshot } from '../../packages/store/snapshots.js';
import { JobManager } from '../../daemon/jobs.js';
import { CATCH_UP_WAIT_MS, FRESH_WAIT_MS, ProjectResolver, type ChangeFeed } from '../../daemon/projects.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, file: '' };
/** An indexer whose jobs never end: a catch-up or first index still running when the read comes. */
const stuckIndexer = { index: () => new Promise(() => {}) } as unknown as Indexer;
const never = () => new Promise<void>(() => {});

let dir: string;
let store: Store;
let jobs: JobManager;

beforeEach(() => {
  vi.useFakeTimers();
  dir = mkdtempSync(join(tmpdir(), 'codehive-catchup-'));
  store = Store.open(join(dir, 'graph.db'), { mmapSize: 0, journalSizeLimit: 1 << 26 });
  jobs = new JobManager(stuckIndexer, quiet);
});
afterEach(() => {
  vi.useRealTimers();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function feed(over: Partial<ChangeFeed>): ChangeFeed {
  return { pending: () => 0, flush: async () => undefined, watched: () => true, state: () => 'watching', open: async () => undefined, caughtUp: () => true, subscribed: async () => undefined, ...over };
}

function publishedProject(root: string): ProjectRow {
  const p = ensureProject(store, root);
  publishSnapshot(store, p.id, createSnapshot(store, p.id), { indexedAt: Date.now(), gitHead: null, stats: {} });
  return projectByRoot(store, root)!;
}

/** The ms of fake time after which `makeFresh` settles (checked at the two budgets and just before each). */
async function settlesAfter(resolver: ProjectResolver, project: ProjectRow): Promise<{ ms: number; error: string | null }> {
  let settled: { error: string | null } | null = null;
  resolver.makeFresh(project).then(
    () => (settled = { error: null }),
    (e: Error) => (settled = { error: e.message }),
  );
  let ms = 0;
  for (const at of [CATCH_UP_WAIT_MS - 1, CATCH_UP_WAIT_MS, FRESH_WAIT_MS - 1, FRESH_WAIT_MS]) {
    await vi.advanceTimersByTimeAsync(at - ms);
    ms = at;
    if (settled) return { ms, error: (settled as { error: string | null }).error };
  }
  return { ms: Infinity, error: null };
}

describe('how long a read waits for freshness', () => {
  test('during the catch-up after a daemon start: CATCH_UP_WAIT_MS, then the published graph', async () => {
    const project = publishedProject('/repo/a');
    const resolver = new ProjectResolver(store, jobs, feed({ open: never, caughtUp: () => false }), daemonSettings({}), stuckIndexer);
    expect(await settlesAfter(resolver, project)).toEqual({ ms: CATCH_UP_WAIT_MS, error: null });
  });

  test('once caught up, read-your-writes waits for the watcher’s edits up to FRESH_WAIT_MS', async () => {
    const project = publishedProject('/repo/b');
    const resolver = new ProjectResolver(store, jobs, feed({ flush: never, caughtUp: () => true }), daemonSettings({}), stuckIndexer);
    expect(await settlesAfter(resolver, project)).toEqual({ ms: FRESH_WAIT_MS, error: null });
  });

  test('a project without a graph waits for its first index the full FRESH_WAIT_MS, then says it is busy', async () => {
    const project = ensureProject(store, '/repo/c');
    void jobs.run(project.root, 'full');
    const resolver = new ProjectResolver(store, jobs, feed({ watched: () => false, caughtUp: () => false }), daemonSettings({}), stuckIndexer);
    const r = await settlesAfter(resolver, project);
    expect(r.ms).toBe(FRESH_WAIT_MS);
    expect(r.error).toMatch(/has no graph yet/);
  });
});
