/**
 * Snapshot lifecycle: create, publish (flip the project's live pointer), and drop in short batches so a
 * big delete never blocks the daemon's event loop.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Store } from './db.js';
import { sizedToBudget } from './pacing.js';

const GRAPH_TABLES = ['edges', 'unresolved_calls', 'nodes', 'files'] as const;

export function createSnapshot(store: Store, projectId: number): number {
  return store.write(
    () =>
      store
        .stmt(`INSERT INTO snapshots(project_id, created_at, complete) VALUES (?, ?, 0)`)
        .run(projectId, Date.now()).lastInsertRowid as number,
  );
}

/** Makes `snapshot` the project's live graph in one transaction; returns the snapshot it replaced. */
export function publishSnapshot(
  store: Store,
  projectId: number,
  snapshot: number,
  fields: { indexedAt: number; gitHead: string | null; stats: unknown },
): number | null {
  return store.write(() => {
    const prev = store.stmt(`SELECT snapshot FROM projects WHERE id = ?`).get(projectId) as { snapshot: number | null };
    store.stmt(`UPDATE snapshots SET complete = 1 WHERE id = ?`).run(snapshot);
    store
      .stmt(`UPDATE projects SET snapshot = ?, state = 'ready', error = NULL, indexed_at = ?, git_head = ?, stats = ? WHERE id = ?`)
      .run(snapshot, fields.indexedAt, fields.gitHead, JSON.stringify(fields.stats), projectId);
    return prev?.snapshot ?? null;
  });
}

/**
 * Deletes every row of a snapshot in transactions of about TX_BUDGET_MS, yielding to the event loop in
 * between: deleting nodes fires the full-text index's delete trigger, and fixed 5,000-row batches held the
 * main thread 100 ms and more (the orphan sweep of a daemon restarted after a kill mid-index, while every
 * session reconnected).
 */
export async function dropSnapshot(store: Store, snapshot: number): Promise<void> {
  for (const table of GRAPH_TABLES) {
    const del = store.stmt(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE snapshot = ? LIMIT ?)`);
    let rows = 256;
    for (;;) {
      const t0 = performance.now();
      const { changes } = store.write(() => del.run(snapshot, rows));
      if (changes < rows) break;
      rows = sizedToBudget(rows, t0, 32, 20_000);
      await yieldToLoop();
    }
  }
  store.write(() => store.stmt(`DELETE FROM snapshots WHERE id = ?`).run(snapshot));
}

/** A snapshot's node and edge rows, counted (on indexes that lead with the snapshot: ~1 ms on effect). */
export function snapshotRowCounts(store: Store, snapshot: number): { nodes: number; edges: number } {
  const count = (table: 'nodes' | 'edges') => (store.stmt(`SELECT count(*) AS c FROM ${table} WHERE snapshot = ?`).get(snapshot) as { c: number }).c;
  return { nodes: count('nodes'), edges: count('edges') };
}

/**
 * Snapshots no project points at: left by a daemon killed mid-index, or by a dropped project. Swept at
 * start-up (and safe to sweep any time no index job is writing them).
 */
export function orphanSnapshots(store: Store, inUse: Iterable<number> = []): number[] {
  const busy = new Set(inUse);
  const rows = store
    .stmt(`SELECT s.id FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.snapshot = s.id)`)
    .all() as Array<{ id: number }>;
  return rows.map((r) => r.id).filter((id) => !busy.has(id));
}

/** Removes a project and all its data (every snapshot). */
export async function deleteProjectData(store: Store, projectId: number): Promise<void> {
  const snaps = store.stmt(`SELECT id FROM snapshots WHERE project_id = ?`).all(projectId) as Array<{ id: number }>;
  store.write(() => store.stmt(`UPDATE projects SET snapshot = NULL WHERE id = ?`).run(projectId));
  for (const { id } of snaps) await dropSnapshot(store, id);
  store.write(() => store.stmt(`DELETE FROM projects WHERE id = ?`).run(projectId));
}
