/**
 * search_code: text or regex search over the project's indexed files (the files table of the live
 * snapshot, so ignore rules apply), read from disk now. Each hit has file, line, the innermost enclosing
 * symbol and context lines. Smart case: case-insensitive unless the pattern has an upper-case letter.
 * Regexes are bounded (see lib/regex.ts); the whole scan has a time budget, and an answer cut by it says
 * how far it got. Paged with a cursor over the hit order (path, line).
 */
import { answer, page } from '../lib/answer.js';
import { bytes, clipLine } from '../lib/budget.js';
import { decodeCursor, fingerprint } from '../lib/cursor.js';
import { indexedFiles, forEachFile, splitLines } from '../lib/files.js';
import { innermost, liveSnapshot, symbolsInFile } from '../lib/graph.js';
import { pathFilter } from '../lib/glob.js';
import { plainNeedle } from '../lib/needle.js';
import { BoundedScanner, compileUserRegex, smartCaseInsensitive } from '../lib/regex.js';
import type { ToolHandler } from '../context.js';

const DEFAULT_LIMIT = 30;
const SCAN_BUDGET_MS = 2000;
const SHOW_LINE = 200;

interface Hit {
  file: string;
  line: number;
  text: string;
  before: string[];
  after: string[];
  symbol?: string | null;
}

export const searchCodeHandler: ToolHandler<'search_code'> = async (ctx, args) => {
  const p = await ctx.project(args.project);
  const snap = liveSnapshot(p);
  const limit = args.limit ?? DEFAULT_LIMIT;
  const contextLines = args.context_lines ?? 1;
  const fp = fingerprint(['search_code', p.id, args.pattern, !!args.regex, args.file_pattern]);
  const start = decodeCursor(args.cursor, fp, snap);
  const ci = smartCaseInsensitive(args.pattern);
  const re = args.regex ? compileUserRegex(args.pattern, 'pattern', ci ? 'i' : '') : undefined;
  const needle = ci ? args.pattern.toLowerCase() : args.pattern;
  const inPath = pathFilter(args.file_pattern);
  const files = indexedFiles(ctx.store.db, snap).filter((f) => inPath(f.path));

  const scanner = re ? new BoundedScanner(re, SCAN_BUDGET_MS) : undefined;
  const deadline = performance.now() + SCAN_BUDGET_MS;
  const hits: Hit[] = [];
  let total = 0;
  let searched = 0;
  let missing = 0;
  let stopped = false;
  const plain = re ? undefined : plainNeedle(args.pattern, ci);
  await forEachFile(p.root, files, (f, bytes) => {
    if (ctx.signal.aborted || performance.now() > deadline) {
      stopped = true;
      return false;
    }
    searched++;
    if (bytes === null) {
      missing++;
      return true;
    }
    // A plain pattern's lines are found in the bytes (needle.ts): a file is decoded only for hits it shows.
    let lines: string[] | null = null;
    const text = () => (lines ??= splitLines(bytes.toString('utf8')));
    const found = plain?.linesIn(bytes) ?? (scanner ? scanner.scan(text()) : linesWith(text(), needle, ci));
    if (found === null) {
      stopped = true; // the regex scanner's time budget ran out
      return false;
    }
    for (const i of found) {
      if (total >= start.offset && hits.length < limit) {
        hits.push({
          file: f.path,
          line: i + 1,
          text: text()[i]!,
          before: text().slice(Math.max(0, i - contextLines), i),
          after: text().slice(i + 1, i + 1 + contextLines),
        });
      }
      total++;
    }
    return true;
  });
  // Enclosing symbols only for the hits shown (one query per file).
  const byFile = new Map<string, ReturnType<typeof symbolsInFile>>();
  for (const h of hits) {
    if (!byFile.has(h.file)) byFile.set(h.file, symbolsInFile(ctx.store.db, snap, h.file));
    h.symbol = innermost(byFile.get(h.file)!, h.line)?.qname ?? null;
  }

  const head = [
    `${total}${stopped ? '+' : ''} hit${total === 1 ? '' : 's'} for ${args.regex ? 'regex' : 'text'} ${JSON.stringify(args.pattern)}${ci ? ' (case-insensitive)' : ''} in ${searched}/${files.length} files${
      hits.length ? ` (showing ${start.offset + 1}-${start.offset + hits.length})` : ''
    }`,
  ];
  if (stopped) head.push(`note: search stopped after ${SCAN_BUDGET_MS} ms with ${files.length - searched} files not searched; narrow it with file_pattern`);
  if (missing) head.push(`note: ${missing} indexed files are missing on disk (deleted since indexing)`);
  const render = (h: Hit): string => {
    const out = [`${h.file}:${h.line}${h.symbol ? '  in ' + h.symbol : ''}`];
    h.before.forEach((t, k) => out.push(`  ${h.line - h.before.length + k}  ${clipLine(t, SHOW_LINE)}`));
    out.push(`> ${h.line}  ${clipLine(h.text, SHOW_LINE)}`);
    h.after.forEach((t, k) => out.push(`  ${h.line + 1 + k}  ${clipLine(t, SHOW_LINE)}`));
    return out.join('\n');
  };
  const pg = page({
    items: hits,
    offset: start.offset,
    total,
    exact: !stopped,
    render: contextLines > 0 ? render : (h) => `${h.file}:${h.line}${h.symbol ? '  in ' + h.symbol : ''}  ${clipLine(h.text.trim(), SHOW_LINE)}`,
    fingerprint: fp,
    snapshot: snap,
    shifted: start.shifted,
    headBytes: bytes(head.join('\n')),
    noun: 'hits',
  });
  return answer({
    head,
    blocks: pg.blocks,
    notes: pg.notes,
    project: p,
    freshness: await ctx.freshness(p),
    data: {
      hits: pg.shown.map((h) => ({ file: h.file, line: h.line, symbol: h.symbol ?? null, text: clipLine(h.text, SHOW_LINE), before: h.before.map((t) => clipLine(t, SHOW_LINE)), after: h.after.map((t) => clipLine(t, SHOW_LINE)) })),
      files_searched: searched,
      files_total: files.length,
      stopped_by_time: stopped,
      ...pg.data,
    },
  });
};

/** Indexes of the lines holding `needle` (lower-cased lines when `ci`): the text path, where bytes cannot tell. */
function linesWith(lines: string[], needle: string, ci: boolean): number[] {
  const found: number[] = [];
  for (let i = 0; i < lines.length; i++) if ((ci ? lines[i]!.toLowerCase() : lines[i]!).includes(needle)) found.push(i);
  return found;
}
