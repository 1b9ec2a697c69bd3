/**
 * The call graph as seen by tools: CALLS edges one hop at a time, grouped per neighbour (several call sites
 * of one function in another become one hop with several lines), with the resolution strategy and
 * confidence kept so a guess is never shown as a fact.
 */
import type { Db } from '../../store/db.js';
import { stmt } from './graph.js';

/** Below this confidence, or bound by name alone, an edge is a guess and is marked as one. */
export const LOW_CONFIDENCE = 0.7;

export interface Hop {
  /** The neighbour (caller for `callers`, callee for `callees`). */
  id: number;
  /** Call-site lines, in the caller's file. */
  lines: number[];
  strategy: string | null;
  confidence: number | null;
  low: boolean;
}

export type Direction = 'callers' | 'callees';

export function isLowConfidence(strategy: string | null, confidence: number | null): boolean {
  return strategy === 'unique-name' || (confidence !== null && confidence < LOW_CONFIDENCE);
}

export function hops(db: Db, snapshot: number, id: number, dir: Direction): Hop[] {
  const sql =
    dir === 'callers'
      ? `SELECT src AS id, line, strategy, confidence FROM edges WHERE snapshot = ? AND dst = ? AND type = 'CALLS' ORDER BY src, line`
      : `SELECT dst AS id, line, strategy, confidence FROM edges WHERE snapshot = ? AND src = ? AND type = 'CALLS' ORDER BY line, dst`;
  const rows = stmt(db, sql).all(snapshot, id) as Array<{ id: number; line: number | null; strategy: string | null; confidence: number | null }>;
  const byId = new Map<number, Hop>();
  for (const r of rows) {
    let h = byId.get(r.id);
    if (!h) {
      h = { id: r.id, lines: [], strategy: r.strategy, confidence: r.confidence, low: isLowConfidence(r.strategy, r.confidence) };
      byId.set(r.id, h);
    } else if ((r.confidence ?? 1) > (h.confidence ?? 1)) {
      // Several edges to one neighbour: show the most certain resolution, mark low only if all are low.
      h.strategy = r.strategy;
      h.confidence = r.confidence;
    }
    h.low = h.low && isLowConfidence(r.strategy, r.confidence);
    if (r.line !== null && !h.lines.includes(r.line)) h.lines.push(r.line);
  }
  return [...byId.values()];
}

export interface UnresolvedSite {
  src: number;
  file: string;
  line: number;
  callee: string;
  reason: string;
}

/** Call sites inside `src` that resolved to nothing in the project. */
export function unresolvedFrom(db: Db, snapshot: number, src: number): UnresolvedSite[] {
  return stmt(db, `SELECT src, file, line, callee, reason FROM unresolved_calls WHERE snapshot = ? AND src = ? ORDER BY line`).all(snapshot, src) as UnresolvedSite[];
}

/**
 * Unresolved call sites anywhere whose callee text ends in one of `names` (`listen`, `x.listen`,
 * `this.server.listen`): calls that may reach a symbol but that the indexer could not bind. Calls resolved
 * to a library (`external`) cannot reach project code and are left out. One pass.
 */
/**
 * Unresolved call sites by the name they call (the last identifier of the callee text), per snapshot. Built
 * with one scan of the snapshot's unresolved calls and kept until they change (their count and highest id
 * are the version: an in-place diff inserts with new ids or deletes), so tracing several hops, or several
 * traces in a row, does not rescan tens of thousands of rows each time on the daemon's main thread.
 */
interface NamingIndex {
  version: string;
  byName: Map<string, UnresolvedSite[]>;
}
const namingIndexes = new WeakMap<Db, Map<number, NamingIndex>>();
const NAMING_INDEXES_KEPT = 8;

function namingIndex(db: Db, snapshot: number): Map<string, UnresolvedSite[]> {
  const v = stmt(db, `SELECT count(*) AS n, max(id) AS m FROM unresolved_calls WHERE snapshot = ?`).get(snapshot) as { n: number; m: number | null };
  const version = `${v.n}:${v.m}`;
  let kept = namingIndexes.get(db);
  if (!kept) namingIndexes.set(db, (kept = new Map()));
  const cached = kept.get(snapshot);
  if (cached && cached.version === version) return cached.byName;
  const byName = new Map<string, UnresolvedSite[]>();
  for (const r of stmt(db, `SELECT src, file, line, callee, reason FROM unresolved_calls WHERE snapshot = ? AND reason <> 'external'`).iterate(snapshot) as IterableIterator<UnresolvedSite>) {
    const callee = r.callee.replace(/\(.*$/s, '').replace(/\?\./g, '.').replace(/!/g, '');
    const last = callee.slice(callee.lastIndexOf('.') + 1).trim();
    let list = byName.get(last);
    if (!list) byName.set(last, (list = []));
    list.push(r);
  }
  kept.delete(snapshot);
  kept.set(snapshot, { version, byName });
  // Only live snapshots are asked about. An index of one a full re-index replaced is megabytes of dead
  // weight: the soak's heap snapshots showed them piling up to the cap, one per re-index, as a slow climb.
  const live = new Set((stmt(db, `SELECT snapshot FROM projects WHERE snapshot IS NOT NULL`).all() as Array<{ snapshot: number }>).map((r) => r.snapshot));
  for (const s of kept.keys()) if (s !== snapshot && !live.has(s)) kept.delete(s);
  while (kept.size > NAMING_INDEXES_KEPT) kept.delete(kept.keys().next().value!);
  return byName;
}

/** How many naming indexes are kept for `db` (for tests: stale snapshots must not pile up). */
export function namingIndexesKept(db: Db): number {
  return namingIndexes.get(db)?.size ?? 0;
}

export function unresolvedNaming(db: Db, snapshot: number, names: ReadonlySet<string>): Map<string, UnresolvedSite[]> {
  const out = new Map<string, UnresolvedSite[]>();
  if (!names.size) return out;
  const index = namingIndex(db, snapshot);
  for (const name of names) {
    const sites = index.get(name);
    if (sites) out.set(name, sites);
  }
  return out;
}
