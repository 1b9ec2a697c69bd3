/**
 * Graph rows → SQLite, from the main thread (the only one holding the database). Two ways:
 * - `writeSnapshot`: everything into a fresh, unpublished snapshot in short `BEGIN IMMEDIATE` batches,
 *   yielding to the event loop between them so queries keep flowing; nobody sees it until it is published.
 * - `applyDiff`: a small change applied to the live snapshot in ONE transaction, by diffing the new rows
 *   against the stored ones by qualified name, so readers never see a half-updated graph.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Store } from '../store/db.js';
import { identifierWords } from '../store/schema.js';
import { CodehiveError } from '../protocol/index.js';
import type { Lang } from './facts.js';
import { edgeKey, unresolvedKey, type EdgeRow, type Graph, type NodeRow, type UnresolvedRow } from './resolve/graph.js';

export interface FileRow {
  path: string;
  lang: Lang;
  size: number;
  mtimeMs: number;
  hash: string;
  lines: number;
  parseErrors: number;
  facts: string;
}

/**
 * A snapshot write transaction ends after this long (checked every 32 rows), then the event loop runs: a
 * query waiting on the daemon's main thread waits at most about this much for a batch.
 */
const TX_BUDGET_MS = 10;

class Statements {
  readonly insertFile;
  readonly upsertFile;
  readonly deleteFile;
  readonly insertNode;
  readonly updateNode;
  readonly deleteNode;
  readonly insertEdge;
  readonly deleteEdge;
  readonly insertUnresolved;
  readonly deleteUnresolved;

  constructor(store: Store) {
    const db = store.db;
    const fileCols = `(snapshot, path, language, size, mtime_ms, hash, lines, parse_errors, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.insertFile = db.prepare(`INSERT INTO files${fileCols}`);
    this.upsertFile = db.prepare(
      `INSERT INTO files${fileCols} ON CONFLICT(snapshot, path) DO UPDATE SET language = excluded.language, size = excluded.size,
       mtime_ms = excluded.mtime_ms, hash = excluded.hash, lines = excluded.lines, parse_errors = excluded.parse_errors, facts = excluded.facts`,
    );
    this.deleteFile = db.prepare(`DELETE FROM files WHERE snapshot = ? AND path = ?`);
    this.insertNode = db.prepare(
      `INSERT INTO nodes(snapshot, kind, name, qname, file, parent, start_line, start_col, end_line, end_col, signature, exported, doc, words)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateNode = db.prepare(
      `UPDATE nodes SET kind = ?, name = ?, file = ?, parent = ?, start_line = ?, start_col = ?, end_line = ?, end_col = ?,
       signature = ?, exported = ?, doc = ?, words = ? WHERE id = ?`,
    );
    this.deleteNode = db.prepare(`DELETE FROM nodes WHERE id = ?`);
    this.insertEdge = db.prepare(`INSERT INTO edges(snapshot, type, src, dst, line, strategy, confidence, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.deleteEdge = db.prepare(`DELETE FROM edges WHERE id = ?`);
    this.insertUnresolved = db.prepare(`INSERT INTO unresolved_calls(snapshot, src, file, line, callee, reason) VALUES (?, ?, ?, ?, ?, ?)`);
    this.deleteUnresolved = db.prepare(`DELETE FROM unresolved_calls WHERE id = ?`);
  }
}

function fileArgs(snapshot: number, f: FileRow): unknown[] {
  return [snapshot, f.path, f.lang, f.size, f.mtimeMs, f.hash, f.lines, f.parseErrors, f.facts];
}

function nodeArgs(n: NodeRow, parentId: number | null): unknown[] {
  const p = n.pos;
  return [n.kind, n.name, n.file, parentId, p?.[0] ?? null, p?.[1] ?? null, p?.[2] ?? null, p?.[3] ?? null, n.sig, n.exported ? 1 : 0, n.doc, identifierWords(n.name)];
}

export interface WriteHooks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Writes a complete graph into an unpublished snapshot, batch by batch. */
export async function writeSnapshot(store: Store, snapshot: number, files: FileRow[], graph: Graph, hooks: WriteHooks): Promise<void> {
  const st = new Statements(store);
  const ids = new Map<string, number>();
  const total = files.length + graph.nodes.length + graph.edges.length + graph.unresolved.length;
  let done = 0;
  const inBatches = async <T>(rows: T[], write: (row: T) => void) => {
    let i = 0;
    while (i < rows.length) {
      if (hooks.signal?.aborted) throw new CodehiveError('CANCELLED', 'indexing was cancelled');
      const from = i;
      const t0 = performance.now();
      store.write(() => {
        while (i < rows.length) {
          write(rows[i++]!);
          if ((i & 31) === 0 && performance.now() - t0 > TX_BUDGET_MS) break;
        }
      });
      done += i - from;
      hooks.onProgress?.(done, total);
      await yieldToLoop();
    }
  };
  await inBatches(files, (f) => st.insertFile.run(...fileArgs(snapshot, f)));
  await inBatches(graph.nodes, (n) => {
    const parent = n.parent === null ? null : (ids.get(n.parent) ?? null);
    ids.set(n.qname, Number(st.insertNode.run(snapshot, n.kind, n.name, n.qname, ...nodeArgs(n, parent).slice(2)).lastInsertRowid));
  });
  await inBatches(graph.edges, (e) => {
    const src = ids.get(e.src);
    const dst = ids.get(e.dst);
    if (src !== undefined && dst !== undefined) st.insertEdge.run(snapshot, e.type, src, dst, e.line, e.strategy, e.confidence, e.data);
  });
  await inBatches(graph.unresolved, (u) => {
    const src = ids.get(u.src);
    if (src !== undefined) st.insertUnresolved.run(snapshot, src, u.file, u.line, u.callee, u.reason);
  });
}

export interface FileChanges {
  upsert: FileRow[];
  remove: string[];
}

export interface DiffStats {
  nodes: { added: number; updated: number; removed: number };
  edges: { added: number; removed: number };
}

/**
 * Brings the live snapshot to `graph` in one transaction: rows whose qualified name and content are
 * unchanged keep their ids; everything else is inserted, updated or deleted. `extra` runs inside the same
 * transaction (the project row update), so the graph and its metadata change together.
 */
export function applyDiff(store: Store, snapshot: number, files: FileChanges, graph: Graph, extra: () => void): DiffStats {
  const st = new Statements(store);
  const db = store.db;
  const stats: DiffStats = { nodes: { added: 0, updated: 0, removed: 0 }, edges: { added: 0, removed: 0 } };
  store.write(() => {
    const liveNodes = db
      .prepare(
        `SELECT n.id, n.qname, n.kind, n.name, n.file, p.qname AS parent, n.start_line, n.start_col, n.end_line, n.end_col,
         n.signature, n.exported, n.doc FROM nodes n LEFT JOIN nodes p ON p.id = n.parent WHERE n.snapshot = ?`,
      )
      .all(snapshot) as LiveNode[];
    const liveEdges = db
      .prepare(
        `SELECT e.id, e.type, s.qname AS src, d.qname AS dst, e.line, e.strategy, e.confidence, e.data
         FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst WHERE e.snapshot = ?`,
      )
      .all(snapshot) as Array<EdgeRow & { id: number }>;
    const liveUnresolved = db
      .prepare(`SELECT u.id, s.qname AS src, u.file, u.line, u.callee, u.reason FROM unresolved_calls u JOIN nodes s ON s.id = u.src WHERE u.snapshot = ?`)
      .all(snapshot) as Array<UnresolvedRow & { id: number }>;

    // Edges and unresolved rows first: their keys are by qname, so they are compared before any node moves.
    const wantEdges = new Set(graph.edges.map(edgeKey));
    const haveEdges = new Set<string>();
    for (const e of liveEdges) {
      const k = edgeKey(e);
      if (wantEdges.has(k) && !haveEdges.has(k)) haveEdges.add(k);
      else {
        st.deleteEdge.run(e.id);
        stats.edges.removed++;
      }
    }
    const wantUnresolved = new Set(graph.unresolved.map(unresolvedKey));
    const haveUnresolved = new Set<string>();
    for (const u of liveUnresolved) {
      const k = unresolvedKey(u);
      if (wantUnresolved.has(k) && !haveUnresolved.has(k)) haveUnresolved.add(k);
      else st.deleteUnresolved.run(u.id);
    }

    const ids = new Map<string, number>();
    const live = new Map<string, LiveNode>();
    for (const n of liveNodes) live.set(n.qname, n);
    const wanted = new Set(graph.nodes.map((n) => n.qname));
    for (const n of liveNodes) {
      if (!wanted.has(n.qname)) {
        st.deleteNode.run(n.id);
        stats.nodes.removed++;
      } else ids.set(n.qname, n.id);
    }
    for (const n of graph.nodes) {
      const parent = n.parent === null ? null : (ids.get(n.parent) ?? null);
      const old = live.get(n.qname);
      if (!old) {
        ids.set(n.qname, Number(st.insertNode.run(snapshot, n.kind, n.name, n.qname, ...nodeArgs(n, parent).slice(2)).lastInsertRowid));
        stats.nodes.added++;
      } else if (liveKey(old) !== nodeKey(n)) {
        st.updateNode.run(...nodeArgs(n, parent), old.id);
        stats.nodes.updated++;
      }
    }
    for (const e of graph.edges) {
      if (haveEdges.has(edgeKey(e))) continue;
      const src = ids.get(e.src);
      const dst = ids.get(e.dst);
      if (src === undefined || dst === undefined) continue;
      st.insertEdge.run(snapshot, e.type, src, dst, e.line, e.strategy, e.confidence, e.data);
      stats.edges.added++;
    }
    for (const u of graph.unresolved) {
      if (haveUnresolved.has(unresolvedKey(u))) continue;
      const src = ids.get(u.src);
      if (src !== undefined) st.insertUnresolved.run(snapshot, src, u.file, u.line, u.callee, u.reason);
    }
    for (const f of files.upsert) st.upsertFile.run(...fileArgs(snapshot, f));
    for (const p of files.remove) st.deleteFile.run(snapshot, p);
    extra();
  });
  return stats;
}

interface LiveNode {
  id: number;
  qname: string;
  kind: string;
  name: string;
  file: string | null;
  parent: string | null;
  start_line: number | null;
  start_col: number | null;
  end_line: number | null;
  end_col: number | null;
  signature: string | null;
  exported: number;
  doc: string | null;
}

function nodeKey(n: NodeRow): string {
  const p = n.pos ?? [null, null, null, null];
  return [n.kind, n.name, n.file, n.parent, ...p, n.sig, n.exported ? 1 : 0, n.doc].join('\u0000');
}

function liveKey(n: LiveNode): string {
  return [n.kind, n.name, n.file, n.parent, n.start_line, n.start_col, n.end_line, n.end_col, n.signature, n.exported, n.doc].join('\u0000');
}
