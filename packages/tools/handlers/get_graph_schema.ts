/**
 * get_graph_schema: what the graph holds for a project — node kinds and edge types with counts, how CALLS
 * were resolved (strategy, confidence), why call sites stayed unresolved, and the properties of each.
 */
import { answer, type AnswerBody } from '../lib/answer.js';
import type { SchemaCounts } from '../lib/whole-graph.js';
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
  const { project: p, value: counts } = await ctx.reads.read(() => ctx.project(args.project), 'schema', () => ({}));
  return answer({ ...schemaAnswer(counts, p.name), project: p, freshness: await ctx.freshness(p) });
};

function schemaAnswer({ kinds, edges, strategies, unresolved, languages }: SchemaCounts, projectName: string): AnswerBody {
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
