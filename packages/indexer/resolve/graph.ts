/**
 * Facts of every file → the project's graph rows (nodes, edges, unresolved call sites), keyed by qualified
 * name. Pure and deterministic: the same facts always give the same rows, which is what lets an incremental
 * update diff its result against the live graph and land exactly where a from-scratch index would.
 *
 * Honesty rule: a call is bound only through something the code states — a scope binding, an import chain,
 * `this`/`super` and the `extends` chain, or a declared type. The one guess allowed is `unique-name`: a
 * global name that exactly one script-level (non-module) definition in the project declares.
 */
import { posix } from 'node:path';
import type { CallFact, DefFact, ExportFact, FileFacts, RootRef, TypeRef } from '../facts.js';
import { ModuleResolver, type ConfigReads } from './modules.js';
import { assignQnames } from './qnames.js';
import { affectedFiles, type CallReuse } from './reuse.js';

export interface ResolveInput {
  root: string;
  projectName: string;
  /** Parsed facts (the resolve worker keeps them between runs; resolution never mutates them). */
  files: Array<{ path: string; facts: FileFacts }>;
  /** tsconfig.json / jsconfig.json / package.json paths inside the project. */
  configs: string[];
  /** Call rows of the last run, and what changed since: files the change cannot affect keep theirs. */
  reuse?: CallReuse;
}

export interface NodeRow {
  kind: string;
  name: string;
  qname: string;
  file: string | null;
  parent: string | null;
  pos: [number, number, number, number] | null;
  sig: string | null;
  exported: boolean;
  doc: string | null;
}

export interface EdgeRow {
  type: 'CONTAINS' | 'DEFINES' | 'DEFINES_METHOD' | 'IMPORTS' | 'CALLS' | 'INHERITS' | 'IMPLEMENTS';
  src: string;
  dst: string;
  line: number | null;
  strategy: string | null;
  confidence: number | null;
  data: string | null;
}

export interface UnresolvedRow {
  src: string;
  file: string;
  line: number;
  callee: string;
  reason: 'external' | 'ambiguous' | 'dynamic' | 'not-found';
}

export interface Graph {
  nodes: NodeRow[];
  edges: EdgeRow[];
  unresolved: UnresolvedRow[];
  calls: { resolved: number; unresolved: number };
}

/** What resolution made of one file's call sites (its share of a graph's CALLS edges and unresolved rows). */
export interface FileCalls {
  edges: EdgeRow[];
  unresolved: UnresolvedRow[];
  /** Call sites bound (repeats of an edge included) and not bound. */
  resolved: number;
  missed: number;
}

/** A graph, with what a later run needs to reuse its call rows (resolve/reuse.ts). */
export interface Resolution {
  graph: Graph;
  /** Per file path, its call rows. */
  calls: Map<string, FileCalls>;
  /** The project's config paths it was given, and the config files module resolution read (with what they held). */
  configs: string[];
  configReads: ConfigReads;
  /** How many files had their calls resolved (the others' rows were reused). */
  resolvedFiles: number;
  /**
   * The graph's rows by origin: each file's own rows and call rows (the same objects as the last run's while
   * the file is unaffected, so a diff can skip them by reference), and the rest.
   */
  parts: FilePart[];
  rest: ProjectRows;
}

/** The rows that belong to no one file: project and folder nodes, folder CONTAINS edges, IMPORTS and heritage edges. */
export interface ProjectRows {
  nodes: NodeRow[];
  folderEdges: EdgeRow[];
  links: EdgeRow[];
}

export interface FilePart {
  path: string;
  own: FileRows;
  calls: FileCalls;
}

export const PROJECT_QNAME = '.';

/** How much a binding is worth, by the strategy that made it. */
export const CONFIDENCE: Record<string, number> = {
  'same-file': 1,
  import: 1,
  'namespace-import': 1,
  're-export': 0.95,
  commonjs: 0.9,
  'this-class': 0.95,
  inherited: 0.9,
  super: 0.95,
  'type-annotation': 0.85,
  'callback-param': 0.8,
  'unique-name': 0.4,
};

type Target =
  | { t: 'def'; g: number; via: string }
  | { t: 'module'; f: number; via: string }
  | { t: 'external' }
  | { t: 'missing' };

const NO_BASES: ReadonlyArray<number | 'external'> = [];

/** Marks an export being computed (a cycle back to it resolves to nothing). */
const BUSY: Target = { t: 'missing' };

const CALLABLE = new Set(['Function', 'Method', 'Class', 'Variable']);
const TYPE_KINDS = new Set(['Interface', 'TypeAlias']);

interface FileEntry {
  path: string;
  facts: FileFacts;
  base: number; // global id of defs[0]
  rows: FileRows;
}

/**
 * A file's own rows, which depend only on its path and facts: its qualified names, its File node and the
 * CONTAINS edge to it, its definitions' nodes and DEFINES edges. The resolve worker keeps each file's facts
 * object between runs, so a run reuses the last run's rows of every file whose facts did not change, and the
 * diff against the last graph finds them identical by reference (on typescript's lib, building them anew was
 * ~10 % of a one-file re-index, and their garbage more).
 */
export interface FileRows {
  path: string;
  qnames: string[];
  fileNode: NodeRow;
  fileEdge: EdgeRow;
  defNodes: NodeRow[];
  defEdges: EdgeRow[];
}

const rowsByFacts = new WeakMap<FileFacts, FileRows>();

function fileRows(path: string, facts: FileFacts): FileRows {
  const hit = rowsByFacts.get(facts);
  if (hit && hit.path === path) return hit;
  const qnames = assignQnames([{ path, defs: facts.defs }]);
  const defNodes: NodeRow[] = [];
  const defEdges: EdgeRow[] = [];
  facts.defs.forEach((d, i) => {
    const parent = d.parent >= 0 ? qnames[d.parent]! : path;
    defNodes.push({ kind: d.kind, name: d.name, qname: qnames[i]!, file: path, parent, pos: d.pos, sig: d.sig, exported: d.exported, doc: d.doc });
    defEdges.push(edge(d.kind === 'Method' && d.parent >= 0 ? 'DEFINES_METHOD' : 'DEFINES', parent, qnames[i]!));
  });
  const rows: FileRows = {
    path,
    qnames,
    fileNode: { kind: 'File', name: posix.basename(path), qname: path, file: path, parent: container(path), pos: null, sig: null, exported: false, doc: null },
    fileEdge: edge('CONTAINS', container(path), path),
    defNodes,
    defEdges,
  };
  rowsByFacts.set(facts, rows);
  return rows;
}

/** The qualified name of the folder (or the project) holding a path. */
function container(p: string): string {
  return posix.dirname(p) === '.' ? PROJECT_QNAME : posix.dirname(p);
}

/** The project and folder nodes, and the folders' CONTAINS edges. */
function folderRows(projectName: string, files: ReadonlyArray<{ path: string }>): { nodes: NodeRow[]; edges: EdgeRow[] } {
  const nodes: NodeRow[] = [
    { kind: 'Project', name: projectName, qname: PROJECT_QNAME, file: null, parent: null, pos: null, sig: null, exported: false, doc: null },
  ];
  const edges: EdgeRow[] = [];
  const folders = new Set<string>();
  for (const f of files) {
    for (let dir = posix.dirname(f.path); dir !== '.' && !folders.has(dir); dir = posix.dirname(dir)) folders.add(dir);
  }
  for (const dir of [...folders].sort()) {
    nodes.push({ kind: 'Folder', name: posix.basename(dir), qname: dir, file: dir, parent: container(dir), pos: null, sig: null, exported: false, doc: null });
    edges.push(edge('CONTAINS', container(dir), dir));
  }
  return { nodes, edges };
}

function byPath<F extends { path: string }>(files: readonly F[]): F[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Every node of the project's graph and its structural edges (CONTAINS, DEFINES, DEFINES_METHOD): what
 * depends on each file's facts alone, not on resolution. They are the graph's first rows, exactly as
 * `resolveProject` orders them, so a full index can write them while the calls are being resolved.
 */
export function structuralRows(input: Pick<ResolveInput, 'projectName' | 'files'>): Pick<Graph, 'nodes' | 'edges'> {
  const files = byPath(input.files);
  const folders = folderRows(input.projectName, files);
  return structure(folders.nodes, folders.edges, files.map((f) => fileRows(f.path, f.facts)));
}

export function resolveProject(input: ResolveInput): Resolution {
  return new Resolver(input).run();
}

class Resolver {
  private readonly files: FileEntry[];
  private readonly fileIndex = new Map<string, number>();
  private readonly defs: Array<{ f: number; d: DefFact }> = [];
  private readonly qnames: string[];
  private readonly modules: ModuleResolver;
  /** Per file: export name → what it denotes (null: nothing, or an export cycle while computing). */
  private readonly exportMemo: Array<Map<string, Target | null>> = [];
  /**
   * Per def with members or bases, by global id (most defs have neither: one Map or array per def was a
   * fifth of a one-file re-index of typescript's lib, mostly in allocation and GC).
   */
  private readonly children = new Map<number, Map<string, number>>();
  private readonly bases = new Map<number, Array<number | 'external'>>();
  private byName = new Map<string, number[]>();
  private readonly callMemo = new Map<string, number | null>();
  /** Declaration merging: a namespace/variable → the class or interface of the same name and scope. */
  private mergedType = new Map<number, number>();

  constructor(private readonly input: ResolveInput) {
    this.qnames = [];
    this.files = byPath(input.files).map((f, i) => {
      this.fileIndex.set(f.path, i);
      const facts = f.facts;
      const entry = { path: f.path, facts, base: this.defs.length, rows: fileRows(f.path, facts) };
      for (const d of facts.defs) this.defs.push({ f: i, d });
      for (const q of entry.rows.qnames) this.qnames.push(q);
      return entry;
    });
    this.modules = new ModuleResolver(input.root, new Set(this.fileIndex.keys()), input.configs);
  }

  run(): Resolution {
    this.indexMembers();
    const folders = folderRows(this.input.projectName, this.files);
    const importEdges = this.imports();
    // Only heritage edges can repeat (`implements A, A`; a type named twice): the structural edges are one per
    // qualified name and the IMPORTS edges one per file pair, so deduplicating those was wasted work.
    const rest: ProjectRows = { nodes: folders.nodes, folderEdges: folders.edges, links: importEdges.concat(dedupeEdges(this.heritage())) };
    const reuse = this.input.reuse;
    const affected = reuse ? affectedFiles(reuse, importEdges, this.files) : null;
    const byFile = new Map<string, FileCalls>();
    const parts: FilePart[] = [];
    let resolvedFiles = 0;
    this.files.forEach((file, f) => {
      let rows = affected && !affected.has(file.path) ? reuse!.calls.get(file.path) : undefined;
      if (!rows) {
        rows = this.fileCalls(f);
        resolvedFiles++;
      }
      byFile.set(file.path, rows);
      parts.push({ path: file.path, own: file.rows, calls: rows });
    });
    const graph = flatGraph(rest, parts);
    return { graph, calls: byFile, configs: this.input.configs, configReads: this.modules.reads, resolvedFiles, parts, rest };
  }

  // ---- imports -------------------------------------------------------------------------------------------

  /** The IMPORTS edges: which files each file's module references reach. */
  private imports(): EdgeRow[] {
    const out: EdgeRow[] = [];
    this.files.forEach((file, f) => {
      const names = new Map<string, Set<string>>();
      const add = (spec: string, name: string) => {
        const hit = this.modules.resolve(file.path, spec);
        if (!('file' in hit) || hit.file === file.path) return;
        let set = names.get(hit.file);
        if (!set) names.set(hit.file, (set = new Set()));
        if (name) set.add(name === '*cjs' ? '*' : name);
      };
      for (const imp of file.facts.imports) add(imp.spec, imp.name);
      for (const e of file.facts.exports) if ('spec' in e) add(e.spec, e.imported);
      for (const s of file.facts.stars) add(s, '*');
      for (const [dst, set] of [...names].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        out.push({ ...edge('IMPORTS', this.files[f]!.path, dst), data: JSON.stringify([...set].sort()) });
      }
    });
    return out;
  }

  // ---- members and inheritance ---------------------------------------------------------------------------

  private indexMembers(): void {
    this.defs.forEach(({ f, d }, g) => {
      if (d.parent >= 0) {
        const ownerId = this.files[f]!.base + d.parent;
        let owner = this.children.get(ownerId);
        if (!owner) this.children.set(ownerId, (owner = new Map()));
        if (!owner.has(d.name)) owner.set(d.name, g);
      } else if (!this.files[f]!.facts.isModule && CALLABLE.has(d.kind)) {
        const list = this.byName.get(d.name) ?? [];
        list.push(g);
        this.byName.set(d.name, list);
      }
    });
    const types = new Map<string, number>();
    this.defs.forEach(({ f, d }, g) => {
      if (d.kind === 'Class' || d.kind === 'Interface') {
        const key = `${f}\u0000${d.parent}\u0000${d.name}`;
        if (!types.has(key)) types.set(key, g);
      }
    });
    this.defs.forEach(({ f, d }, g) => {
      if (d.kind !== 'Namespace' && d.kind !== 'Variable') return;
      const t = types.get(`${f}\u0000${d.parent}\u0000${d.name}`);
      if (t !== undefined) this.mergedType.set(g, t);
    });
    this.files.forEach((file, f) => {
      for (const h of file.facts.heritage) {
        if (h.kind !== 'extends') continue;
        const t = this.resolveType(f, h.type, this.defs[file.base + h.def]!.d.kind === 'Class');
        if (t.t !== 'def' && t.t !== 'external') continue;
        const id = file.base + h.def;
        let list = this.bases.get(id);
        if (!list) this.bases.set(id, (list = []));
        list.push(t.t === 'def' ? t.g : 'external');
      }
    });
  }

  private heritage(): EdgeRow[] {
    const edges: EdgeRow[] = [];
    this.files.forEach((file, f) => {
      for (const h of file.facts.heritage) {
        const t = this.resolveType(f, h.type, h.kind === 'extends' && this.defs[file.base + h.def]!.d.kind === 'Class');
        if (t.t !== 'def') continue;
        const src = this.qnames[file.base + h.def]!;
        const targetKind = this.defs[t.g]!.d.kind;
        const type = h.kind === 'implements' || (targetKind === 'Interface' && this.defs[file.base + h.def]!.d.kind === 'Class') ? 'IMPLEMENTS' : 'INHERITS';
        edges.push(edge(type, src, this.qnames[t.g]!));
      }
    });
    return edges;
  }

  /** A member of a class/interface (or namespace, enum, object), looked up the `extends` chain. */
  private member(g: number, name: string, seen = new Set<number>()): { g: number; inherited: boolean } | 'external' | null {
    if (seen.has(g)) return null;
    seen.add(g);
    const own = this.children.get(g)?.get(name);
    if (own !== undefined) return { g: own, inherited: false };
    let external = false;
    for (const base of this.bases.get(g) ?? NO_BASES) {
      if (base === 'external') {
        external = true;
        continue;
      }
      const hit = this.member(base, name, seen);
      if (hit === 'external') external = true;
      else if (hit) return { g: hit.g, inherited: true };
    }
    return external ? 'external' : null;
  }

  /** The declared type of a field, looked up the `extends` chain. */
  private fieldType(g: number, name: string, seen = new Set<number>()): { f: number; t: TypeRef } | null {
    if (seen.has(g)) return null;
    seen.add(g);
    const { f, d } = this.defs[g]!;
    const t = d.fields?.[name];
    if (t) return { f, t };
    for (const base of this.bases.get(g) ?? NO_BASES) {
      if (base === 'external') continue;
      const hit = this.fieldType(base, name, seen);
      if (hit) return hit;
    }
    return null;
  }

  // ---- modules, exports, scope references ----------------------------------------------------------------

  private spec(f: number, spec: string): { f: number } | { t: 'external' } | { t: 'missing' } {
    const hit = this.modules.resolve(this.files[f]!.path, spec);
    if ('file' in hit) return { f: this.fileIndex.get(hit.file)! };
    return 'external' in hit ? { t: 'external' } : { t: 'missing' };
  }

  /** What module `f` exports as `name`, following re-exports and `export *`. */
  private exported(f: number, name: string): Target | null {
    const memo = (this.exportMemo[f] ??= new Map());
    const hit = memo.get(name);
    if (hit !== undefined) return hit === BUSY ? null : hit; // BUSY: an export cycle
    memo.set(name, BUSY);
    const result = this.computeExport(f, name);
    memo.set(name, result);
    return result;
  }

  private computeExport(f: number, name: string): Target | null {
    const facts = this.files[f]!.facts;
    // One name may be exported twice (an interface and a const of the same name): prefer the value.
    let typeOnly: Target | null = null;
    for (const e of facts.exports) {
      if (e.name !== name) continue;
      const t = this.exportEntry(f, e);
      if (t && t.t === 'def' && TYPE_KINDS.has(this.defs[t.g]!.d.kind)) typeOnly ??= t;
      else return t;
    }
    if (typeOnly) return typeOnly;
    if (name === 'default') return null;
    let found: Target | null = null;
    let external = false;
    for (const s of facts.stars) {
      const m = this.spec(f, s);
      if (!('f' in m)) {
        external ||= m.t === 'external';
        continue;
      }
      const t = this.exported(m.f, name);
      if (!t || t.t === 'missing') continue;
      if (t.t === 'external') {
        external = true;
        continue;
      }
      if (found && !sameTarget(found, t)) return null; // two stars export the name: TypeScript drops it
      found = t.t === 'def' ? { ...t, via: 're-export' } : t;
    }
    return found ?? (external ? { t: 'external' } : null);
  }

  private exportEntry(f: number, e: ExportFact): Target | null {
    if ('ref' in e) {
      const t = this.ref(f, e.ref);
      return t.t === 'def' && e.ref.k === 'import' ? { ...t, via: 're-export' } : t;
    }
    const m = this.spec(f, e.spec);
    if (!('f' in m)) return m;
    if (e.imported === '*') return { t: 'module', f: m.f, via: 're-export' };
    const t = this.exported(m.f, e.imported);
    return t && t.t === 'def' ? { ...t, via: 're-export' } : t;
  }

  /** A scope reference of file `f` → what it denotes. */
  private ref(f: number, ref: RootRef): Target {
    if (ref.k === 'def') return { t: 'def', g: this.files[f]!.base + ref.d, via: 'same-file' };
    if (ref.k !== 'import') return { t: 'missing' };
    const imp = this.files[f]!.facts.imports[ref.i]!;
    const m = this.spec(f, imp.spec);
    if (!('f' in m)) return m;
    if (imp.name === '*') return { t: 'module', f: m.f, via: 'namespace-import' };
    if (imp.name === '*cjs') {
      // `const m = require('x')`: m is module.exports — the default export if one was assigned, else the namespace.
      const def = this.exported(m.f, 'default');
      return def && def.t === 'def' ? { ...def, via: 'commonjs' } : { t: 'module', f: m.f, via: 'commonjs' };
    }
    const t = this.exported(m.f, imp.name);
    if (!t) return { t: 'missing' };
    if (t.t === 'def' && t.via === 'same-file') return { ...t, via: 'import' };
    return t;
  }

  /**
   * A named type (or heritage expression) → its definition. In type position a name shared by a namespace
   * (or const) and an interface/class of the same scope (declaration merging) means the interface/class;
   * a class's `extends` is a value (`asValue`).
   */
  private resolveType(f: number, type: TypeRef, asValue = false): Target {
    let t = this.ref(f, type.ref);
    if (type.ref.k === 'global') return { t: 'external' };
    for (const name of type.chain.slice(1)) {
      if (t.t === 'module') t = this.exported(t.f, name) ?? { t: 'missing' };
      else if (t.t === 'def') {
        const m = this.member(t.g, name);
        t = m && m !== 'external' ? { t: 'def', g: m.g, via: t.via } : m === 'external' ? { t: 'external' } : { t: 'missing' };
      } else break;
    }
    if (t.t === 'def' && !asValue) {
      const merged = this.mergedType.get(t.g);
      if (merged !== undefined) t = { ...t, g: merged };
    }
    return t;
  }

  // ---- calls ---------------------------------------------------------------------------------------------

  /** The call rows of file `f`'s call sites, deduplicated as they are made. */
  private fileCalls(f: number): FileCalls {
    const file = this.files[f]!;
    const out: FileCalls = { edges: [], unresolved: [], resolved: 0, missed: 0 };
    // A call edge repeats another with the same caller, callee and line (the first is kept): numeric keys
    // (caller: a def of this file, or the file itself as -1; callee: a def) → the lines seen, no key string
    // per call.
    const width = this.defs.length;
    const seen = new Map<number, number[]>();
    for (const call of file.facts.calls) {
      const src = call.src >= 0 ? this.qnames[file.base + call.src]! : file.path;
      const r = this.call(f, call);
      if ('g' in r) {
        out.resolved++;
        const key = (call.src + 1) * width + r.g;
        const lines = seen.get(key);
        if (!lines) seen.set(key, [call.line]);
        else if (lines.includes(call.line)) continue;
        else lines.push(call.line);
        out.edges.push({ type: 'CALLS', src, dst: this.qnames[r.g]!, line: call.line, strategy: r.strategy, confidence: CONFIDENCE[r.strategy] ?? 0.5, data: null });
      } else {
        out.missed++;
        out.unresolved.push({ src, file: file.path, line: call.line, callee: call.text, reason: r.reason });
      }
    }
    // Per file, not over the whole graph: a row's `src` is one of this file's qualified names, so no two
    // files' rows repeat each other, and the rows of a file whose calls are reused need no pass again.
    out.unresolved = dedupeUnresolved(out.unresolved);
    return out;
  }

  private call(f: number, call: CallFact): { g: number; strategy: string } | { reason: UnresolvedRow['reason'] } {
    const { chain, root } = call;
    if (chain.length === 0) return { reason: 'dynamic' };
    switch (root.k) {
      case 'dynamic':
        return { reason: 'dynamic' };
      case 'global':
        return chain.length === 1 && !call.isNew ? this.uniqueName(chain[0]!) : { reason: 'external' };
      case 'local': {
        if (chain.length === 1) return { reason: 'dynamic' };
        if (!root.t) {
          const type = root.cb ? this.callbackParamType(f, root.cb) : null;
          if (!type) return { reason: 'dynamic' };
          if (type.t === 'external') return { reason: 'external' };
          if (type.t !== 'def') return { reason: 'dynamic' };
          return this.walkInstance(type.g, chain.slice(1), 'callback-param');
        }
        const type = this.resolveType(f, root.t);
        if (type.t === 'external') return { reason: 'external' };
        if (type.t !== 'def') return { reason: 'dynamic' };
        return this.walkInstance(type.g, chain.slice(1), 'type-annotation');
      }
      case 'this': {
        if (root.cls < 0 || chain.length === 1) return { reason: 'dynamic' };
        return this.walkInstance(this.files[f]!.base + root.cls, chain.slice(1), 'this-class');
      }
      case 'super': {
        if (root.cls < 0) return { reason: 'dynamic' };
        const bases = this.bases.get(this.files[f]!.base + root.cls) ?? NO_BASES;
        const base = bases[0];
        if (base === undefined) return { reason: 'not-found' };
        if (base === 'external') return { reason: 'external' };
        if (chain.length === 1) {
          // super(): the base class's constructor; a base that is a const holding a class is not a class node.
          return this.defs[base]!.d.kind === 'Class' ? { g: base, strategy: 'super' } : { reason: 'dynamic' };
        }
        return this.walkInstance(base, chain.slice(1), 'super');
      }
      default: {
        let t = this.ref(f, root);
        // How the root was bound names the strategy (`ns.f()` is a namespace-import call even though `f`
        // itself is defined plainly in its module).
        const via = t.t === 'def' || t.t === 'module' ? t.via : '';
        for (const name of chain.slice(1)) {
          if (t.t === 'module') t = this.exported(t.f, name) ?? { t: 'missing' };
          else if (t.t === 'def') {
            const m = this.member(t.g, name);
            if (m === 'external') return { reason: 'external' };
            t = m ? { t: 'def', g: m.g, via: t.via } : { t: 'missing' };
          }
          if (t.t === 'external' || t.t === 'missing') break;
        }
        if (t.t === 'external') return { reason: 'external' };
        if (t.t !== 'def' || !CALLABLE.has(this.defs[t.g]!.d.kind)) return { reason: 'not-found' };
        return { g: t.g, strategy: via };
      }
    }
  }

  /** Call `c` of file `f`, resolved once (callback parameters look up the call they are passed to). */
  private callTarget(f: number, c: number): number | null {
    const key = `${f}:${c}`;
    const hit = this.callMemo.get(key);
    if (hit !== undefined) return hit;
    this.callMemo.set(key, null); // a cycle resolves to nothing
    const call = this.files[f]!.facts.calls[c];
    const r = call ? this.call(f, call) : null;
    const g = r && 'g' in r ? r.g : null;
    this.callMemo.set(key, g);
    return g;
  }

  /**
   * The declared type of an untyped parameter of a function literal passed as an argument: the callee (a
   * function, method, or the constructor of a `new`-ed class) declares that argument with a function type
   * whose parameter at that position has a named type.
   */
  private callbackParamType(f: number, [c, arg, param]: [number, number, number]): Target | null {
    let g = this.callTarget(f, c);
    if (g === null) return null;
    if (this.defs[g]!.d.kind === 'Class') {
      if (!this.files[f]!.facts.calls[c]!.isNew) return null;
      const ctor = this.member(g, 'constructor');
      if (!ctor || ctor === 'external') return null;
      g = ctor.g;
    }
    const { f: df, d } = this.defs[g]!;
    const t = d.cbParams?.[arg]?.[param];
    return t ? this.resolveType(df, t) : null;
  }

  /** `x.a.b()` where x is an instance of class/interface `g`: members, then typed fields, up `extends`. */
  private walkInstance(g: number, names: string[], strategy: string): { g: number; strategy: string } | { reason: UnresolvedRow['reason'] } {
    let cls = g;
    let via = strategy;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (i === names.length - 1) {
        const m = this.member(cls, name);
        if (m === 'external') return { reason: 'external' };
        if (!m || !CALLABLE.has(this.defs[m.g]!.d.kind)) return { reason: 'not-found' };
        return { g: m.g, strategy: m.inherited && via === 'this-class' ? 'inherited' : via };
      }
      const field = this.fieldType(cls, name);
      if (!field) return { reason: 'dynamic' };
      const t = this.resolveType(field.f, field.t);
      if (t.t === 'external') return { reason: 'external' };
      if (t.t !== 'def') return { reason: 'dynamic' };
      cls = t.g;
      via = 'type-annotation';
    }
    return { reason: 'dynamic' };
  }

  /** A global name: bound only when exactly one script-level definition in the project declares it. */
  private uniqueName(name: string): { g: number; strategy: string } | { reason: UnresolvedRow['reason'] } {
    const candidates = this.byName.get(name) ?? [];
    if (candidates.length === 1) return { g: candidates[0]!, strategy: 'unique-name' };
    return { reason: candidates.length > 1 ? 'ambiguous' : 'external' };
  }
}

/**
 * The graph as one list per row kind, in the order a from-scratch index writes it: project and folders, every
 * File node, then the definitions file by file; edges: the folders' CONTAINS, each file's CONTAINS, DEFINES,
 * then IMPORTS and heritage, then the calls file by file.
 */
function flatGraph(rest: ProjectRows, parts: FilePart[]): Graph {
  const { nodes, edges } = structure(rest.nodes, rest.folderEdges, parts.map((p) => p.own));
  const unresolved: UnresolvedRow[] = [];
  const calls = { resolved: 0, unresolved: 0 };
  for (const e of rest.links) edges.push(e);
  for (const p of parts) {
    for (const e of p.calls.edges) edges.push(e);
    for (const u of p.calls.unresolved) unresolved.push(u);
    calls.resolved += p.calls.resolved;
    calls.unresolved += p.calls.missed;
  }
  return { nodes, edges, unresolved, calls };
}

/** Every node, and the structural edges, in the graph's order (see `flatGraph`). */
function structure(folderNodes: NodeRow[], folderEdges: EdgeRow[], files: FileRows[]): Pick<Graph, 'nodes' | 'edges'> {
  const nodes: NodeRow[] = [...folderNodes];
  const edges: EdgeRow[] = [...folderEdges];
  for (const f of files) {
    nodes.push(f.fileNode);
    edges.push(f.fileEdge);
  }
  for (const f of files) {
    for (const n of f.defNodes) nodes.push(n);
    for (const e of f.defEdges) edges.push(e);
  }
  return { nodes, edges };
}

function edge(type: EdgeRow['type'], src: string, dst: string): EdgeRow {
  return { type, src, dst, line: null, strategy: null, confidence: null, data: null };
}

function sameTarget(a: Target, b: Target): boolean {
  return (a.t === 'def' && b.t === 'def' && a.g === b.g) || (a.t === 'module' && b.t === 'module' && a.f === b.f);
}

/**
 * Row keys are built with join(), which makes one flat string: a template literal makes a rope (a ConsString
 * per part, ~10 objects per key) that keeps its parts alive, and the main thread keeps a key per row of the
 * live graph (write.ts LiveIndex). After a full index of effect that held 29 MB of live heap, 20 with join().
 */
export function edgeKey(e: EdgeRow): string {
  return [e.type, e.src, e.dst, e.line, e.strategy, e.confidence, e.data].join('\u0000');
}

/** A node's content (everything but its qualified name and id): equal keys need no UPDATE. */
export function nodeKey(n: NodeRow): string {
  const p = n.pos ?? [null, null, null, null];
  return [n.kind, n.name, n.file, n.parent, ...p, n.sig, n.exported ? 1 : 0, n.doc].join('\u0000');
}

export function unresolvedKey(u: UnresolvedRow): string {
  return [u.src, u.file, u.line, u.callee, u.reason].join('\u0000');
}

/**
 * Drops repeated edges (same type, endpoints, line and data), keeping the first. Rows are grouped by endpoints
 * in nested maps (qnames are shared strings, so no key string is built per row).
 */
function dedupeEdges(edges: EdgeRow[]): EdgeRow[] {
  const seen = new Map<string, Map<string, EdgeRow[]>>();
  return edges.filter((e) => {
    let byDst = seen.get(e.src);
    if (!byDst) seen.set(e.src, (byDst = new Map()));
    const rows = byDst.get(e.dst);
    if (!rows) {
      byDst.set(e.dst, [e]);
      return true;
    }
    for (const r of rows) {
      if (r.type === e.type && r.line === e.line && r.strategy === e.strategy && r.confidence === e.confidence && r.data === e.data) return false;
    }
    rows.push(e);
    return true;
  });
}

function dedupeUnresolved(rows: UnresolvedRow[]): UnresolvedRow[] {
  const seen = new Map<string, Map<number, UnresolvedRow[]>>();
  return rows.filter((u) => {
    let byLine = seen.get(u.src);
    if (!byLine) seen.set(u.src, (byLine = new Map()));
    const same = byLine.get(u.line);
    if (!same) {
      byLine.set(u.line, [u]);
      return true;
    }
    for (const r of same) if (r.file === u.file && r.callee === u.callee && r.reason === u.reason) return false;
    same.push(u);
    return true;
  });
}
