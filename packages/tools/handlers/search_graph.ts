/**
 * search_graph: symbol search. `query` is ranked full-text (FTS5 BM25) over the name's words, qualified
 * name, signature and doc, tokenized like the indexer tokenizes names (identifierWords), every word a
 * prefix; all words must match, and when none does the answer falls back to any word and says so. Exact
 * name matches rank first. `name_pattern` is an exact name (plain identifier) or a bounded regex; `kind`,
 * `exported` filter in SQL, `file_pattern` (glob) in JS. Without `kind`, containers (File, Folder) are
 * left out. Paged with a cursor.
 */
import { answer, page, type AnswerBody } from '../lib/answer.js';
import { bytes } from '../lib/budget.js';
import { decodeCursor, fingerprint } from '../lib/cursor.js';
import { liveSnapshot, NODE_COLUMNS, nodeData, nodeLine, SYMBOL_KINDS_SQL, type NodeRow } from '../lib/graph.js';
import { pathFilter } from '../lib/glob.js';
import { BoundedScanner, compileUserRegex } from '../lib/regex.js';
import { clipLine } from '../lib/budget.js';
import type { ToolHandler } from '../context.js';
import type { ToolArgs } from '../definitions.js';
import type { Store } from '../../store/db.js';
import type { ProjectRow } from '../../store/projects.js';
import { identifierWords } from '../../store/schema.js';
import { CodehiveError } from '../../protocol/index.js';

const DEFAULT_LIMIT = 20;
/** Rows examined per call at most; the count past it is reported as a lower bound. */
const SCAN_CAP = 200_000;
const REGEX_BUDGET_MS = 1000;

type Row = NodeRow & { rank?: number };

type Args = ToolArgs<'search_graph'>;

export const searchGraphHandler: ToolHandler<'search_graph'> = async (ctx, args) => {
  const p = await ctx.project(args.project);
  const snap = liveSnapshot(p);
  // Between two writes the same search gives the same page: computed once for every session asking.
  const parts = ctx.store.memo.get(
    JSON.stringify(['search_graph', p.id, snap, args]),
    () => search(ctx.store, p, snap, args),
    (body) => !body.data.regex_stopped,
  );
  return answer({ ...parts, project: p, freshness: await ctx.freshness(p) });
};

function search(store: Store, p: ProjectRow, snap: number, args: Args): AnswerBody {
  const limit = args.limit ?? DEFAULT_LIMIT;
  const fp = fingerprint(['search_graph', p.id, args.query, args.name_pattern, args.kind, args.file_pattern, args.exported]);
  const start = decodeCursor(args.cursor, fp, snap);

  const words = args.query ? identifierWords(args.query).split(' ').filter(Boolean).slice(0, 16) : [];
  if (args.query !== undefined && args.query.trim() && !words.length) {
    throw new CodehiveError('BAD_REQUEST', `query ${JSON.stringify(args.query)} has no letters or digits to search for; use name_pattern for a regex`);
  }
  const plainName = args.name_pattern !== undefined && /^[\w$]+$/.test(args.name_pattern) ? args.name_pattern : undefined;
  const nameRe = args.name_pattern !== undefined && plainName === undefined ? compileUserRegex(args.name_pattern, 'name_pattern') : undefined;
  const inPath = pathFilter(args.file_pattern);

  const where: string[] = ['n.snapshot = ?'];
  const params: unknown[] = [snap];
  if (args.kind) {
    where.push('n.kind = ?');
    params.push(args.kind);
  } else where.push(`n.kind IN (${SYMBOL_KINDS_SQL})`);
  if (args.exported !== undefined) {
    where.push('n.exported = ?');
    params.push(args.exported ? 1 : 0);
  }
  if (plainName) {
    where.push('n.name = ?');
    params.push(plainName);
  }

  // With every filter expressible in SQL, SQLite ranks and pages (LIMIT/OFFSET) and counts separately: an
  // agent's common query costs a page of rows, not every match. A file glob or a name regex is applied in JS
  // over at most SCAN_CAP rows.
  const inSql = !nameRe && !args.file_pattern;
  const matchOf = (any: boolean) => words.map((w) => `"${w}"*`).join(any ? ' OR ' : ' AND ');
  const fromWhere = words.length
    ? `FROM nodes_fts f JOIN nodes n ON n.id = f.rowid WHERE nodes_fts MATCH ? AND ${where.join(' AND ')}`
    : `FROM nodes n WHERE ${where.join(' AND ')}`;
  const order = words.length ? `ORDER BY (lower(n.name) IN (?, ?)) DESC, rank, n.qname` : `ORDER BY n.file, n.start_line, n.qname`;
  const rankCol = words.length ? `, bm25(nodes_fts, 10.0, 3.0, 1.0, 1.0) AS rank` : '';
  const bind = (any: boolean) => (words.length ? [matchOf(any), ...params] : params);
  const orderBind = words.length ? [words.join(''), (args.query ?? '').trim().toLowerCase()] : [];
  const run = (any: boolean, lim: number, off: number): Row[] =>
    store.stmt(`SELECT ${NODE_COLUMNS}${rankCol} ${fromWhere} ${order} LIMIT ? OFFSET ?`).all(...bind(any), ...orderBind, lim, off) as Row[];
  const count = (any: boolean): number => (store.stmt(`SELECT count(*) AS c ${fromWhere}`).get(...bind(any)) as { c: number }).c;

  let anyWord = false;
  let total = count(false);
  if (!total && words.length > 1 && count(true) > 0) {
    anyWord = true;
    total = count(true);
  }
  const rows = inSql ? run(anyWord, limit, start.offset) : run(anyWord, SCAN_CAP, 0);
  const capped = !inSql && rows.length >= SCAN_CAP;

  let filtered = inSql ? rows : rows.filter((r) => inPath(r.file ?? ''));
  let regexPartial = false;
  if (nameRe) {
    const scanner = new BoundedScanner(nameRe, REGEX_BUDGET_MS);
    const hits = scanner.scan(filtered.map((r) => r.name));
    if (hits === null) {
      regexPartial = true;
      filtered = [];
    } else filtered = hits.map((i) => filtered[i]!);
  }
  const matched = inSql ? total : filtered.length;
  const items = inSql ? filtered : filtered.slice(start.offset, start.offset + limit);
  const filters = [
    args.query && `query ${JSON.stringify(args.query)}`,
    args.name_pattern && `name ${plainName ? '=' : '~'} ${args.name_pattern}`,
    args.kind && `kind ${args.kind}`,
    args.file_pattern && `file ${args.file_pattern}`,
    args.exported !== undefined && (args.exported ? 'exported' : 'not exported'),
  ].filter(Boolean);
  const head = [
    `${matched}${capped ? '+' : ''} symbol${matched === 1 ? '' : 's'}${filters.length ? ' for ' + filters.join(', ') : ''}${
      matched && items.length ? ` (showing ${start.offset + 1}-${start.offset + items.length})` : ''
    }`,
  ];
  if (anyWord) head.push(`note: no symbol matches every word; showing symbols that match any of: ${words.join(' ')}`);
  if (regexPartial) head.push(`note: name_pattern took longer than ${REGEX_BUDGET_MS} ms and was stopped; simplify it`);
  const pg = page({
    items,
    offset: start.offset,
    total: matched,
    exact: !capped && !regexPartial,
    render: (r) => lineWithDoc(r),
    fingerprint: fp,
    snapshot: snap,
    shifted: start.shifted,
    headBytes: bytes(head.join('\n')),
    noun: 'symbols',
  });
  if (!matched && !anyWord) pg.notes.unshift(emptyHint(args));
  return { head, blocks: pg.blocks, notes: pg.notes, data: { results: pg.shown.map(nodeData), any_word: anyWord, ...(regexPartial ? { regex_stopped: true } : {}), ...pg.data } };
}

function lineWithDoc(r: NodeRow): string {
  const line = nodeLine(r);
  return r.doc ? `${line}  — ${clipLine(r.doc.trim(), 100)}` : line;
}

function emptyHint(args: { query?: string; name_pattern?: string; kind?: string; file_pattern?: string; exported?: boolean }): string {
  const narrowing = [args.kind && 'kind', args.file_pattern && 'file_pattern', args.exported !== undefined && 'exported'].filter(Boolean);
  if (narrowing.length) return `no match; try without ${narrowing.join(', ')}, or search_code for text`;
  return 'no match; try fewer or other words, or search_code for text in files';
}
