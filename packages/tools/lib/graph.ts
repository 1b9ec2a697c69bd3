/**
 * Shared reads of the live graph and the one-line rendering of a node, so every tool names symbols the same
 * way (`Function src/a.ts#foo  src/a.ts:12-30  (x: number): string`). Every query filters by the project's
 * live snapshot and is parameterised.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../../store/db.js';
import { CodehiveError } from '../../protocol/index.js';
import type { ProjectRow } from '../../store/projects.js';
import { clipLine } from './budget.js';

/** Kinds that are code symbols (as opposed to the containers Project/Folder/File). */
export const SYMBOL_KINDS = ['Class', 'Interface', 'TypeAlias', 'Enum', 'Function', 'Method', 'Variable'] as const;
export const SYMBOL_KINDS_SQL = SYMBOL_KINDS.map((k) => `'${k}'`).join(',');
/** Kinds that can make calls (CALLS edges start at these). */
export const CALLABLE_KINDS_SQL = `'Function','Method','Class','Variable','File'`;

export interface NodeRow {
  id: number;
  kind: string;
  name: string;
  qname: string;
  file: string | null;
  parent: number | null;
  start_line: number | null;
  end_line: number | null;
  signature: string | null;
  exported: number;
  doc: string | null;
}

export const NODE_COLUMNS = 'n.id, n.kind, n.name, n.qname, n.file, n.parent, n.start_line, n.end_line, n.signature, n.exported, n.doc';

/** The project's live snapshot; a project without one cannot answer graph questions (say why and what to do). */
export function liveSnapshot(p: ProjectRow): number {
  if (p.snapshot !== null) return p.snapshot;
  const why = p.state === 'failed' ? `its last index failed: ${p.error ?? 'unknown error'}` : p.state === 'indexing' ? 'its first index is still running' : 'it has not been indexed';
  throw new CodehiveError('BUSY', `project ${p.root} has no graph yet (${why}); check index_status, or run index_repository`);
}

/** Prepared statements cached per connection: handlers run many small lookups per call. */
type Stmt = Database.Statement<unknown[], unknown>;
const cache = new WeakMap<Db, Map<string, Stmt>>();
export function stmt(db: Db, sql: string): Stmt {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare<unknown[], unknown>(sql)));
  return s;
}

export function nodeById(db: Db, snapshot: number, id: number): NodeRow | undefined {
  return stmt(db, `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.id = ?`).get(snapshot, id) as NodeRow | undefined;
}

/** Symbols of one file ordered by position (for enclosing-symbol lookups). */
export function symbolsInFile(db: Db, snapshot: number, file: string): NodeRow[] {
  return stmt(db, // `+n.kind`: keep the planner on the (snapshot, file) index; with the kind list it chose (snapshot, kind)
    // and walked every symbol of the snapshot for each file.
    `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.file = ? AND +n.kind IN (${SYMBOL_KINDS_SQL}) ORDER BY n.start_line, n.end_line DESC`).all(
    snapshot,
    file,
  ) as NodeRow[];
}

/** The innermost symbol whose line range contains `line` (latest start wins, then the shortest range). */
export function innermost(symbols: readonly NodeRow[], line: number): NodeRow | undefined {
  let best: NodeRow | undefined;
  for (const s of symbols) {
    if (s.start_line === null || s.end_line === null || s.start_line > line || s.end_line < line) continue;
    if (!best || s.start_line > best.start_line! || (s.start_line === best.start_line && s.end_line < best.end_line!)) best = s;
  }
  return best;
}

export function location(n: Pick<NodeRow, 'file' | 'start_line' | 'end_line'>): string {
  if (!n.file) return '';
  if (n.start_line === null) return n.file;
  return n.end_line !== null && n.end_line !== n.start_line ? `${n.file}:${n.start_line}-${n.end_line}` : `${n.file}:${n.start_line}`;
}

/** Signatures as written can span lines; one line, bounded, for display. */
export function compactSignature(sig: string | null, max = 160): string {
  return sig ? clipLine(sig.replace(/\s+/g, ' ').trim(), max) : '';
}

/** `Function src/a.ts#foo  src/a.ts:12-30  (x: number): string  exported` */
export function nodeLine(n: NodeRow): string {
  const parts = [`${n.kind} ${n.qname}`, location(n)];
  const sig = compactSignature(n.signature);
  if (sig) parts.push(sig);
  if (n.exported) parts.push('exported');
  return parts.filter(Boolean).join('  ');
}

/** The JSON form of a node in `data`. */
export function nodeData(n: NodeRow): Record<string, unknown> {
  return {
    kind: n.kind,
    name: n.name,
    qname: n.qname,
    file: n.file,
    start_line: n.start_line,
    end_line: n.end_line,
    signature: n.signature ? n.signature.replace(/\s+/g, ' ').trim() : null,
    exported: n.exported === 1,
    doc: n.doc,
  };
}

/** Test files, by the conventions of the JS/TS ecosystem (used for risk and entry-point heuristics). */
export function isTestFile(path: string): boolean {
  return /(^|\/)(__tests__|__mocks__|tests?|spec|e2e)\//.test(path) || /\.(test|spec|e2e)\.[cm]?[jt]sx?$/.test(path);
}

export interface GraphCounts {
  files: number;
  lines: number;
  symbols: number;
  edges: number;
  calls: number;
  unresolvedCalls: number;
}

/** Counts of a snapshot's graph: a whole-graph read (see `liveCounts` in whole-graph.ts). */
export function countGraph(db: Db, snapshot: number, _args: Record<string, never>): GraphCounts {
  const f = stmt(db, `SELECT COUNT(*) AS n, COALESCE(SUM(lines), 0) AS lines FROM files WHERE snapshot = ?`).get(snapshot) as { n: number; lines: number };
  const s = stmt(db, `SELECT COUNT(*) AS n FROM nodes WHERE snapshot = ? AND kind IN (${SYMBOL_KINDS_SQL})`).get(snapshot) as { n: number };
  const e = stmt(db, `SELECT COUNT(*) AS n, COALESCE(SUM(type = 'CALLS'), 0) AS calls FROM edges WHERE snapshot = ?`).get(snapshot) as { n: number; calls: number };
  const u = stmt(db, `SELECT COUNT(*) AS n FROM unresolved_calls WHERE snapshot = ?`).get(snapshot) as { n: number };
  return { files: f.n, lines: f.lines, symbols: s.n, edges: e.n, calls: e.calls, unresolvedCalls: u.n };
}

export function countsLine(c: GraphCounts): string {
  return `${c.files} files (${c.lines} lines) · ${c.symbols} symbols · ${c.edges} edges · calls ${c.calls} resolved, ${c.unresolvedCalls} unresolved`;
}
