/**
 * get_graph_schema: what the graph holds for a project — node kinds and edge types with counts, how CALLS
 * were resolved (strategy, confidence), why call sites stayed unresolved, and the properties of each.
 */
import { answer, type AnswerBody } from '../lib/answer.js';
import type { Db } from '../../store/db.js';
import { liveSnapshot, stmt } from '../lib/graph.js';
import type { ToolHandler } from '../context.js';

const NODE_PROPS = 'kind, name, qname (path#Outer.inner), file, start/end line and column, signature, exported, doc (first line)';
const EDGE_PROPS: Record<string, string> = {
  CONTAINS: 'folder → file or folder',
  DEFINES: 'file → top-level symbol',
  DEFINES_METHOD: 'class/interface → member',
  IMPORTS: 'file → file; data: imported names',
  CALLS: 'caller → callee; line of the call, strategy, confidence 0..1',
  INHERITS: 'class/interface → the one it extends',
  IMPLEMENTS: 'class → interface',
};

export const getGraphSchemaHandler: ToolHandler<'get_graph_schema'> = async (ctx, args) => {
  const p = await ctx.project(args.project);
  const snap = liveSnapshot(p);
  const body = ctx.store.memo.get(`get_graph_schema ${snap}`, () => schemaAnswer(ctx.store.db, snap, p.name));
  return answer({ ...body, project: p, freshness: await ctx.freshness(p) });
};

function schemaAnswer(db: Db, snap: number, projectName: string): AnswerBody {
  const kinds = stmt(db, `SELECT kind, COUNT(*) AS n FROM nodes WHERE snapshot = ? GROUP BY kind ORDER BY n DESC, kind`).all(snap) as Array<{ kind: string; n: number }>;
  const edges = stmt(db, `SELECT type, COUNT(*) AS n FROM edges WHERE snapshot = ? GROUP BY type ORDER BY n DESC, type`).all(snap) as Array<{ type: string; n: number }>;
  const strategies = stmt(
    db,
    `SELECT COALESCE(strategy, '?') AS strategy, COUNT(*) AS n, ROUND(AVG(confidence), 2) AS confidence FROM edges WHERE snapshot = ? AND type = 'CALLS' GROUP BY strategy ORDER BY n DESC, strategy`,
  ).all(snap) as Array<{ strategy: string; n: number; confidence: number | null }>;
  const unresolved = stmt(db, `SELECT reason, COUNT(*) AS n FROM unresolved_calls WHERE snapshot = ? GROUP BY reason ORDER BY n DESC, reason`).all(snap) as Array<{ reason: string; n: number }>;
  const languages = stmt(db, `SELECT language, COUNT(*) AS n FROM files WHERE snapshot = ? GROUP BY language ORDER BY n DESC, language`).all(snap) as Array<{ language: string; n: number }>;

  const blocks = [
    `node kinds: ${kinds.map((k) => `${k.kind} ${k.n}`).join(', ') || 'none'}`,
    `  properties: ${NODE_PROPS}`,
    `edge types: ${edges.map((e) => `${e.type} ${e.n}`).join(', ') || 'none'}`,
    ...edges.map((e) => `  ${e.type}: ${EDGE_PROPS[e.type] ?? ''}`),
    `CALLS by strategy: ${strategies.map((s) => `${s.strategy} ${s.n} (conf ${s.confidence ?? '?'})`).join(', ') || 'none'}`,
    `unresolved call sites: ${unresolved.map((u) => `${u.reason} ${u.n}`).join(', ') || 'none'}  (kept, never guessed; trace_path counts them)`,
    `files by language: ${languages.map((l) => `${l.language} ${l.n}`).join(', ') || 'none'}`,
  ];
  return {
    head: [`graph schema of ${projectName}`],
    blocks,
    data: {
      node_kinds: kinds.map((k) => ({ kind: k.kind, count: k.n })),
      node_properties: NODE_PROPS,
      edge_types: edges.map((e) => ({ type: e.type, count: e.n, meaning: EDGE_PROPS[e.type] ?? null })),
      call_strategies: strategies.map((s) => ({ strategy: s.strategy, count: s.n, avg_confidence: s.confidence })),
      unresolved_reasons: unresolved.map((u) => ({ reason: u.reason, count: u.n })),
      languages: languages.map((l) => ({ language: l.language, files: l.n })),
    },
  };
}
