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

/**
 * Many strings (or nulls) as one string and their lengths. Structured clone copies one string in one piece,
 * where an array of 50k strings is cloned (and, on the main thread, deserialised) string by string: that
 * was a 30-40 ms block of the daemon's event loop after each full index of effect.
 */
export interface StringColumn {
  text: string;
  /** NULL_LEN for a null. */
  lens: Uint32Array;
}

const NULL_LEN = 0xffffffff;

function stringColumn(values: ReadonlyArray<string | null>): StringColumn {
  const lens = new Uint32Array(values.length);
  const parts: string[] = [];
  values.forEach((v, i) => {
    if (v === null) lens[i] = NULL_LEN;
    else {
      lens[i] = v.length;
      parts.push(v);
    }
  });
  return { text: parts.join(''), lens };
}

/** Reads a column's values in order. */
class ColumnReader {
  private at = 0;
  private i = 0;
  constructor(private readonly c: StringColumn) {}

  next(): string | null {
    const n = this.c.lens[this.i++]!;
    if (n === NULL_LEN) return null;
    const v = this.c.text.slice(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

export interface PackedGraph {
  dict: Array<string | null>;
  nodes: {
    kind: Uint16Array;
    name: StringColumn;
    qname: StringColumn;
    file: Uint32Array;
    parent: Int32Array;
    /** 4 per node; -1 for a node without a position. */
    pos: Int32Array;
    sig: StringColumn;
    exported: Uint8Array;
    doc: StringColumn;
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
    data: StringColumn;
  };
  unresolved: {
    src: Int32Array;
    file: Uint32Array;
    line: Int32Array;
    callee: StringColumn;
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
    name: stringColumn(g.nodes.map((n) => n.name)),
    qname: stringColumn(g.nodes.map((n) => n.qname)),
    file: new Uint32Array(N),
    parent: new Int32Array(N),
    pos: new Int32Array(N * 4).fill(-1),
    sig: stringColumn(g.nodes.map((n) => n.sig)),
    exported: new Uint8Array(N),
    doc: stringColumn(g.nodes.map((n) => n.doc)),
  };
  g.nodes.forEach((n, i) => {
    nodes.kind[i] = code(n.kind);
    nodes.file[i] = code(n.file);
    // A parent that is not a node (never expected) is written as no parent, exactly as the writers do.
    nodes.parent[i] = n.parent === null ? -1 : (index.get(n.parent) ?? -1);
    if (n.pos) nodes.pos.set(n.pos, i * 4);
    nodes.exported[i] = n.exported ? 1 : 0;
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
    data: stringColumn(edgeRows.map((e) => e.data)),
  };
  edgeRows.forEach((e, i) => {
    edges.type[i] = code(e.type);
    edges.src[i] = index.get(e.src)!;
    edges.dst[i] = index.get(e.dst)!;
    edges.line[i] = e.line ?? -1;
    edges.strategy[i] = code(e.strategy);
    edges.confidence[i] = e.confidence ?? NaN;
  });
  const unresolvedRows = g.unresolved.filter((u) => index.has(u.src));
  const U = unresolvedRows.length;
  const unresolved: PackedGraph['unresolved'] = {
    src: new Int32Array(U),
    file: new Uint32Array(U),
    line: new Int32Array(U),
    callee: stringColumn(unresolvedRows.map((u) => u.callee)),
    reason: new Uint16Array(U),
  };
  unresolvedRows.forEach((u, i) => {
    unresolved.src[i] = index.get(u.src)!;
    unresolved.file[i] = code(u.file);
    unresolved.line[i] = u.line;
    unresolved.reason[i] = code(u.reason);
  });
  return { dict, nodes, edges, unresolved, calls: g.calls };
}

/**
 * The rows again, built in slices of about `sliceMs` with a yield to the event loop between them (on the
 * typescript corpus, ~170k rows took the main thread 50–100 ms in one piece).
 */
export async function unpackGraph(p: PackedGraph, opts: { sliceMs?: number; nodes?: boolean } = {}): Promise<Graph> {
  const sliceMs = opts.sliceMs ?? 4;
  let t0 = performance.now();
  const due = (i: number) => (i & 1023) === 1023 && performance.now() - t0 > sliceMs;
  const pause = async () => {
    await yieldToLoop();
    t0 = performance.now();
  };
  const { dict } = p;
  const pn = p.nodes;
  const N = pn.qname.lens.length;
  // Qualified names first: parents, edges and unresolved calls refer to nodes by index.
  const qnames: string[] = new Array(N);
  const q = new ColumnReader(pn.qname);
  for (let i = 0; i < N; i++) {
    if (due(i)) await pause();
    qnames[i] = q.next()!;
  }
  const name = new ColumnReader(pn.name);
  const sig = new ColumnReader(pn.sig);
  const doc = new ColumnReader(pn.doc);
  // Without node rows (`nodes: false`, their writer has them already), only their qualified names are read.
  const nodes: NodeRow[] = new Array(opts.nodes === false ? 0 : N);
  for (let i = 0; i < nodes.length; i++) {
    if (due(i)) await pause();
    const parent = pn.parent[i]!;
    nodes[i] = {
      kind: dict[pn.kind[i]!]!,
      name: name.next()!,
      qname: qnames[i]!,
      file: dict[pn.file[i]!]!,
      parent: parent >= 0 ? qnames[parent]! : null,
      pos: pn.pos[i * 4]! === -1 ? null : [pn.pos[i * 4]!, pn.pos[i * 4 + 1]!, pn.pos[i * 4 + 2]!, pn.pos[i * 4 + 3]!],
      sig: sig.next(),
      exported: pn.exported[i] === 1,
      doc: doc.next(),
    };
  }
  const pe = p.edges;
  const data = new ColumnReader(pe.data);
  const edges: EdgeRow[] = new Array(pe.src.length);
  for (let i = 0; i < edges.length; i++) {
    if (due(i)) await pause();
    const line = pe.line[i]!;
    const confidence = pe.confidence[i]!;
    edges[i] = {
      type: dict[pe.type[i]!] as EdgeRow['type'],
      src: qnames[pe.src[i]!]!,
      dst: qnames[pe.dst[i]!]!,
      line: line === -1 ? null : line,
      strategy: dict[pe.strategy[i]!]!,
      confidence: Number.isNaN(confidence) ? null : confidence,
      data: data.next(),
    };
  }
  const pu = p.unresolved;
  const callee = new ColumnReader(pu.callee);
  const unresolved: UnresolvedRow[] = new Array(pu.src.length);
  for (let i = 0; i < unresolved.length; i++) {
    if (due(i)) await pause();
    unresolved[i] = {
      src: qnames[pu.src[i]!]!,
      file: dict[pu.file[i]!]!,
      line: pu.line[i]!,
      callee: callee.next()!,
      reason: dict[pu.reason[i]!] as UnresolvedRow['reason'],
    };
  }
  return { nodes, edges, unresolved, calls: p.calls };
}
