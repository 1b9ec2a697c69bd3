/**
 * Grouping files into "units" for an architecture overview: workspace packages (folders with a
 * package.json) when there are any, else folders — descending into a folder that holds most of the code
 * (a repo that is 95% `src/` is described by `src/*`, not by one box called `src`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { byName } from './format.js';

const DOMINANT = 0.6;
const MAX_DEPTH = 3;

export interface Units {
  unitOf(path: string): string;
  packages: string[];
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Folders (relative to the project root, under `scope`) that hold a package.json, shallowest first. */
export function findPackages(root: string, scope: string, paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    let d = dirOf(p);
    while (d && d !== scope && d.split('/').length <= MAX_DEPTH + (scope ? scope.split('/').length : 0)) {
      dirs.add(d);
      d = dirOf(d);
    }
  }
  return [...dirs].filter((d) => existsSync(join(root, d, 'package.json'))).sort((a, b) => a.split('/').length - b.split('/').length || byName(a, b));
}

/** `paths` are relative to the project root and all under `scope` ('' for the whole project). */
export function chooseUnits(paths: readonly string[], scope: string, packages: readonly string[]): Units {
  const strip = (p: string) => (scope ? p.slice(scope.length + 1) : p);
  const pre = scope ? scope + '/' : '';
  if (packages.length) {
    // Deepest package wins (nested packages); files outside every package group by their top folder.
    const byDepth = [...packages].sort((a, b) => b.length - a.length);
    const fallback = folderUnits(paths.filter((p) => !byDepth.some((d) => p.startsWith(d + '/'))).map(strip), pre);
    return {
      packages: [...packages],
      unitOf: (p) => byDepth.find((d) => p.startsWith(d + '/')) ?? fallback(strip(p)),
    };
  }
  const f = folderUnits(paths.map(strip), pre);
  return { packages: [], unitOf: (p) => f(strip(p)) };
}

function folderUnits(rel: readonly string[], pre: string): (relPath: string) => string {
  // Folders to split: the root, then while one child folder holds most files, that child.
  const expand = new Set<string>(['']);
  let cur = '';
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const inCur = rel.filter((p) => cur === '' || p.startsWith(cur + '/'));
    const counts = new Map<string, number>();
    for (const p of inCur) {
      const rest = cur ? p.slice(cur.length + 1) : p;
      const i = rest.indexOf('/');
      if (i < 0) continue;
      const child = (cur ? cur + '/' : '') + rest.slice(0, i);
      counts.set(child, (counts.get(child) ?? 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    if (!top || top[1] / Math.max(1, inCur.length) < DOMINANT) break;
    expand.add(top[0]);
    cur = top[0];
  }
  return (p) => {
    let unit = '';
    for (;;) {
      const rest = unit ? p.slice(unit.length + 1) : p;
      const i = rest.indexOf('/');
      if (i < 0) return unit ? pre + unit : pre ? pre.slice(0, -1) : '(root)';
      const child = (unit ? unit + '/' : '') + rest.slice(0, i);
      if (!expand.has(child)) return pre + child;
      unit = child;
    }
  };
}

/** Strongly connected components with more than one member (Tarjan), each sorted, largest first. */
export function cycles(edges: ReadonlyMap<string, ReadonlyMap<string, number>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const nodes = new Set<string>([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => b.length - a.length || byName(a[0]!, b[0]!));
}
