/**
 * Incremental resolution: which files' call rows an edit can change, so the resolve worker resolves only
 * those and reuses the rest of the last run's rows. The result must be exactly a from-scratch resolution,
 * so this reasons only about what resolution reads (resolve/graph.ts):
 *
 * - A file's call sites are resolved from its own facts and, through its imports, re-exports and
 *   `export *`, from the *surfaces* (facts minus call sites, positions, signatures and doc comments) of the
 *   files it reaches: exports, definitions and their members, fields and `extends` chains, each resolved in
 *   its declaring file's scope, which is reached the same way. Another file's call sites are never read.
 * - One thing is global: a `unique-name` call binds a name that exactly one script-level definition in the
 *   project declares.
 *
 * So an edit to files C, of which files S changed their surface, can change the call rows of: C; every file
 * whose imports reach a file of S, directly or transitively; every file with a global call of a name that a
 * top-level definition of S declares (before or after the edit). Module resolution itself must not have
 * changed: no file added or removed, every config file read the same. Otherwise everything is resolved.
 */
import type { DefFact, FileFacts } from '../facts.js';
import { sameConfigReads, type ConfigReads } from './modules.js';
import type { EdgeRow, FileCalls, Resolution } from './graph.js';

export interface CallReuse {
  /** The last run's call rows per file. */
  calls: Map<string, FileCalls>;
  /** Files whose facts changed. */
  changed: Set<string>;
  /** Of those, the files whose surface changed. */
  surfaceChanged: Set<string>;
  /** Names whose script-level definitions may have changed (what a `unique-name` call binds). */
  names: Set<string>;
}

/** A change to resolve: the project's config paths now, its facts before, the files changed and removed. */
export interface Change {
  configs: string[];
  before: Map<string, FileFacts>;
  changed: Array<{ path: string; facts: FileFacts }>;
  removed: string[];
}

/**
 * How the next run may reuse `last`'s call rows after `change`; null when it must resolve everything (files
 * added or removed, a config file added, removed or changed).
 */
export function planReuse(last: Pick<Resolution, 'calls' | 'configs' | 'configReads'>, { configs, before, changed, removed }: Change): CallReuse | null {
  if (removed.length > 0 || !sameList(configs, last.configs) || !sameConfigReads(last.configReads)) return null;
  const reuse: CallReuse = { calls: last.calls, changed: new Set(), surfaceChanged: new Set(), names: new Set() };
  for (const { path, facts } of changed) {
    const old = before.get(path);
    if (!old || !last.calls.has(path)) return null; // an added file
    reuse.changed.add(path);
    if (surfaceKey(old) === surfaceKey(facts)) continue;
    reuse.surfaceChanged.add(path);
    for (const d of topLevel(old)) reuse.names.add(d.name);
    for (const d of topLevel(facts)) reuse.names.add(d.name);
  }
  return reuse;
}

/** The files whose call rows `reuse`'s change can affect, given the project's IMPORTS edges. */
export function affectedFiles(reuse: CallReuse, importEdges: EdgeRow[], files: Array<{ path: string; facts: FileFacts }>): Set<string> {
  const out = new Set(reuse.changed);
  if (reuse.surfaceChanged.size === 0) return out;
  const importers = new Map<string, string[]>();
  for (const e of importEdges) {
    const list = importers.get(e.dst);
    if (list) list.push(e.src);
    else importers.set(e.dst, [e.src]);
  }
  const reached = new Set<string>();
  const stack = [...reuse.surfaceChanged];
  while (stack.length) {
    const p = stack.pop()!;
    if (reached.has(p)) continue;
    reached.add(p);
    out.add(p);
    for (const src of importers.get(p) ?? []) stack.push(src);
  }
  if (reuse.names.size > 0) {
    for (const { path, facts } of files) {
      if (out.has(path)) continue;
      if (facts.calls.some((c) => c.root.k === 'global' && c.chain.length === 1 && reuse.names.has(c.chain[0]!))) out.add(path);
    }
  }
  return out;
}

/**
 * What other files' resolution can read of a file: everything but its call sites and the parts of its
 * definitions that only describe them (position, signature text, doc comment), and import lines.
 */
function surfaceKey(f: FileFacts): string {
  const defs = f.defs.map(({ pos: _pos, sig: _sig, doc: _doc, ...rest }: DefFact) => rest);
  const imports = f.imports.map(({ line: _line, ...rest }) => rest);
  return JSON.stringify([defs, imports, f.exports, f.stars, f.heritage, f.isModule]);
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function topLevel(f: FileFacts): DefFact[] {
  return f.defs.filter((d) => d.parent < 0);
}
