/**
 * trace_path: the call tree of a symbol — callers, callees or both — by breadth-first search over CALLS
 * edges (depth default 2, max 6), each hop with the call site file:line. Completeness is part of the answer:
 * low-confidence edges (bound by a unique name, or confidence < 0.7) are marked `~`, unresolved call sites
 * are counted and marked `?` (inside traced callers/callees, and for callers: unresolved calls anywhere
 * whose callee text names a traced symbol). A node reached twice is expanded once ("see above"). The
 * `limit` caps hops shown, breadth-first, so near hops survive a cut, and the cut is stated.
 */
import { answer, symbolOrCandidates, type AnswerBody } from '../lib/answer.js';
import { hops, unresolvedFrom, unresolvedNaming, type Direction, type Hop, type UnresolvedSite } from '../lib/calls.js';
import { location, nodeById, nodeData, nodeLine, type NodeRow } from '../lib/graph.js';
import type { ToolHandler } from '../context.js';
import type { Db } from '../../store/db.js';

const DEFAULT_DEPTH = 2;
const DEFAULT_LIMIT = 50;
/** Beyond the shown hops, keep counting this many more to say how much was cut. */
const COUNT_CAP = 5000;
const UNRESOLVED_EXAMPLES = 3;
/** Unresolved sites listed per node in `data` (the count is always whole): a common method name can be the callee text of hundreds. */
const UNRESOLVED_DATA_CAP = 10;

interface TreeNode {
  node: NodeRow;
  hop: Hop | null;
  depth: number;
  children: TreeNode[];
  /** Reached again elsewhere; not expanded twice. */
  repeat: boolean;
  unresolved: UnresolvedSite[];
}

interface Trace {
  root: TreeNode;
  shown: number;
  cut: number;
  cutExact: boolean;
  low: number;
  unresolved: number;
}

export const tracePathHandler: ToolHandler<'trace_path'> = async (ctx, args) => {
  const p = await ctx.project(args.project);
  const found = await symbolOrCandidates(ctx, p, args.symbol);
  if ('answer' in found) return found.answer;
  const { snap, freshness, node } = found;
  const direction = args.direction ?? 'callers';
  const depth = args.depth ?? DEFAULT_DEPTH;
  const limit = args.limit ?? DEFAULT_LIMIT;
  const body = ctx.store.memo.get(JSON.stringify(['trace_path', snap, node.id, direction, depth, limit]), () =>
    traceAnswer(ctx.store.db, snap, node, direction, depth, limit),
  );
  return answer({ ...body, project: p, freshness });
};

/** The trace of `start` in one or both directions, rendered (a pure function of the graph). */
function traceAnswer(db: Db, snap: number, start: NodeRow, direction: Direction | 'both', depth: number, limit: number): AnswerBody {
  const dirs: Direction[] = direction === 'both' ? ['callers', 'callees'] : [direction];
  // Both directions share the limit, half each.
  const perDir = direction === 'both' ? Math.max(1, Math.floor(limit / 2)) : limit;

  const head = [nodeLine(start)];
  const blocks: string[] = [];
  const data: Record<string, unknown> = { symbol: nodeData(start), direction, depth };
  for (const dir of dirs) {
    const t = trace(db, snap, start, dir, depth, perDir);
    const arrow = dir === 'callers' ? '←' : '→';
    blocks.push(
      `${dir} (depth ${depth}): ${t.shown} hop${t.shown === 1 ? '' : 's'}` +
        (t.low ? ` · ${t.low} low-confidence (~)` : '') +
        (t.unresolved ? ` · ${t.unresolved} unresolved call site${t.unresolved === 1 ? '' : 's'} (?)` : '') +
        (t.shown === 0 && !t.unresolved ? ' · none found' : ''),
    );
    render(t.root, dir, arrow, blocks, '');
    if (t.cut) blocks.push(`truncated: ${t.cutExact ? '' : '≥'}${t.cut} more ${dir} hops not shown (limit ${perDir}${direction === 'both' ? ' per direction' : ''}); raise limit (max 500) or lower depth`);
    data[dir] = {
      hops: t.shown,
      low_confidence: t.low,
      unresolved: t.unresolved,
      truncated: t.cut,
      root_unresolved: t.root.unresolved.slice(0, UNRESOLVED_DATA_CAP).map(siteData),
      root_unresolved_total: t.root.unresolved.length,
      tree: t.root.children.map(treeData),
    };
  }
  const marked = dirs.some((d) => {
    const x = data[d] as { low_confidence: number; unresolved: number };
    return x.low_confidence > 0 || x.unresolved > 0;
  });
  const notes = marked ? ['legend: ~ low-confidence edge (bound by name or confidence < 0.7), ? call site the indexer could not resolve'] : [];
  return { head, blocks, notes, data };
}

function trace(db: Db, snap: number, start: NodeRow, dir: Direction, maxDepth: number, limit: number): Trace {
  const root: TreeNode = { node: start, hop: null, depth: 0, children: [], repeat: false, unresolved: [] };
  const expanded = new Set<number>([start.id]);
  const t: Trace = { root, shown: 0, cut: 0, cutExact: true, low: 0, unresolved: 0 };
  let frontier: TreeNode[] = [root];
  const all: TreeNode[] = [root];
  for (let d = 1; d <= maxDepth && frontier.length; d++) {
    const next: TreeNode[] = [];
    for (const parent of frontier) {
      for (const hop of hops(db, snap, parent.node.id, dir)) {
        if (t.shown >= limit) {
          if (t.cut < COUNT_CAP) t.cut++;
          else t.cutExact = false;
          continue;
        }
        const node = nodeById(db, snap, hop.id);
        if (!node) continue;
        const repeat = expanded.has(node.id);
        const child: TreeNode = { node, hop, depth: d, children: [], repeat, unresolved: [] };
        parent.children.push(child);
        t.shown++;
        if (hop.low) t.low++;
        if (!repeat) {
          expanded.add(node.id);
          next.push(child);
          all.push(child);
        }
      }
    }
    frontier = next;
  }
  // Hops past the limit at deeper levels were never visited: the count is a lower bound then.
  if (t.cut > 0 && frontier.length) t.cutExact = false;
  // Unresolved sites: for callees, the calls inside each traced node that bound to nothing; for callers,
  // unresolved calls anywhere whose text names a traced node (they may be callers we could not bind).
  if (dir === 'callees') {
    for (const n of all) {
      if (n.depth >= maxDepth && n !== root) continue;
      n.unresolved = unresolvedFrom(db, snap, n.node.id);
      t.unresolved += n.unresolved.length;
    }
  } else {
    const byName = unresolvedNaming(db, snap, new Set(all.map((n) => n.node.name)));
    for (const n of all) {
      n.unresolved = byName.get(n.node.name) ?? [];
      t.unresolved += n.unresolved.length;
    }
  }
  return t;
}

function render(n: TreeNode, dir: Direction, arrow: string, out: string[], indent: string): void {
  if (n.unresolved.length) {
    const ex = n.unresolved.slice(0, UNRESOLVED_EXAMPLES).map((u) => `${u.callee} ${u.file}:${u.line} (${u.reason})`);
    const more = n.unresolved.length > UNRESOLVED_EXAMPLES ? `, … ${n.unresolved.length - UNRESOLVED_EXAMPLES} more` : '';
    const what = `unresolved call${n.unresolved.length === 1 ? '' : 's'}${dir === 'callees' ? '' : ' naming it'}`;
    out.push(`${indent}  ? ${n.unresolved.length} ${what}: ${ex.join(', ')}${more}`);
  }
  for (const c of n.children) {
    const h = c.hop!;
    // The call site is in the caller's file: the child's for callers, the parent's for callees.
    const siteFile = dir === 'callers' ? c.node.file : n.node.file;
    const site = h.lines.length ? `${siteFile}:${h.lines.join(',')}` : (siteFile ?? '');
    const where = dir === 'callees' ? `  (def ${location(c.node)})` : '';
    const guess = h.low ? ` ~ ${h.strategy ?? '?'} ${h.confidence ?? ''}`.trimEnd() : '';
    const again = c.repeat ? '  (see above)' : '';
    out.push(`${indent}  ${arrow} ${c.node.kind} ${c.node.qname}  at ${site}${where}${guess}${again}`);
    if (!c.repeat) render(c, dir, arrow, out, indent + '  ');
  }
}

function treeData(n: TreeNode): Record<string, unknown> {
  return {
    qname: n.node.qname,
    kind: n.node.kind,
    file: n.node.file,
    start_line: n.node.start_line,
    call_lines: n.hop?.lines ?? [],
    strategy: n.hop?.strategy ?? null,
    confidence: n.hop?.confidence ?? null,
    low_confidence: n.hop?.low ?? false,
    repeat: n.repeat,
    unresolved: n.unresolved.slice(0, UNRESOLVED_DATA_CAP).map(siteData),
    unresolved_total: n.unresolved.length,
    children: n.children.map(treeData),
  };
}

function siteData(u: UnresolvedSite): Record<string, unknown> {
  return { callee: u.callee, file: u.file, line: u.line, reason: u.reason };
}
