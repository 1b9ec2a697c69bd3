/**
 * get_code_snippet: the source of a symbol, read from disk, with line numbers and optional context lines.
 * An ambiguous plain name is a normal (non-error) answer listing the candidates with their files — the agent
 * repeats the call with one qualified name; an unknown name is an UNKNOWN_SYMBOL error with near matches.
 * When the file changed since it was indexed the answer says so (lines may have moved). A symbol too big
 * for the budget is cut with a marker, and for a class the members are listed so one can be asked for.
 */
import { answer, capped, symbolOrCandidates } from '../lib/answer.js';
import { bytes, clipLine, FOOTER_RESERVE, TEXT_BUDGET } from '../lib/budget.js';
import { changedOnDisk, indexedFile, readLines } from '../lib/files.js';
import { location, NODE_COLUMNS, nodeData, nodeLine, stmt, type NodeRow } from '../lib/graph.js';
import type { ToolHandler } from '../context.js';
import { CodehiveError } from '../../protocol/index.js';

const MAX_LINE = 400;

export const getCodeSnippetHandler: ToolHandler<'get_code_snippet'> = async (ctx, args) => {
  const p = await ctx.project(args.project);
  const found = await symbolOrCandidates(ctx, p, args.symbol);
  if ('answer' in found) return found.answer;
  const { snap, freshness } = found;
  const db = ctx.store.db;
  const n = found.node;
  if (!n.file || n.start_line === null || n.end_line === null) {
    throw new CodehiveError('NOT_FOUND', `${n.qname} (${n.kind}) has no source range; ask for a function, class or other symbol`);
  }
  const lines = readLines(p.root, n.file);
  if (!lines) throw new CodehiveError('NOT_FOUND', `${n.file} is in the graph but no longer on disk (deleted since indexing); re-run index_repository`);
  const file = indexedFile(db, snap, n.file);
  const changed = file ? await changedOnDisk(p.root, file) : false;

  const ctxLines = args.context_lines ?? 0;
  const from = Math.max(1, n.start_line - ctxLines);
  const to = Math.min(lines.length, n.end_line + ctxLines);
  const width = String(to).length;
  const head = [nodeLine(n)];
  if (n.doc) head.push(`doc: ${clipLine(n.doc, 200)}`);
  if (changed) head.push(`note: ${n.file} changed on disk since it was indexed; lines may have moved`);
  const budget = TEXT_BUDGET - bytes(head.join('\n')) - FOOTER_RESERVE;
  const blocks: string[] = [];
  let used = 0;
  let last = from - 1;
  for (let l = from; l <= to; l++) {
    const text = `${String(l).padStart(width)}  ${clipLine(lines[l - 1] ?? '', MAX_LINE)}`;
    if (used + bytes(text) + 1 > budget) break;
    used += bytes(text) + 1;
    blocks.push(text);
    last = l;
  }
  const notes: string[] = [];
  if (last < to) {
    notes.push(`truncated: lines ${last + 1}-${to} (${to - last} more) not shown to stay under the output budget`);
    const members = stmt(db, `SELECT ${NODE_COLUMNS} FROM nodes n WHERE n.snapshot = ? AND n.parent = ? ORDER BY n.start_line`).all(snap, n.id) as NodeRow[];
    if (members.length) {
      notes.push('ask for one member instead:');
      notes.push(...capped(members, 40, (m) => `${m.kind} ${m.qname}  ${location(m)}`, 'members'));
    }
  }
  return answer({
    head,
    blocks,
    notes,
    project: p,
    freshness,
    data: {
      ambiguous: false,
      symbol: nodeData(n),
      start_line: from,
      end_line: last,
      // Lines over MAX_LINE characters are clipped here as in the text (minified code must not blow the budget).
      source: lines.slice(from - 1, last).map((l) => clipLine(l, MAX_LINE)).join('\n'),
      truncated_lines: to - last,
      changed_since_index: changed,
    },
  });
};
