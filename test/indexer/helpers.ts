/**
 * Test helpers: a real store in a temp dir, a real indexer (worker threads, tree-sitter), and readers that
 * turn the graph into comparable sets of strings.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonSettings } from '../../packages/config/index.js';
import { createIndexer } from '../../packages/indexer/index.js';
import type { Indexer } from '../../packages/indexer/api.js';
import type { Logger } from '../../packages/log/index.js';
import { Store } from '../../packages/store/db.js';
import { afterAll, beforeAll } from 'vitest';

export const FIXTURES = fileURLToPath(new URL('../fixtures/indexer/', import.meta.url));

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, file: '' };

export function settings(over: Partial<DaemonSettings> = {}): DaemonSettings {
  return { mmapSize: 0, idleTimeoutSec: 60, watch: false, fence: true, maxFileBytes: 1024 * 1024, workers: 2, journalSizeLimit: 1 << 26, allowedRoots: null, ...over };
}

export interface Env {
  dir: string;
  store: Store;
  indexer: Indexer;
  close(): Promise<void>;
}

export function openEnv(over: Partial<DaemonSettings> = {}): Env {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-ix-')));
  const store = Store.open(join(dir, 'graph.db'), { mmapSize: 0, journalSizeLimit: 1 << 26 });
  const indexer = createIndexer(store, settings(over), silentLog);
  return {
    dir,
    store,
    indexer,
    async close() {
      await indexer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Copies a fixture into a temp dir (so tests may edit it) and returns the realpath. */
export function copyFixture(name: string, into: string): string {
  const dst = join(into, name);
  cpSync(join(FIXTURES, name), dst, { recursive: true });
  return realpathSync(dst);
}

function liveSnapshot(store: Store, root: string): number {
  const row = store.db.prepare(`SELECT snapshot FROM projects WHERE root = ?`).get(root) as { snapshot: number };
  return row.snapshot;
}

/** Edges of one type as `src -> dst` (CALLS: `src:line -> dst (strategy)`), sorted. */
export function liveSnapshotOf(store: Store, root: string): number {
  return liveSnapshot(store, root);
}

export function edges(store: Store, root: string, type: string): string[] {
  const snap = liveSnapshot(store, root);
  const rows = store.db
    .prepare(
      `SELECT s.qname AS src, d.qname AS dst, e.line, e.strategy, e.data FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst
       WHERE e.snapshot = ? AND e.type = ?`,
    )
    .all(snap, type) as Array<{ src: string; dst: string; line: number | null; strategy: string | null; data: string | null }>;
  return rows
    .map((r) => (type === 'CALLS' ? `${r.src}:${r.line} -> ${r.dst} (${r.strategy})` : type === 'IMPORTS' ? `${r.src} -> ${r.dst} ${r.data}` : `${r.src} -> ${r.dst}`))
    .sort();
}

export function unresolved(store: Store, root: string): string[] {
  const snap = liveSnapshot(store, root);
  const rows = store.db
    .prepare(`SELECT s.qname AS src, u.line, u.callee, u.reason FROM unresolved_calls u JOIN nodes s ON s.id = u.src WHERE u.snapshot = ?`)
    .all(snap) as Array<{ src: string; line: number; callee: string; reason: string }>;
  return rows.map((r) => `${r.src}:${r.line} ${r.callee} (${r.reason})`).sort();
}

export function nodes(store: Store, root: string, where = '1'): Array<Record<string, unknown>> {
  const snap = liveSnapshot(store, root);
  return store.db.prepare(`SELECT kind, name, qname, file, start_line, end_line, signature, exported, doc, words FROM nodes WHERE snapshot = ? AND ${where} ORDER BY qname`).all(snap) as Array<Record<string, unknown>>;
}

/** The whole live graph as sorted strings, ids left out: two indexes of one tree must give equal dumps. */
export function dump(store: Store, root: string): { nodes: string[]; edges: string[]; unresolved: string[]; files: string[] } {
  const snap = liveSnapshot(store, root);
  const n = store.db
    .prepare(
      `SELECT n.kind, n.qname, n.file, p.qname AS parent, n.start_line, n.start_col, n.end_line, n.end_col, n.signature, n.exported, n.doc, n.words
       FROM nodes n LEFT JOIN nodes p ON p.id = n.parent WHERE n.snapshot = ?`,
    )
    .all(snap)
    .map((r) => JSON.stringify(r))
    .sort();
  const e = store.db
    .prepare(
      `SELECT e.type, s.qname AS src, d.qname AS dst, e.line, e.strategy, e.confidence, e.data FROM edges e
       JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst WHERE e.snapshot = ?`,
    )
    .all(snap)
    .map((r) => JSON.stringify(r))
    .sort();
  const u = unresolved(store, root);
  const f = store.db
    .prepare(`SELECT path, language, hash, lines, parse_errors FROM files WHERE snapshot = ?`)
    .all(snap)
    .map((r) => JSON.stringify(r))
    .sort();
  return { nodes: n, edges: e, unresolved: u, files: f };
}

const ZOD_V3 = fileURLToPath(new URL('../../node_modules/zod/src/v3/', import.meta.url));

/** A private copy of a real TypeScript corpus (zod's v3 sources, without its tests and benchmarks). */
export function copyZodCorpus(into: string): string {
  const root = join(into, 'zod-v3');
  cpSync(ZOD_V3, root, { recursive: true, filter: (src) => !src.includes('/tests') && !src.includes('/benchmarks') });
  return root;
}

/** An Env holding a fresh copy of the zod corpus for the calling test file, opened before its tests and closed after. */
export function useZodCorpus(): { readonly env: Env; readonly root: string } {
  const held = {} as { env: Env; root: string };
  beforeAll(() => {
    held.env = openEnv();
    held.root = copyZodCorpus(held.env.dir);
  });
  afterAll(async () => {
    await held.env.close();
  });
  return held;
}
