/**
 * Finding the symbol an agent names: a qualified name (`src/a.ts#Server.listen`), a member path
 * (`Server.listen`) or a plain name (`listen`) when it is unique. Ambiguity is an answer, not a guess: the
 * caller gets every candidate. An unknown name is an error that lists near matches (same name in another
 * case, names containing it, small edit distance, full-text word matches) so the next call can succeed.
 */
import type { Db } from '../../store/db.js';
import { CodehiveError } from '../../protocol/index.js';
import { identifierWords } from '../../store/schema.js';
import { byName } from './format.js';
import { NODE_COLUMNS, SYMBOL_KINDS_SQL, stmt, type NodeRow } from './graph.js';

/** The symbol, the candidates of an ambiguous name, or nothing (see `unknownSymbol` for the error to give). */
export type Lookup = { node: NodeRow } | { candidates: NodeRow[] } | { unknown: string };

const MAX_CANDIDATES = 50;

export function lookupSymbol(db: Db, snapshot: number, symbol: string): Lookup {
  const s = symbol.trim();
  const exact = stmt(db, `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.qname = ?`).get(snapshot, s) as NodeRow | undefined;
  if (exact) return { node: exact };
  let rows: NodeRow[];
  if (s.includes('#')) {
    rows = [];
  } else if (s.includes('.')) {
    // Member path: qnames end with `#Class.member`.
    rows = stmt(db, `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.name = ? AND n.qname LIKE ? ESCAPE '\\' AND n.kind IN (${SYMBOL_KINDS_SQL}) ORDER BY n.qname LIMIT ${MAX_CANDIDATES + 1}`).all(
      snapshot,
      s.slice(s.lastIndexOf('.') + 1),
      '%#' + escapeLike(s),
    ) as NodeRow[];
  } else {
    rows = stmt(db, `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.name = ? AND n.kind IN (${SYMBOL_KINDS_SQL}) ORDER BY n.qname LIMIT ${MAX_CANDIDATES + 1}`).all(
      snapshot,
      s,
    ) as NodeRow[];
  }
  if (rows.length === 1) return { node: rows[0]! };
  if (rows.length > 1) return { candidates: rows };
  return { unknown: s };
}

/** The error for a symbol that matched nothing, with its near matches (`nearMatches`). */
export function unknownSymbol(symbol: string, near: NodeRow[]): CodehiveError {
  const hint = near.length ? ` Did you mean: ${near.map((n) => `${n.qname} (${n.kind})`).join(', ')}?` : '';
  return new CodehiveError('UNKNOWN_SYMBOL', `no symbol ${JSON.stringify(symbol)} in the graph.${hint} Use search_graph to find symbols by words of their name.`, {
    near: near.map((n) => n.qname),
  });
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

const NEAR = 8;

/**
 * Up to eight plausible symbols for a name that matched nothing, best first. Several of its queries scan
 * every symbol of the snapshot (LIKE '%x%', a case-insensitive name, names by length): a whole-graph read.
 */
export function nearMatches(db: Db, snapshot: number, { symbol }: { symbol: string }): NodeRow[] {
  const name = symbol.slice(Math.max(symbol.lastIndexOf('#'), symbol.lastIndexOf('.')) + 1);
  if (!name) return [];
  const out = new Map<number, NodeRow>();
  const add = (rows: NodeRow[]) => {
    for (const r of rows) if (out.size < NEAR && !out.has(r.id)) out.set(r.id, r);
  };
  const base = `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.kind IN (${SYMBOL_KINDS_SQL})`;
  // A qname with a wrong path: the same member path elsewhere.
  if (symbol.includes('#')) add(stmt(db, `${base} AND n.qname LIKE ? ESCAPE '\\' ORDER BY n.qname LIMIT 8`).all(snapshot, '%#' + escapeLike(symbol.slice(symbol.indexOf('#') + 1))) as NodeRow[]);
  add(stmt(db, `${base} AND n.name = ? COLLATE NOCASE ORDER BY n.qname LIMIT 8`).all(snapshot, name) as NodeRow[]);
  // A member path whose container exists (`Server.stop`): the container's members are the likely answers.
  const dot = symbol.lastIndexOf('.');
  if (dot > 0 && !symbol.slice(dot).includes('#')) {
    const container = symbol.slice(symbol.indexOf('#') + 1, dot);
    const members = stmt(db, `${base} AND n.qname LIKE ? ESCAPE '\\' ORDER BY n.start_line LIMIT 8`).all(
      snapshot,
      (symbol.includes('#') ? escapeLike(symbol.slice(0, symbol.indexOf('#'))) : '%') + '#' + escapeLike(container) + '.%',
    ) as NodeRow[];
    add(members.filter((m) => !m.qname.slice(m.qname.indexOf('#') + container.length + 2).includes('.')));
  }
  if (name.length >= 3) add(stmt(db, `${base} AND n.name LIKE ? ESCAPE '\\' ORDER BY length(n.name), n.qname LIMIT 8`).all(snapshot, '%' + escapeLike(name) + '%') as NodeRow[]);
  if (out.size < NEAR) {
    // Edit distance over distinct names of similar length (cheap: names are short, and the length window prunes).
    const names = stmt(db, `SELECT DISTINCT n.name FROM nodes n WHERE n.snapshot = ? AND n.kind IN (${SYMBOL_KINDS_SQL}) AND length(n.name) BETWEEN ? AND ?`).all(
      snapshot,
      name.length - 2,
      name.length + 2,
    ) as Array<{ name: string }>;
    const max = name.length <= 4 ? 1 : 2;
    const close = names
      .map((r) => ({ name: r.name, d: editDistance(name.toLowerCase(), r.name.toLowerCase(), max) }))
      .filter((r) => r.d <= max)
      .sort((a, b) => a.d - b.d || byName(a.name, b.name))
      .slice(0, NEAR);
    for (const c of close) add(stmt(db, `${base} AND n.name = ? ORDER BY n.qname LIMIT 3`).all(snapshot, c.name) as NodeRow[]);
  }
  const words = identifierWords(name).split(' ').filter(Boolean);
  if (out.size < NEAR && words.length) {
    const match = words.map((w) => `"${w}"*`).join(' OR ');
    add(
      stmt(db, `SELECT ${NODE_COLUMNS} FROM nodes_fts f JOIN nodes n ON n.id = f.rowid WHERE nodes_fts MATCH ? AND n.snapshot = ? AND n.kind IN (${SYMBOL_KINDS_SQL}) ORDER BY bm25(nodes_fts, 10, 2, 1, 1) LIMIT 8`).all(
        `{words} : (${match})`,
        snapshot,
      ) as NodeRow[],
    );
  }
  return [...out.values()];
}

/** Levenshtein distance, giving up (returning max+1) once it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** Candidate lines for an ambiguous name, capped, with the instruction for the next call. */
export function ambiguityText(symbol: string, candidates: readonly NodeRow[], line: (n: NodeRow) => string): string[] {
  const shown = candidates.slice(0, MAX_CANDIDATES);
  const lines = [`ambiguous: ${candidates.length > MAX_CANDIDATES ? `more than ${MAX_CANDIDATES}` : candidates.length} symbols are named ${JSON.stringify(symbol)}; call again with one qualified name:`];
  for (const c of shown) lines.push('  ' + line(c));
  return lines;
}
