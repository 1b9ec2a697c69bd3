/**
 * codehive's side of the accuracy check: the CALLS edges (and unresolved call sites) of a project's live
 * snapshot, read straight from the store with the schema's columns (packages/store/schema.ts).
 */
import type { Store } from '../../packages/store/db.js';

export interface GraphEnd {
  file: string;
  line: number;
  kind: string;
  qname: string;
}

export interface CodehiveEdge {
  /** File and line of the call site (the caller's file). */
  file: string;
  line: number;
  strategy: string;
  confidence: number | null;
  caller: GraphEnd;
  target: GraphEnd;
}

export interface CodehiveUnresolved {
  file: string;
  line: number;
  callee: string;
  reason: string;
}

interface EdgeRow {
  line: number | null;
  strategy: string | null;
  confidence: number | null;
  sfile: string | null;
  sline: number | null;
  skind: string;
  sq: string;
  dfile: string | null;
  dline: number | null;
  dkind: string;
  dq: string;
}

export function liveSnapshot(store: Store, projectId: number): number {
  const row = store.db.prepare(`SELECT snapshot FROM projects WHERE id = ?`).get(projectId) as { snapshot: number | null } | undefined;
  if (!row || row.snapshot == null) throw new Error(`project ${projectId} has no live snapshot`);
  return row.snapshot;
}

export function readCallEdges(store: Store, snapshot: number): CodehiveEdge[] {
  const rows = store.db
    .prepare(
      `SELECT e.line, e.strategy, e.confidence,
              s.file AS sfile, s.start_line AS sline, s.kind AS skind, s.qname AS sq,
              d.file AS dfile, d.start_line AS dline, d.kind AS dkind, d.qname AS dq
         FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst
        WHERE e.snapshot = ? AND e.type = 'CALLS'`,
    )
    .all(snapshot) as EdgeRow[];
  return rows.map((r) => ({
    file: r.sfile ?? '',
    line: r.line ?? 0,
    strategy: r.strategy ?? '(none)',
    confidence: r.confidence,
    // A File node may leave start_line empty; the file's top level is line 1 for matching purposes.
    caller: { file: r.sfile ?? '', line: r.sline ?? 1, kind: r.skind, qname: r.sq },
    target: { file: r.dfile ?? '', line: r.dline ?? 1, kind: r.dkind, qname: r.dq },
  }));
}

export function readUnresolved(store: Store, snapshot: number): CodehiveUnresolved[] {
  return store.db
    .prepare(`SELECT file, line, callee, reason FROM unresolved_calls WHERE snapshot = ?`)
    .all(snapshot) as CodehiveUnresolved[];
}
