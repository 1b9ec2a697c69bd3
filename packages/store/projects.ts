/**
 * Project rows: the registry of indexed repositories and the pointer to each one's live snapshot.
 */
import { basename } from 'node:path';
import type { Store } from './db.js';

export type ProjectState = 'new' | 'indexing' | 'ready' | 'failed';

export interface ProjectRow {
  id: number;
  root: string;
  name: string;
  snapshot: number | null;
  state: ProjectState;
  error: string | null;
  createdAt: number;
  indexedAt: number | null;
  gitHead: string | null;
  stats: Record<string, unknown> | null;
}

interface RawProject {
  id: number;
  root: string;
  name: string;
  snapshot: number | null;
  state: ProjectState;
  error: string | null;
  created_at: number;
  indexed_at: number | null;
  git_head: string | null;
  stats: string | null;
}

const COLUMNS = 'id, root, name, snapshot, state, error, created_at, indexed_at, git_head, stats';

function toRow(r: RawProject): ProjectRow {
  return {
    id: r.id,
    root: r.root,
    name: r.name,
    snapshot: r.snapshot,
    state: r.state,
    error: r.error,
    createdAt: r.created_at,
    indexedAt: r.indexed_at,
    gitHead: r.git_head,
    stats: r.stats ? (JSON.parse(r.stats) as Record<string, unknown>) : null,
  };
}

export function listProjects(store: Store): ProjectRow[] {
  return (store.stmt(`SELECT ${COLUMNS} FROM projects ORDER BY root`).all() as RawProject[]).map(toRow);
}

export function getProject(store: Store, id: number): ProjectRow | undefined {
  const r = store.stmt(`SELECT ${COLUMNS} FROM projects WHERE id = ?`).get(id) as RawProject | undefined;
  return r && toRow(r);
}

/**
 * The project row for a root. Every tool call looks its project up (and parses its stats JSON); rows change
 * only through Store.write, so the answer is memoised until the next write. Callers must not mutate it.
 */
export function projectByRoot(store: Store, root: string): ProjectRow | undefined {
  return store.memo.get(`projectByRoot ${root}`, () => {
    const r = store.stmt(`SELECT ${COLUMNS} FROM projects WHERE root = ?`).get(root) as RawProject | undefined;
    return r && toRow(r);
  });
}

/** The project row for a root, created (state `new`) if absent. `root` must already be a realpath. */
export function ensureProject(store: Store, root: string): ProjectRow {
  const existing = projectByRoot(store, root);
  if (existing) return existing;
  store.write(() => {
    store
      .stmt(`INSERT OR IGNORE INTO projects(root, name, created_at) VALUES (?, ?, ?)`)
      .run(root, basename(root) || root, Date.now());
  });
  return projectByRoot(store, root)!;
}

export function setProjectState(store: Store, id: number, state: ProjectState, error: string | null = null): void {
  store.write(() => {
    store.stmt(`UPDATE projects SET state = ?, error = ? WHERE id = ?`).run(state, error, id);
  });
}

/**
 * The project whose root contains `path` (longest root wins, so a nested project beats its parent).
 * Memoised until the next write, like projectByRoot.
 */
export function projectContaining(store: Store, path: string): ProjectRow | undefined {
  return store.memo.get(`projectContaining ${path}`, () => {
    const r = store
      .stmt(
        `SELECT ${COLUMNS} FROM projects
         WHERE root = @path OR substr(@path, 1, length(root) + 1) = root || '/' OR root = '/'
         ORDER BY length(root) DESC LIMIT 1`,
      )
      .get({ path }) as RawProject | undefined;
    return r && toRow(r);
  });
}
