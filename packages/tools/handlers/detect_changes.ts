/**
 * detect_changes: the working-tree diff against HEAD (staged, unstaged and untracked files), or `base..HEAD`
 * when `base` is given, mapped onto the indexed graph: changed line ranges → the innermost symbols whose
 * lines changed (or were added) → their callers up to `depth` → a risk level per symbol. Functions deleted
 * by the diff are named from the removed lines, with any unresolved call sites that still name them.
 *
 * Risk points: direct callers outside tests (≥5: 2, ≥1: 1), ≥10 callers within depth (1), exported and
 * modified (1; a new export has no users yet), no test file reaches it through calls within 4 hops (1).
 * high ≥ 4, medium 2–3, low 0–1. The reasons are printed. A deleted function that unresolved call sites
 * still name is high, else low.
 */
import { answer, capped } from '../lib/answer.js';
import { hops, unresolvedNaming, type Hop, type UnresolvedSite } from '../lib/calls.js';
import { byName } from '../lib/format.js';
import { turnTaker } from '../lib/turns.js';
import { declaredNames, parseUnifiedDiff, ranges, type FileDiff } from '../lib/diff.js';
import { git, validateRevision } from '../lib/git.js';
import { innermost, isTestFile, liveSnapshot, location, nodeById, nodeData, stmt, symbolsInFile, type NodeRow } from '../lib/graph.js';
import type { ToolHandler } from '../context.js';
import type { Db } from '../../store/db.js';
import { CodehiveError } from '../../protocol/index.js';

const DEFAULT_DEPTH = 2;
const TEST_DEPTH = 4;
const SYMBOL_CAP = 50;
const CALLER_NAMES = 5;
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const DIFF_FLAGS = ['--no-color', '--no-ext-diff', '--no-textconv', '-U0', '-M', '--relative'];

type Risk = 'high' | 'medium' | 'low';
const RISK_ORDER: Record<Risk, number> = { high: 0, medium: 1, low: 2 };

interface Changed {
  node: NodeRow;
  change: 'modified' | 'added';
  lines: number[];
  direct: NodeRow[];
  callers: NodeRow[];
  tested: boolean;
  risk: Risk;
  reasons: string[];
}

interface Deleted {
  name: string;
  file: string;
  oldLine: number;
  stillCalled: UnresolvedSite[];
}

export const detectChangesHandler: ToolHandler<'detect_changes'> = async (ctx, args) => {
  const p = await ctx.project(args.project);
  const snap = liveSnapshot(p);
  const db = ctx.store.db;
  const depth = args.depth ?? DEFAULT_DEPTH;

  const top = await git(p.root, ['rev-parse', '--show-toplevel'], ctx.signal);
  if (top.code !== 0) throw new CodehiveError('NOT_FOUND', `${p.root} is not in a git repository; detect_changes needs git history`);
  const head = await git(p.root, ['rev-parse', '--verify', '--quiet', 'HEAD'], ctx.signal);
  const headSha = head.code === 0 ? head.stdout.trim() : null;

  let diffOut: string;
  let untracked: string[] = [];
  let against: string;
  if (args.base !== undefined) {
    validateRevision(args.base);
    const base = await git(p.root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${args.base}^{commit}`], ctx.signal);
    if (base.code !== 0) throw new CodehiveError('BAD_REQUEST', `base ${JSON.stringify(args.base)} is not a commit in ${top.stdout.trim()}; pass a branch, tag or commit (e.g. main, HEAD~1)`);
    if (!headSha) throw new CodehiveError('BAD_REQUEST', 'the repository has no commits yet; call detect_changes without base to see the working tree');
    diffOut = (await gitOk(p.root, ['diff', ...DIFF_FLAGS, base.stdout.trim(), headSha, '--'], ctx.signal)).stdout;
    against = `${args.base} (${base.stdout.trim().slice(0, 10)})..HEAD (${headSha.slice(0, 10)})`;
  } else {
    diffOut = (await gitOk(p.root, ['diff', ...DIFF_FLAGS, headSha ?? EMPTY_TREE, '--'], ctx.signal)).stdout;
    untracked = (await gitOk(p.root, ['ls-files', '--others', '--exclude-standard', '-z'], ctx.signal)).stdout.split('\0').filter(Boolean);
    against = `working tree vs ${headSha ? `HEAD (${headSha.slice(0, 10)})` : 'an empty repository'}`;
  }
  // --relative makes paths relative to the cwd (the project root) and drops changes outside it.
  const diffs = parseUnifiedDiff(diffOut);
  const indexedPaths = new Set((stmt(db, `SELECT path FROM files WHERE snapshot = ?`).all(snap) as Array<{ path: string }>).map((r) => r.path));
  // A large diff (a repository without commits, a base far back) touches thousands of symbols: the mapping
  // and the caller walks take turns with other calls (on effect copied three times, all of it at once held
  // the event loop 6 s).
  const step = turnTaker(ctx.signal);
  for (const u of untracked) {
    if (!indexedPaths.has(u)) continue;
    await step();
    const n = (stmt(db, `SELECT lines FROM files WHERE snapshot = ? AND path = ?`).get(snap, u) as { lines: number }).lines;
    diffs.push({ path: u, oldPath: null, lines: new Set(Array.from({ length: n }, (_, i) => i + 1)), removed: [], added: n, deleted: 0, status: 'added' });
  }

  const changed = new Map<number, Changed>();
  const fileLevel: Array<{ path: string; lines: number[] }> = [];
  const outside: string[] = [];
  const deleted: Deleted[] = [];
  const report = progressEvery(PROGRESS_EVERY, (done) => ctx.progress(done, undefined, `mapped ${done} of ${diffs.length} changed files`));
  for (const d of diffs) {
    await step();
    report();
    if (d.path !== null && indexedPaths.has(d.path)) mapFile(db, snap, d, changed, fileLevel);
    else if (d.path !== null) outside.push(d.path);
    deleted.push(...deletedSymbols(db, snap, d));
  }
  const stillCalled = unresolvedNaming(db, snap, new Set(deleted.map((x) => x.name)));
  for (const x of deleted) x.stillCalled = (stillCalled.get(x.name) ?? []).filter((u) => u.reason !== 'external');

  const graph = callerGraph(db, snap);
  const walked = progressEvery(PROGRESS_EVERY, (done) => ctx.progress(diffs.length + done, diffs.length + changed.size, `walked the callers of ${done} of ${changed.size} changed symbols`));
  for (const c of changed.values()) {
    await step();
    walked();
    assess(graph, c, depth);
  }
  const symbols = [...changed.values()].sort((a, b) => RISK_ORDER[a.risk] - RISK_ORDER[b.risk] || b.callers.length - a.callers.length || byName(a.node.qname, b.node.qname));

  const counts = { high: 0, medium: 0, low: 0 };
  for (const s of symbols) counts[s.risk]++;
  const headLine =
    `changes: ${against} · ${diffs.length} file${diffs.length === 1 ? '' : 's'} · ${symbols.length} symbol${symbols.length === 1 ? '' : 's'} ` +
    `(${counts.high} high, ${counts.medium} medium, ${counts.low} low risk)` +
    (deleted.length ? ` · ${deleted.length} deleted` : '');
  const blocks: string[] = [];
  const deletedLine = (x: Deleted) => {
    const calls = x.stillCalled.map((u) => `${u.file}:${u.line}`);
    return (
      `${(x.stillCalled.length ? 'HIGH' : 'LOW').padEnd(6)} deleted ${x.name}  (${x.file}, was line ${x.oldLine}) · ` +
      (calls.length ? `${calls.length} unresolved call site${calls.length === 1 ? ' still names' : 's still name'} it: ${calls.slice(0, CALLER_NAMES).join(', ')}${calls.length > CALLER_NAMES ? ', …' : ''}` : 'no call site names it')
    );
  };
  // Deleted functions that code still calls are the riskiest change of all: first; harmless deletions last.
  for (const x of deleted) if (x.stillCalled.length) blocks.push(deletedLine(x));
  for (const s of symbols.slice(0, SYMBOL_CAP)) {
    blocks.push(
      `${s.risk.toUpperCase().padEnd(6)} ${s.node.kind} ${s.node.qname}  ${location(s.node)}  ${s.change}${s.change === 'modified' ? ' L' + ranges(s.lines) : ''} · ${s.reasons.join(' · ')}`,
    );
    if (s.callers.length) {
      const names = s.callers.slice(0, CALLER_NAMES).map((c) => c.qname);
      blocks.push(`       callers: ${names.join(', ')}${s.callers.length > CALLER_NAMES ? `, … ${s.callers.length - CALLER_NAMES} more` : ''}`);
    }
  }
  if (symbols.length > SYMBOL_CAP) blocks.push(`truncated: ${symbols.length - SYMBOL_CAP} more changed symbols (lowest risk) not shown`);
  for (const x of deleted) if (!x.stillCalled.length) blocks.push(deletedLine(x));
  if (fileLevel.length) blocks.push('top-level code changed (imports, module statements):', ...capped(fileLevel, 20, (f) => `${f.path} L${ranges(f.lines)}`, 'files'));
  if (outside.length) blocks.push(`changed files not in the graph (not indexed source): ${outside.slice(0, 10).join(', ')}${outside.length > 10 ? `, … ${outside.length - 10} more` : ''}`);
  if (!diffs.length) blocks.push('no changes');
  const notes = args.base !== undefined ? ['note: lines are mapped onto the indexed working tree; uncommitted edits on top of HEAD can shift them'] : [];

  return answer({
    head: [headLine],
    blocks,
    notes,
    project: p,
    freshness: await ctx.freshness(p),
    data: {
      against,
      base: args.base ?? null,
      head: headSha,
      depth,
      files: diffs.map((d) => ({ path: d.path ?? d.oldPath, status: d.status, added: d.added, deleted: d.deleted })),
      symbols: symbols.slice(0, SYMBOL_CAP).map((s) => ({
        ...nodeData(s.node),
        change: s.change,
        changed_lines: s.lines,
        risk: s.risk,
        reasons: s.reasons,
        direct_callers: s.direct.length,
        callers_total: s.callers.length,
        callers: s.callers.slice(0, 20).map((c) => c.qname),
        tested: s.tested,
      })),
      symbols_total: symbols.length,
      deleted: deleted.map((x) => ({ name: x.name, file: x.file, old_line: x.oldLine, still_called: x.stillCalled.map((u) => ({ file: u.file, line: u.line, callee: u.callee })) })),
      top_level_changes: fileLevel,
      not_in_graph: outside,
    },
  });
};

/**
 * Progress of a large diff's mapping and walks, for callers that asked for it: one notice per PROGRESS_EVERY
 * items, counting files mapped and then symbols walked (MCP progress only ever increases).
 */
const PROGRESS_EVERY = 500;

function progressEvery(every: number, notify: (done: number) => void): () => void {
  let done = 0;
  return () => {
    if (done > 0 && done % every === 0) notify(done);
    done++;
  };
}

async function gitOk(cwd: string, args: string[], signal: AbortSignal) {
  const r = await git(cwd, args, signal);
  if (r.code !== 0) throw new CodehiveError('INTERNAL', `git ${args[0]} failed (exit ${r.code}): ${r.stdout.trim().split('\n').pop()}`);
  return r;
}

/** Attributes each changed line of a file to its innermost symbol (or to top-level code). */
function mapFile(db: Db, snap: number, d: FileDiff, changed: Map<number, Changed>, fileLevel: Array<{ path: string; lines: number[] }>): void {
  const symbols = symbolsInFile(db, snap, d.path!);
  const top: number[] = [];
  const here = new Set<Changed>();
  for (const line of [...d.lines].sort((a, b) => a - b)) {
    const s = innermost(symbols, line);
    if (!s) {
      top.push(line);
      continue;
    }
    let c = changed.get(s.id);
    if (!c) changed.set(s.id, (c = { node: s, change: 'modified', lines: [], direct: [], callers: [], tested: false, risk: 'low', reasons: [] }));
    c.lines.push(line);
    here.add(c);
  }
  // Added, not modified: the file is new, or the declaration line is new and no removed line declared that
  // name (a diff can pair a new function's closing brace with a deleted one's, so "all lines changed" is
  // not a reliable test).
  const removedNames = new Set(d.removed.flatMap((r) => declaredNames(r.text)));
  for (const c of here) {
    if (d.status === 'added' || (d.lines.has(c.node.start_line!) && !removedNames.has(c.node.name))) c.change = 'added';
  }
  if (top.length) fileLevel.push({ path: d.path!, lines: top });
}

/** Functions/classes whose declaration line was removed and that no longer exist in the file. */
function deletedSymbols(db: Db, snap: number, d: FileDiff): Deleted[] {
  const out: Deleted[] = [];
  const file = d.path ?? d.oldPath!;
  const remaining = d.path === null ? [] : symbolsInFile(db, snap, d.path);
  for (const r of d.removed) {
    for (const name of declaredNames(r.text)) {
      if (remaining.some((s) => s.name === name) || out.some((o) => o.name === name)) continue;
      out.push({ name, file, oldLine: r.line, stillCalled: [] });
    }
  }
  return out;
}

/** One call's view of the callers: each node's callers and each node read once, however many walks pass by. */
interface CallerGraph {
  callers(id: number): Hop[];
  node(id: number): NodeRow | undefined;
}

function callerGraph(db: Db, snap: number): CallerGraph {
  const callers = new Map<number, Hop[]>();
  const nodes = new Map<number, NodeRow | undefined>();
  return {
    callers(id) {
      let h = callers.get(id);
      if (!h) callers.set(id, (h = hops(db, snap, id, 'callers')));
      return h;
    },
    node(id) {
      if (!nodes.has(id)) nodes.set(id, nodeById(db, snap, id));
      return nodes.get(id);
    },
  };
}

/** Callers up to `depth` (reported), whether a test reaches it within TEST_DEPTH, and the risk. */
function assess(graph: CallerGraph, c: Changed, depth: number): void {
  const seen = new Set<number>([c.node.id]);
  let frontier = [c.node.id];
  for (let d = 1; d <= Math.max(depth, TEST_DEPTH) && frontier.length; d++) {
    const next: number[] = [];
    for (const id of frontier) {
      for (const h of graph.callers(id)) {
        if (seen.has(h.id)) continue;
        seen.add(h.id);
        const n = graph.node(h.id);
        if (!n) continue;
        if (n.file && isTestFile(n.file)) c.tested = true;
        if (d <= depth) {
          c.callers.push(n);
          if (d === 1) c.direct.push(n);
        }
        next.push(h.id);
      }
    }
    frontier = next;
    if (d >= depth && c.tested) break;
  }
  const direct = c.direct.filter((n) => !n.file || !isTestFile(n.file)).length;
  let points = (direct >= 5 ? 2 : direct >= 1 ? 1 : 0) + (c.callers.length >= 10 ? 1 : 0);
  // Exported widens the reach of a change to existing code; a new export has no outside users yet.
  if (c.node.exported && c.change === 'modified') points++;
  if (!c.tested) points++;
  c.risk = points >= 4 ? 'high' : points >= 2 ? 'medium' : 'low';
  c.reasons = [
    `${c.callers.length} caller${c.callers.length === 1 ? '' : 's'}${c.callers.length ? ` (${c.direct.length} direct)` : ''}`,
    ...(c.node.exported ? ['exported'] : []),
    c.tested ? 'reached by tests' : 'no test reaches it',
  ];
}
