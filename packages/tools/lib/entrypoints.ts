/**
 * Declared entry points of a package: package.json `bin`, `main`, `module` and `exports` targets, mapped to
 * indexed files. Published paths often point at build output (`dist/index.js`) that is not indexed; those
 * are mapped back to a likely source file (`src/index.ts`) and say so, or are marked not indexed.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface EntryPoint {
  package: string;
  field: string;
  target: string;
  /** The indexed file it is (or most likely maps to), or null. */
  file: string | null;
  mapped: boolean;
}

export function packageEntryPoints(root: string, pkgDir: string, indexed: ReadonlySet<string>): EntryPoint[] {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return [];
  }
  const targets: Array<[string, string]> = [];
  if (typeof pkg.bin === 'string') targets.push(['bin', pkg.bin]);
  else if (pkg.bin && typeof pkg.bin === 'object') for (const [k, v] of Object.entries(pkg.bin)) if (typeof v === 'string') targets.push([`bin ${k}`, v]);
  for (const f of ['main', 'module'] as const) if (typeof pkg[f] === 'string') targets.push([f, pkg[f] as string]);
  collectExports(pkg.exports, 'exports', targets);
  const seen = new Set<string>();
  const out: EntryPoint[] = [];
  for (const [field, target] of targets) {
    const rel = posix.normalize(posix.join(pkgDir, target.replace(/^\.\//, '')));
    if (seen.has(rel) || rel.startsWith('..')) continue;
    seen.add(rel);
    const direct = resolveIndexed(rel, indexed);
    const source = direct ?? resolveIndexed(rel.replace(/(^|\/)(dist|lib|build|out|esm|cjs)\//, '$1src/'), indexed) ?? resolveIndexed(rel.replace(/(^|\/)(dist|lib|build|out|esm|cjs)\//, '$1'), indexed);
    out.push({ package: pkgDir || '.', field, target, file: source, mapped: !direct && !!source });
  }
  return out;
}

function collectExports(v: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (depth > 4 || out.length > 50) return;
  if (typeof v === 'string') {
    if (!v.endsWith('.d.ts') && !v.endsWith('.json') && !v.endsWith('.css')) out.push([path, v]);
  } else if (Array.isArray(v)) v.forEach((x) => collectExports(x, path, out, depth + 1));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (k !== 'types') collectExports(x, k.startsWith('.') ? `exports ${k}` : path, out, depth + 1);
  }
}

const EXTS = ['', '.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'];

function resolveIndexed(rel: string, indexed: ReadonlySet<string>): string | null {
  const stem = rel.replace(/\.(m|c)?js$/, '');
  for (const base of [rel, stem]) for (const e of EXTS) if (indexed.has(base + e)) return base + e;
  return null;
}
