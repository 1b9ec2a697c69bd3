/**
 * A resolved graph as columns, for the trip from the resolve worker to the main thread. Structured clone
 * of ~50k row objects costs the main thread 40–60 ms of blocking deserialisation on effect (every object
 * repeats its property names); typed arrays and string columns, with edge endpoints as node indices and
 * low-cardinality strings (kinds, edge types, strategies, reasons, files) as dictionary codes, take a few.
 *
 * An edge or unresolved call whose endpoint is not a node of the graph is dropped here: such a row could
 * never be written (the writers skip it), so the graph the main thread sees is the one it would write.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { EdgeRow, Graph, NodeRow, UnresolvedRow } from './resolve/graph.js';

export interface PackedGraph {
  dict: Array<string | null>;
  nodes: {
    kind: Uint16Array;
    name: string[];
    qname: string[];
    file: Uint32Array;
    parent: Int32Array;
    /** 4 per node; -1 for a node without a position. */
    pos: Int32Array;
    sig: Array<string | null>;
    exported: Uint8Array;
    doc: Array<string | null>;
  };
  edges: {
    type: Uint16Array;
    src: Int32Array;
    dst: Int32Array;
    /** -1: null */
    line: Int32Array;
    strategy: Uint16Array;
    /** NaN: null */
    confidence: Float64Array;
    data: Array<string | null>;
  };
  unresolved: {
    src: Int32Array;
    file: Uint32Array;
    line: Int32Array;
    callee: string[];
    reason: Uint16Array;
  };
  calls: Graph['calls'];
}

export function packGraph(g: Graph): PackedGraph {
  const dict: Array<string | null> = [];
  const codes = new Map<string | null, number>();
  const code = (s: string | null): number => {
    let c = codes.get(s);
    if (c === undefined) {
      c = dict.length;
      dict.push(s);
      codes.set(s, c);
    }
    return c;
  };
  const index = new Map<string, number>();
  g.nodes.forEach((n, i) => index.set(n.qname, i));
  const N = g.nodes.length;
  const nodes: PackedGraph['nodes'] = {
    kind: new Uint16Array(N),
    name: new Array(N),
    qname: new Array(N),
    file: new Uint32Array(N),
    parent: new Int32Array(N),
    pos: new Int32Array(N * 4).fill(-1),
    sig: new Array(N),
    exported: new Uint8Array(N),
    doc: new Array(N),
  };
  g.nodes.forEach((n, i) => {
    nodes.kind[i] = code(n.kind);
    nodes.name[i] = n.name;
    nodes.qname[i] = n.qname;
    nodes.file[i] = code(n.file);
    // A parent that is not a node (never expected) is written as no parent, exactly as the writers do.
    nodes.parent[i] = n.parent === null ? -1 : (index.get(n.parent) ?? -1);
    if (n.pos) nodes.pos.set(n.pos, i * 4);
    nodes.sig[i] = n.sig;
    nodes.exported[i] = n.exported ? 1 : 0;
    nodes.doc[i] = n.doc;
  });
  const edgeRows = g.edges.filter((e) => index.has(e.src) && index.has(e.dst));
  const E = edgeRows.length;
  const edges: PackedGraph['edges'] = {
    type: new Uint16Array(E),
    src: new Int32Array(E),
    dst: new Int32Array(E),
    line: new Int32Array(E),
    strategy: new Uint16Array(E),
    confidence: new Float64Array(E),
    data: new Array(E),
  };
  edgeRows.forEach((e, i) => {
    edges.type[i] = code(e.type);
    edges.src[i] = index.get(e.src)!;
    edges.dst[i] = index.get(e.dst)!;
    edges.line[i] = e.line ?? -1;
    edges.strategy[i] = code(e.strategy);
    edges.confidence[i] = e.confidence ?? NaN;
    edges.data[i] = e.data;
  });
  const unresolvedRows = g.unresolved.filter((u) => index.has(u.src));
  const U = unresolvedRows.length;
  const unresolved: PackedGraph['unresolved'] = {
    src: new Int32Array(U),
    file: new Uint32Array(U),
    line: new Int32Array(U),
    callee: new Array(U),
    reason: new Uint16Array(U),
  };
  unresolvedRows.forEach((u, i) => {
    unresolved.src[i] = index.get(u.src)!;
    unresolved.file[i] = code(u.file);
    unresolved.line[i] = u.line;
    unresolved.callee[i] = u.callee;
    unresolved.reason[i] = code(u.reason);
  });
  return { dict, nodes, edges, unresolved, calls: g.calls };
}

/**
 * The rows again, built in slices of about `sliceMs` with a yield to the event loop between them (on the
 * typescript corpus, ~170k rows took the main thread 50–100 ms in one piece).
 */
export async function unpackGraph(p: PackedGraph, sliceMs = 8): Promise<Graph> {
  let t0 = performance.now();
  const due = (i: number) => (i & 1023) === 1023 && performance.now() - t0 > sliceMs;
  const pause = async () => {
    await yieldToLoop();
    t0 = performance.now();
  };
  const { dict } = p;
  const pn = p.nodes;
  const nodes: NodeRow[] = new Array(pn.qname.length);
  for (let i = 0; i < nodes.length; i++) {
    if (due(i)) await pause();
    const parent = pn.parent[i]!;
    nodes[i] = {
      kind: dict[pn.kind[i]!]!,
      name: pn.name[i]!,
      qname: pn.qname[i]!,
      file: dict[pn.file[i]!]!,
      parent: parent >= 0 ? pn.qname[parent]! : null,
      pos: pn.pos[i * 4]! === -1 ? null : [pn.pos[i * 4]!, pn.pos[i * 4 + 1]!, pn.pos[i * 4 + 2]!, pn.pos[i * 4 + 3]!],
      sig: pn.sig[i]!,
      exported: pn.exported[i] === 1,
      doc: pn.doc[i]!,
    };
  }
  const pe = p.edges;
  const edges: EdgeRow[] = new Array(pe.src.length);
  for (let i = 0; i < edges.length; i++) {
    if (due(i)) await pause();
    const line = pe.line[i]!;
    const confidence = pe.confidence[i]!;
    edges[i] = {
      type: dict[pe.type[i]!] as EdgeRow['type'],
      src: pn.qname[pe.src[i]!]!,
      dst: pn.qname[pe.dst[i]!]!,
      line: line === -1 ? null : line,
      strategy: dict[pe.strategy[i]!]!,
      confidence: Number.isNaN(confidence) ? null : confidence,
      data: pe.data[i]!,
    };
  }
  const pu = p.unresolved;
  const unresolved: UnresolvedRow[] = new Array(pu.src.length);
  for (let i = 0; i < unresolved.length; i++) {
    if (due(i)) await pause();
    unresolved[i] = {
      src: pn.qname[pu.src[i]!]!,
      file: dict[pu.file[i]!]!,
      line: pu.line[i]!,
      callee: pu.callee[i]!,
      reason: dict[pu.reason[i]!] as UnresolvedRow['reason'],
    };
  }
  return { nodes, edges, unresolved, calls: p.calls };
}
