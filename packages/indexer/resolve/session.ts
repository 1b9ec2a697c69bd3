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
import type { FileFacts } from '../facts.js';
import { packGraph, type PackedGraph } from '../transfer.js';
import { edgeKey, resolveProject, unresolvedKey, type EdgeRow, type Graph, type NodeRow, type Resolution, type UnresolvedRow } from './graph.js';
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
  /** Facts (JSON) of every file when `base` is null, else of the files added or changed since `base`. */
  files: Array<{ path: string; facts: string }>;
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

export type ResolveReply = { kind: 'stale' } | { kind: 'graph'; graph: PackedGraph } | { kind: 'delta'; delta: GraphDelta };

interface ProjectMemory {
  gen: number;
  facts: Map<string, FileFacts>;
  /** The graph resolved at `gen`, as the main thread wrote it. */
  graph: Graph | null;
  /** Its rows grouped for the next diff (built by the first diff that needs them, then kept). */
  grouped: Grouped | null;
  /** What the next run needs to resolve only the files a change can affect (resolve/reuse.ts). */
  last: Pick<Resolution, 'calls' | 'configs' | 'configReads'> | null;
}

/** Projects remembered at once (a daemon indexing several keeps the most recent ones). */
const MAX_PROJECTS = 2;

export class ResolveSessions {
  private readonly projects = new Map<number, ProjectMemory>();

  handle(req: ResolveRequest): ResolveReply {
    let mem = this.projects.get(req.project);
    if (req.base !== null && (!mem || mem.gen !== req.base)) return { kind: 'stale' };
    if (req.base === null || !mem) {
      mem = { gen: req.gen, facts: new Map(), graph: null, grouped: null, last: null };
      this.projects.delete(req.project);
    }
    this.projects.delete(req.project);
    this.projects.set(req.project, mem); // most recent last
    while (this.projects.size > MAX_PROJECTS) this.projects.delete(this.projects.keys().next().value!);

    const fromBase = req.base !== null;
    const oldGraph = fromBase && req.delta ? mem.graph : null;
    const oldGrouped = oldGraph ? (mem.grouped ?? group(oldGraph)) : null;
    const changed = req.files.map((f) => ({ path: f.path, facts: JSON.parse(f.facts) as FileFacts }));
    const reuse = fromBase && mem.last ? planReuse(mem.last, { configs: req.configs, before: mem.facts, changed, removed: req.removed }) : null;
    // Until this request succeeds the memory is unusable: a failure below leaves no half-updated state.
    mem.gen = -1;
    mem.graph = null;
    mem.grouped = null;
    mem.last = null;
    for (const p of req.removed) mem.facts.delete(p);
    for (const f of changed) mem.facts.set(f.path, f.facts);
    const files = [...mem.facts].map(([path, facts]) => ({ path, facts }));
    const resolution = resolveProject({ root: req.root, projectName: req.projectName, files, configs: req.configs, reuse: reuse ?? undefined });
    const { graph, nodes: byQname } = writable(resolution.graph);
    const last = { calls: resolution.calls, configs: resolution.configs, configReads: resolution.configReads };

    if (oldGrouped) {
      const grouped = group(graph, byQname);
      const delta = diff(oldGrouped, graph, grouped);
      mem.graph = graph;
      mem.grouped = grouped;
      mem.last = last;
      mem.gen = req.gen;
      if (deltaRows(delta) <= (req.maxDeltaRows ?? Infinity)) return { kind: 'delta', delta };
      return { kind: 'graph', graph: packGraph(graph) };
    }
    mem.graph = graph;
    mem.last = last;
    mem.gen = req.gen;
    return { kind: 'graph', graph: packGraph(graph) };
  }

  /** Work for after a reply was posted: group a whole graph just sent, so the next diff finds it ready. */
  afterReply(): void {
    for (const mem of this.projects.values()) if (mem.graph && !mem.grouped) mem.grouped = group(mem.graph);
  }
}

/**
 * The graph as the main thread writes it: an edge or unresolved call whose endpoint is not a node is
 * dropped, a parent that is not a node becomes none (what packGraph and the writers do anyway), so the
 * keys kept here are exactly the live graph's.
 */
function writable(g: Graph): { graph: Graph; nodes: Map<string, NodeRow> } {
  const byQname = new Map<string, NodeRow>();
  for (const n of g.nodes) byQname.set(n.qname, n);
  let nodes = g.nodes;
  if (nodes.some((n) => n.parent !== null && !byQname.has(n.parent))) {
    nodes = nodes.map((n) => (n.parent !== null && !byQname.has(n.parent) ? { ...n, parent: null } : n));
    for (const n of nodes) byQname.set(n.qname, n);
  }
  const graph = {
    nodes,
    edges: g.edges.filter((e) => byQname.has(e.src) && byQname.has(e.dst)),
    unresolved: g.unresolved.filter((u) => byQname.has(u.src)),
    calls: g.calls,
  };
  return { graph, nodes: byQname };
}

/**
 * The difference between two graphs, without building a key for every row (that cost ~100 ms per run on
 * effect's ~56k rows): rows are grouped by their source (nodes by qualified name, edges and unresolved calls
 * by `src`), and a group equal field by field to the old one — nearly all of them — is skipped. Only a
 * group that differs is compared by keys. A key's row always has the same `src`, so per-group key sets give
 * exactly the global difference.
 */
/** A graph's rows grouped for diffing: nodes by qualified name, edges and unresolved calls by `src`. */
interface Grouped {
  nodes: Map<string, NodeRow>;
  edges: Map<string, EdgeRow[]>;
  unresolved: Map<string, UnresolvedRow[]>;
}

/** `nodes`: the graph's nodes by qualified name, when the caller has them already (see `writable`). */
function group(g: Graph, nodes?: Map<string, NodeRow>): Grouped {
  if (!nodes) {
    nodes = new Map();
    for (const n of g.nodes) nodes.set(n.qname, n);
  }
  return { nodes, edges: bySrc(g.edges), unresolved: bySrc(g.unresolved) };
}

function diff(old: Grouped, g: Graph, now: Grouped): GraphDelta {
  const nodes: NodeRow[] = [];
  for (const n of g.nodes) {
    const o = old.nodes.get(n.qname);
    if (o !== n && (!o || !sameNode(o, n))) nodes.push(n); // unchanged files keep their row objects
  }
  const removedNodes: string[] = [];
  for (const q of old.nodes.keys()) if (!now.nodes.has(q)) removedNodes.push(q);
  const e = diffGroups(old.edges, now.edges, sameEdge, edgeKey);
  const u = diffGroups(old.unresolved, now.unresolved, sameUnresolved, unresolvedKey);
  return {
    nodes,
    removedNodes,
    edges: e.added,
    removedEdges: e.removed,
    unresolved: u.added,
    removedUnresolved: u.removed,
    totals: { nodes: g.nodes.length, edges: g.edges.length },
    calls: g.calls,
  };
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
