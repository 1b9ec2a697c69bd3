/**
 * Incremental resolution (resolve/reuse.ts): after an edit only the files it can affect have their calls
 * resolved again, and the graph is exactly a from-scratch resolution of the same facts. Real facts: zod's
 * v3 sources parsed with tree-sitter in this thread, plus a few script files for the one global rule.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFacts, type FileFacts } from '../../packages/indexer/facts.js';
import { languageKits } from '../../packages/indexer/extract/kits.js';
import { parseFile } from '../../packages/indexer/extract/parse-file.js';
import { resolveProject, type Resolution } from '../../packages/indexer/resolve/graph.js';
import { planReuse, type CallReuse, type Change } from '../../packages/indexer/resolve/reuse.js';
import { copyZodCorpus } from './helpers.js';

const kit = languageKits();

let dir: string;
let root: string;
const facts = new Map<string, FileFacts>();
const CONFIGS = ['tsconfig.json'];
let last: Resolution;

function parse(path: string): FileFacts {
  const r = parseFile(root, { path, lang: path.endsWith('.js') ? 'javascript' : 'typescript', knownHash: null }, Infinity, kit);
  if (r.status !== 'parsed') throw new Error(`${path}: ${r.status}`);
  return decodeFacts(r.facts);
}

function resolve(reuse?: CallReuse): Resolution {
  const files = [...facts].map(([path, f]) => ({ path, facts: f }));
  return resolveProject({ root, projectName: 'zod', files, configs: CONFIGS, ...(reuse ? { reuse } : {}) });
}

/** Edits files on disk, re-parses them, resolves with reuse, and checks the result against from scratch. */
function change(edits: Record<string, (src: string) => string>): { reuse: CallReuse | null; run: Resolution } {
  const changed = Object.entries(edits).map(([path, fn]) => {
    writeFileSync(join(root, path), fn(readFileSync(join(root, path), 'utf8')));
    return { path, facts: parse(path) };
  });
  const reuse = planReuse(last, { configs: CONFIGS, before: facts, changed, removed: [] });
  for (const c of changed) facts.set(c.path, c.facts);
  const run = resolve(reuse ?? undefined);
  expect(run.graph).toEqual(resolve().graph);
  last = run;
  return { reuse, run };
}

const callsInto = (r: Resolution, dst: string) => r.graph.edges.filter((e) => e.type === 'CALLS' && e.dst === dst).map((e) => `${e.src}@${e.line}`);

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-reuse-')));
  root = copyZodCorpus(dir);
  writeFileSync(join(root, 'tsconfig.json'), '{ "compilerOptions": { "baseUrl": "." } }\n');
  // Script files (no import/export): a global call binds a name only one of them declares.
  writeFileSync(join(root, 'script-a.js'), 'function sharedHelper() {\n  return 1;\n}\n');
  writeFileSync(join(root, 'script-b.js'), 'function caller() {\n  return sharedHelper();\n}\n');
  writeFileSync(join(root, 'script-c.js'), 'function other() {\n  return 2;\n}\n');
  // A module specifier only the config's baseUrl resolves.
  writeFileSync(join(root, 'via-base-url.ts'), 'import { setErrorMap } from "errors";\nexport function usesBaseUrl() {\n  setErrorMap(undefined as never);\n}\n');
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : /\.(ts|js)$/.test(e.name) ? [join(d, e.name)] : []));
  for (const abs of walk(root)) facts.set(relative(root, abs), parse(relative(root, abs)));
  last = resolve();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A seeded generator (mulberry32): the same mutations on every run. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** One random change to a file's facts, of the kinds edits make (what resolution reads, and what it does not). */
function mutate(f: FileFacts, pick: (n: number) => number, all: FileFacts[]): void {
  const any = <T>(xs: T[]): T | undefined => (xs.length ? xs[pick(xs.length)] : undefined);
  switch (pick(8)) {
    case 0: // a body edit: every position below moves
      for (const d of f.defs) d.pos = [d.pos[0] + 1, d.pos[1], d.pos[2] + 1, d.pos[3]];
      break;
    case 1: {
      const d = any(f.defs);
      if (d) d.name += 'Renamed';
      break;
    }
    case 2:
      f.exports.splice(pick(f.exports.length + 1), 1);
      break;
    case 3: {
      // A new call: of a global name, or through one of the file's imports.
      const other = any(all.flatMap((x) => x.defs.filter((d) => d.parent < 0)));
      const imp = pick(f.imports.length + 1);
      const root = imp < f.imports.length ? { k: 'import' as const, i: imp } : { k: 'global' as const };
      const chain = root.k === 'import' ? [f.imports[imp]!.local, other?.name ?? 'x'] : [other?.name ?? 'x'];
      f.calls.push({ src: -1, line: 1, chain: f.imports[imp]?.name === '*' ? chain : chain.slice(-1), root, isNew: false, text: chain.join('.') });
      break;
    }
    case 4: {
      const d = any(f.defs);
      if (d) d.kind = d.kind === 'Function' ? 'Variable' : 'Function';
      break;
    }
    case 5:
      f.isModule = !f.isModule;
      break;
    case 6:
      f.heritage.splice(pick(f.heritage.length + 1), 1);
      break;
    default: {
      // A definition copied from another file: a name now declared twice.
      const d = any(all.flatMap((x) => x.defs.filter((dd) => dd.parent < 0)));
      if (d) f.defs.push({ ...d, parent: -1 });
    }
  }
}

describe('incremental resolution', () => {
  it('an edit inside a function body resolves only that file', () => {
    expect(facts.size).toBeGreaterThan(10);
    const before = callsInto(last, 'errors.ts#getErrorMap');
    const { reuse, run } = change({ 'errors.ts': (s) => s.replace('export function setErrorMap(map: ZodErrorMap) {', 'export function setErrorMap(map: ZodErrorMap) {\n  getErrorMap();') });
    expect(reuse?.surfaceChanged.size).toBe(0);
    expect(run.resolvedFiles).toBe(1);
    // The new call is there, and the other files' edges into the file are kept.
    expect(callsInto(run, 'errors.ts#getErrorMap')).toContain('errors.ts#setErrorMap@8');
    expect(callsInto(run, 'errors.ts#getErrorMap').length).toBe(before.length + 1);
  });

  it('a renamed export re-resolves the files that import it, and their calls lose the edge', () => {
    const importers = new Set(last.graph.edges.filter((e) => e.type === 'IMPORTS' && e.dst === 'errors.ts').map((e) => e.src));
    expect(importers.size).toBeGreaterThan(0);
    const { reuse, run } = change({ 'errors.ts': (s) => s.replace('export function getErrorMap() {', 'export function getErrorMapRenamed() {') });
    expect([...reuse!.surfaceChanged]).toEqual(['errors.ts']);
    expect(run.resolvedFiles).toBeGreaterThan(importers.size);
    expect(run.resolvedFiles).toBeLessThan(facts.size);
    expect(callsInto(run, 'errors.ts#getErrorMap')).toEqual([]);
  });

  it('a new script-level name re-resolves the files calling that name globally', () => {
    expect(callsInto(last, 'script-a.js#sharedHelper')).toEqual(['script-b.js#caller@2']);
    // A second declaration makes the global call ambiguous: script-b.js must be resolved again.
    const { reuse, run } = change({ 'script-c.js': (s) => s + 'function sharedHelper() {\n  return 3;\n}\n' });
    expect(reuse!.names.has('sharedHelper')).toBe(true);
    expect(callsInto(run, 'script-a.js#sharedHelper')).toEqual([]);
    expect(run.graph.unresolved.some((u) => u.file === 'script-b.js' && u.reason === 'ambiguous')).toBe(true);
    expect(run.resolvedFiles).toBe(2);
  });

  it('a changed config file, an added or a removed file: everything is resolved again', () => {
    expect(callsInto(last, 'errors.ts#setErrorMap')).toContain('via-base-url.ts#usesBaseUrl@3');
    writeFileSync(join(root, 'tsconfig.json'), '{ "compilerOptions": { "baseUrl": "./helpers" } }\n');
    const plan = (over: Partial<Change>) => planReuse(last, { configs: CONFIGS, before: facts, changed: [], removed: [], ...over });
    expect(plan({ changed: [{ path: 'errors.ts', facts: facts.get('errors.ts')! }] })).toBeNull();
    last = resolve();
    expect(callsInto(last, 'errors.ts#setErrorMap')).not.toContain('via-base-url.ts#usesBaseUrl@3');
    expect(plan({ changed: [{ path: 'new.ts', facts: facts.get('errors.ts')! }] })).toBeNull();
    expect(plan({ removed: ['script-c.js'] })).toBeNull();
    // A config file added (discovery lists it): module resolution may change for any file.
    expect(plan({ configs: [...CONFIGS, 'helpers/tsconfig.json'] })).toBeNull();
    expect(plan({})).not.toBeNull();
  });
});

describe('incremental resolution, random changes to real facts', () => {
  it('equals a from-scratch resolution after each of 120 seeded changes', () => {
    const pick = rng(20261126);
    const paths = [...facts.keys()].sort();
    let base = resolve();
    let reusedSome = 0;
    for (let step = 0; step < 120; step++) {
      const changed = Array.from({ length: 1 + pick(2) }, () => paths[pick(paths.length)]!).filter((p, i, xs) => xs.indexOf(p) === i);
      const next = changed.map((path) => {
        const f = structuredClone(facts.get(path)!);
        mutate(f, pick, [...facts.values()]);
        return { path, facts: f };
      });
      const reuse = planReuse(base, { configs: CONFIGS, before: facts, changed: next, removed: [] });
      expect(reuse).not.toBeNull();
      for (const n of next) facts.set(n.path, n.facts);
      const run = resolve(reuse!);
      expect(run.graph, `step ${step}: ${changed.join(', ')}`).toEqual(resolve().graph);
      if (run.resolvedFiles < paths.length) reusedSome++;
      base = run;
    }
    // Most changes leave most files' rows as they were.
    expect(reusedSome).toBeGreaterThan(60);
  });
});
