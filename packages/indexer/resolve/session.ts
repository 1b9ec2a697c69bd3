/**
 * The resolve worker's memory of a project between runs, so a one-file change costs the resolution and a
 * diff, not the trip and `JSON.parse` of every file's facts plus a diff of the whole graph on the main thread:
 *
 * - the parsed facts of every file (a request sends only the files that changed and the paths removed);
 * - the graph it last resolved (as the main thread wrote it), so it answers with the difference from that
 *   graph (`GraphDelta`: changed rows, and the keys of the rows gone) instead of the whole graph;
 * - that run's call rows per file, so the next run resolves the calls of only the files a change can
 *   affect (resolve/reuse.ts).
 *
 * Both are tagged with a generation number the main thread chose. A request names the generation it builds
 * on (`base`): the one whose graph the main thread wrote last. If the worker holds another one (it was
 * retired or replaced, or the main thread's write failed and it forgot its own), it answers `stale` and the
 * main thread sends every file again. Resolution itself stays a pure function of all facts: the delta
 * applied to the base graph gives exactly the graph a from-scratch resolution gives.
 */
import { decodeFacts, type FileFacts } from '../facts.js';
import { packGraph, type PackedGraph } from '../transfer.js';
import { edgeKey, resolveProject, structuralRows, unresolvedKey, type EdgeRow, type FilePart, type Graph, type NodeRow, type ProjectRows, type Resolution, type UnresolvedRow } from './graph.js';
import { planReuse } from './reuse.js';

export interface ResolveRequest {
  /** Which project's memory to use (the indexer's project id). */
  project: number;
  root: string;
  projectName: string;
  /** tsconfig.json / jsconfig.json / package.json paths inside the project. */
  configs: string[];
  /** The generation this request builds on; null: `files` holds every file of the project. */
  base: number | null;
  /** The generation the result is remembered as. */
  gen: number;
  /** Facts (encodeFacts) of every file when `base` is null, else of the files added or changed since `base`. */
  files: Array<{ path: string; facts: Uint8Array }>;
  /** Files gone since `base`. */
  removed: string[];
  /** Answer with the difference from `base`'s graph (only honoured when `base` is not null). */
  delta: boolean;
  /**
   * A difference with more rows than this is answered with the whole graph instead: the main thread applies
   * a difference in one transaction, which holds its event loop, and writes a whole graph into a new
   * snapshot in short paced ones.
   */
  maxDeltaRows?: number;
  /**
   * With `base` null: answer at once with the graph's structural rows (`structure`: every node, and the
   * CONTAINS/DEFINES edges), and resolve when the `ResolveRest` that must follow asks. The main thread writes
   * the structural rows meanwhile, on the core the resolution leaves idle.
   */
  staged?: boolean;
}

/** The second half of a staged request: its answer holds every node but only the rows after the structure. */
export interface ResolveRest {
  project: number;
  rest: true;
}

/** The rows that differ between the base graph and the new one. Upserted nodes keep the graph's order. */
export interface GraphDelta {
  nodes: NodeRow[];
  removedNodes: string[];
  edges: EdgeRow[];
  removedEdges: string[];
  unresolved: UnresolvedRow[];
  removedUnresolved: string[];
  totals: { nodes: number; edges: number };
  calls: Graph['calls'];
}

export type ResolveReply =
  | { kind: 'stale' }
  | { kind: 'graph'; graph: PackedGraph }
  | { kind: 'delta'; delta: GraphDelta }
  | { kind: 'structure'; graph: PackedGraph };

interface ProjectMemory {
  gen: number;
  facts: Map<string, FileFacts>;
  /** The graph resolved at `gen` (as the main thread wrote it), by origin, for the next diff. */
  rows: GraphRows | null;
  /** What the next run needs to resolve only the files a change can affect (resolve/reuse.ts). */
  last: Pick<Resolution, 'calls' | 'configs' | 'configReads'> | null;
  /** A staged request whose structure was answered, waiting for its `ResolveRest`. */
  staged: { req: ResolveRequest; nodes: number; edges: number } | null;
}

/**
 * A graph's rows by origin (see `Resolution.parts`): a file whose part is the same objects as last run's is
 * unchanged and skipped whole by the diff; only the other parts and the project rows are compared.
 */
interface GraphRows {
  parts: Map<string, FilePart>;
  rest: ProjectRows;
  /** Every node by qualified name: what the rows a delta adds are checked against (see `writable`). */
  nodes: Map<string, NodeRow>;
}

/** Projects remembered at once (a daemon indexing several keeps the most recent ones). */
const MAX_PROJECTS = 2;

export class ResolveSessions {
  private readonly projects = new Map<number, ProjectMemory>();

  handle(msg: ResolveRequest | ResolveRest): ResolveReply {
    return 'rest' in msg ? this.rest(msg) : this.request(msg);
  }

  private request(req: ResolveRequest): ResolveReply {
    let mem = this.projects.get(req.project);
    if (req.base !== null && (!mem || mem.gen !== req.base)) return { kind: 'stale' };
    if (req.base === null || !mem) {
      mem = { gen: req.gen, facts: new Map(), rows: null, last: null, staged: null };
      this.projects.delete(req.project);
    }
    this.projects.delete(req.project);
    this.projects.set(req.project, mem); // most recent last
    while (this.projects.size > MAX_PROJECTS) this.projects.delete(this.projects.keys().next().value!);

    const fromBase = req.base !== null;
    const oldRows = fromBase && req.delta ? mem.rows : null;
    const changed = req.files.map((f) => ({ path: f.path, facts: decodeFacts(f.facts) }));
    const reuse = fromBase && mem.last ? planReuse(mem.last, { configs: req.configs, before: mem.facts, changed, removed: req.removed }) : null;
    // Until this request succeeds the memory is unusable: a failure below leaves no half-updated state.
    mem.gen = -1;
    mem.rows = null;
    mem.last = null;
    mem.staged = null;
    for (const p of req.removed) mem.facts.delete(p);
    for (const f of changed) mem.facts.set(f.path, f.facts);
    if (req.staged && req.base === null) {
      const { graph } = writable({ ...structuralRows({ projectName: req.projectName, files: factsOf(mem) }), unresolved: [], calls: { resolved: 0, unresolved: 0 } });
      mem.staged = { req, nodes: graph.nodes.length, edges: graph.edges.length };
      return { kind: 'structure', graph: packGraph(graph) };
    }
    return this.resolve(mem, req, reuse, oldRows);
  }

  /** Resolves a staged request: the rows after its structure (which `writable` keeps first, in order). */
  private rest(msg: ResolveRest): ResolveReply {
    const mem = this.projects.get(msg.project);
    const staged = mem?.staged;
    if (!mem || !staged) throw new Error(`no staged resolution of project ${msg.project} to continue`);
    mem.staged = null;
    return this.resolve(mem, staged.req, null, null, staged);
  }

  /** `sent`: the structure a staged request answered with, left out of the graph returned. */
  private resolve(
    mem: ProjectMemory,
    req: ResolveRequest,
    reuse: ReturnType<typeof planReuse> | null,
    oldRows: GraphRows | null,
    sent?: { nodes: number; edges: number },
  ): ResolveReply {
    const files = factsOf(mem);
    const resolution = resolveProject({ root: req.root, projectName: req.projectName, files, configs: req.configs, reuse: reuse ?? undefined });
    const last = { calls: resolution.calls, configs: resolution.configs, configReads: resolution.configReads };

    if (oldRows) {
      const delta = diff(oldRows, resolution);
      mem.rows = { parts: partsByPath(resolution.parts), rest: resolution.rest, nodes: oldRows.nodes };
      mem.last = last;
      mem.gen = req.gen;
      if (deltaRows(delta) <= (req.maxDeltaRows ?? Infinity)) return { kind: 'delta', delta };
      return { kind: 'graph', graph: packGraph(writable(resolution.graph).graph) };
    }
    const { graph, nodes } = writable(resolution.graph);
    mem.rows = { parts: partsByPath(resolution.parts), rest: resolution.rest, nodes };
    mem.last = last;
    mem.gen = req.gen;
    if (!sent) return { kind: 'graph', graph: packGraph(graph) };
    const next = graph.edges[sent.edges];
    if (graph.nodes.length !== sent.nodes || (next && STRUCTURAL.has(next.type)) || !graph.edges.slice(0, sent.edges).every((e) => STRUCTURAL.has(e.type))) {
      throw new Error('a staged resolution does not begin with the structure it sent');
    }
    return { kind: 'graph', graph: packGraph({ ...graph, edges: graph.edges.slice(sent.edges) }) };
  }
}

const STRUCTURAL = new Set<EdgeRow['type']>(['CONTAINS', 'DEFINES', 'DEFINES_METHOD']);

function factsOf(mem: ProjectMemory): Array<{ path: string; facts: FileFacts }> {
  return [...mem.facts].map(([path, facts]) => ({ path, facts }));
}

function partsByPath(parts: FilePart[]): Map<string, FilePart> {
  return new Map(parts.map((p) => [p.path, p]));
}

/**
 * The graph as the main thread writes it: an edge or unresolved call whose endpoint is not a node is
 * dropped, a parent that is not a node becomes none (what packGraph and the writers do anyway), so the
 * keys kept here are exactly the live graph's. (Resolution makes no such row; this is a safety net, applied
 * to a whole graph here and to the rows a delta adds in `diff`.)
 */
function writable(g: Graph): { graph: Graph; nodes: Map<string, NodeRow> } {
  const byQname = new Map<string, NodeRow>();
  for (const n of g.nodes) byQname.set(n.qname, n);
  return { graph: keepWritable(g, byQname), nodes: byQname };
}

/** `writable`'s rule for some rows, against a graph's nodes by qualified name (updated where a parent is fixed). */
function keepWritable<R extends { nodes: NodeRow[]; edges: EdgeRow[]; unresolved: UnresolvedRow[] }>(rows: R, nodes: Map<string, NodeRow>): R {
  const orphan = (n: NodeRow) => n.parent !== null && !nodes.has(n.parent);
  const fixed = !rows.nodes.some(orphan)
    ? rows.nodes
    : rows.nodes.map((n) => {
        if (!orphan(n)) return n;
        const f = { ...n, parent: null };
        nodes.set(n.qname, f);
        return f;
      });
  return {
    ...rows,
    nodes: fixed,
    edges: rows.edges.filter((e) => nodes.has(e.src) && nodes.has(e.dst)),
    unresolved: rows.unresolved.filter((u) => nodes.has(u.src)),
  };
}

type Changes = Omit<GraphDelta, 'totals' | 'calls'>;

/**
 * The difference between the last graph and a new resolution, part by part: a file whose own rows and call
 * rows are the objects of the last run is skipped without looking at its rows (on typescript's lib, grouping
 * and comparing every row took ~50 ms of a one-file re-index). A part that differs, and the project rows, are
 * compared group by group (nodes by qualified name, edges and unresolved calls by `src`); only a group that
 * differs is compared by keys, so no key is built for the rows that stayed. A row's key belongs to one part
 * (its `src`, or for a file's CONTAINS edge its `dst`, is that file's), so per-part key sets give exactly the
 * global difference. `old.nodes` is updated in place to the new graph's nodes.
 */
function diff(old: GraphRows, res: Resolution): GraphDelta {
  const out: Changes = { nodes: [], removedNodes: [], edges: [], removedEdges: [], unresolved: [], removedUnresolved: [] };
  const nodes = old.nodes;
  diffNodes(old.rest.nodes, res.rest.nodes, out, nodes);
  diffEdges(projectEdges(old.rest), projectEdges(res.rest), out);
  const now = new Set<string>();
  for (const part of res.parts) {
    now.add(part.path);
    const before = old.parts.get(part.path);
    if (before?.own !== part.own || before.calls !== part.calls) diffPart(before, part, out, nodes);
  }
  for (const [path, before] of old.parts) if (!now.has(path)) diffPart(before, undefined, out, nodes);
  const g = res.graph;
  return { ...keepWritable(out, nodes), totals: { nodes: g.nodes.length, edges: g.edges.length }, calls: g.calls };
}

function projectEdges(rest: ProjectRows): EdgeRow[] {
  return rest.folderEdges.concat(rest.links);
}

function diffPart(before: FilePart | undefined, now: FilePart | undefined, out: Changes, nodes: Map<string, NodeRow>): void {
  const ownSame = before !== undefined && now !== undefined && before.own === now.own;
  if (!ownSame) diffNodes(before ? partNodes(before) : [], now ? partNodes(now) : [], out, nodes);
  const edges = (p: FilePart | undefined) => (!p ? [] : ownSame ? p.calls.edges : [p.own.fileEdge, ...p.own.defEdges, ...p.calls.edges]);
  diffEdges(edges(before), edges(now), out);
  if (before?.calls !== now?.calls) {
    const u = diffGroups(bySrc(before?.calls.unresolved ?? []), bySrc(now?.calls.unresolved ?? []), sameUnresolved, unresolvedKey);
    for (const r of u.added) out.unresolved.push(r);
    for (const k of u.removed) out.removedUnresolved.push(k);
  }
}

function partNodes(p: FilePart): NodeRow[] {
  return [p.own.fileNode, ...p.own.defNodes];
}

/** Nodes upserted in the new list's order (a parent before its children), removed by qualified name. */
function diffNodes(before: NodeRow[], now: NodeRow[], out: Changes, nodes: Map<string, NodeRow>): void {
  const old = new Map<string, NodeRow>();
  for (const n of before) old.set(n.qname, n);
  for (const n of now) {
    const o = old.get(n.qname);
    if (o !== n && (!o || !sameNode(o, n))) out.nodes.push(n);
    old.delete(n.qname);
    nodes.set(n.qname, n);
  }
  for (const q of old.keys()) {
    out.removedNodes.push(q);
    nodes.delete(q);
  }
}

function diffEdges(before: EdgeRow[], now: EdgeRow[], out: Changes): void {
  const e = diffGroups(bySrc(before), bySrc(now), sameEdge, edgeKey);
  for (const r of e.added) out.edges.push(r);
  for (const k of e.removed) out.removedEdges.push(k);
}

/** Rows a delta writes or deletes. */
function deltaRows(d: GraphDelta): number {
  return d.nodes.length + d.removedNodes.length + d.edges.length + d.removedEdges.length + d.unresolved.length + d.removedUnresolved.length;
}

function bySrc<T extends { src: string }>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const list = groups.get(r.src);
    if (list) list.push(r);
    else groups.set(r.src, [r]);
  }
  return groups;
}

function diffGroups<T extends { src: string }>(
  oldGroups: Map<string, T[]>,
  newGroups: Map<string, T[]>,
  same: (a: T, b: T) => boolean,
  key: (r: T) => string,
): { added: T[]; removed: string[] } {
  const added: T[] = [];
  const removed: string[] = [];
  for (const [src, rows] of newGroups) {
    const before = oldGroups.get(src);
    if (before && before.length === rows.length && rows.every((r, i) => before[i] === r || same(before[i]!, r))) continue;
    const oldKeys = new Set((before ?? []).map(key));
    const newKeys = new Set<string>();
    for (const r of rows) {
      const k = key(r);
      newKeys.add(k);
      if (!oldKeys.has(k)) added.push(r);
    }
    for (const k of oldKeys) if (!newKeys.has(k)) removed.push(k);
  }
  for (const [src, rows] of oldGroups) if (!newGroups.has(src)) for (const r of rows) removed.push(key(r));
  return { added, removed };
}

function sameNode(a: NodeRow, b: NodeRow): boolean {
  if (a.kind !== b.kind || a.name !== b.name || a.file !== b.file || a.parent !== b.parent || a.sig !== b.sig || a.exported !== b.exported || a.doc !== b.doc) return false;
  const p = a.pos;
  const q = b.pos;
  if (p === null || q === null) return p === q;
  return p[0] === q[0] && p[1] === q[1] && p[2] === q[2] && p[3] === q[3];
}

function sameEdge(a: EdgeRow, b: EdgeRow): boolean {
  return a.type === b.type && a.dst === b.dst && a.line === b.line && a.strategy === b.strategy && a.confidence === b.confidence && a.data === b.data;
}

function sameUnresolved(a: UnresolvedRow, b: UnresolvedRow): boolean {
  return a.file === b.file && a.line === b.line && a.callee === b.callee && a.reason === b.reason;
}
