/**
 * The final graph against a from-scratch index of the same tree: both exported as JSON lines by `codehive
 * export`, compared as multisets of node and edge keys (row ids differ between the two databases).
 */

export interface GraphDiff {
  nodes: number;
  edges: number;
  referenceNodes: number;
  referenceEdges: number;
  /** In the reference, not in the soaked graph (first 20). */
  missing: string[];
  /** In the soaked graph, not in the reference (first 20). */
  extra: string[];
}

/** Node keys (kind, qname, file, lines) and edge keys (type, source qname, target qname, line) of an export. */
function graphKeys(jsonl: string): { nodes: Map<string, number>; edges: Map<string, number> } {
  const qname = new Map<number, string>();
  const nodes = new Map<string, number>();
  const edges = new Map<string, number>();
  const lines = jsonl.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of lines) {
    if (r.type !== 'node') continue;
    qname.set(r.id as number, String(r.qname));
    const k = `node ${r.kind} ${r.qname} ${r.file ?? ''} ${r.startLine ?? ''}-${r.endLine ?? ''}`;
    nodes.set(k, (nodes.get(k) ?? 0) + 1);
  }
  for (const r of lines) {
    if (r.type !== 'edge') continue;
    const k = `edge ${r.edge} ${qname.get(r.source as number) ?? `?${r.source}`} -> ${qname.get(r.target as number) ?? `?${r.target}`} ${r.line ?? ''}`;
    edges.set(k, (edges.get(k) ?? 0) + 1);
  }
  return { nodes, edges };
}

export function compareExports(soaked: string, reference: string): GraphDiff {
  const a = graphKeys(soaked);
  const b = graphKeys(reference);
  const missing: string[] = [];
  const extra: string[] = [];
  const diff = (x: Map<string, number>, y: Map<string, number>, out: string[]) => {
    for (const [k, n] of x) {
      const m = y.get(k) ?? 0;
      if (m < n) out.push(n - m > 1 ? `${k} (×${n - m})` : k);
    }
  };
  diff(b.nodes, a.nodes, missing);
  diff(b.edges, a.edges, missing);
  diff(a.nodes, b.nodes, extra);
  diff(a.edges, b.edges, extra);
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  return { nodes: total(a.nodes), edges: total(a.edges), referenceNodes: total(b.nodes), referenceEdges: total(b.edges), missing, extra };
}
