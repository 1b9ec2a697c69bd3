/**
 * Module specifier → project file, the way TypeScript's bundler/node resolution would find it, but only
 * against the set of indexed files (no guessing on disk):
 * - relative specifiers with extension and `index` probing, including `./x.js` meaning `./x.ts`;
 * - tsconfig/jsconfig `paths` and `baseUrl` of the nearest config, following `extends`;
 * - workspace packages: any package.json inside the project names a package, so `@org/pkg` and
 *   `@org/pkg/sub` resolve into its sources (npm, yarn and pnpm workspaces alike);
 * - everything else is external (a library).
 */
import { posix, join as joinFs } from 'node:path';
import { parseJsonc } from './jsonc.js';
import { readConfigText } from '../config-text.js';

export type SpecTarget = { file: string } | { external: true } | { missing: true };

const EXTS = ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_TO_TS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.d.ts'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts', '.d.mts'],
  '.cjs': ['.cts', '.d.cts'],
};

interface PathsConfig {
  /** Directory `paths` targets are relative to (baseUrl, else the config that declares `paths`). */
  pathsBase: string | null;
  paths: Array<{ prefix: string; suffix: string; wildcard: boolean; targets: string[] }>;
  baseUrl: string | null;
}

interface WorkspacePackage {
  name: string;
  dir: string;
  manifest: Record<string, unknown>;
}

/**
 * Config files read while resolving (absolute path → text, null when absent or unreadable): a later run
 * may reuse what this one resolved only while every one of them still reads the same (`sameConfigReads`).
 */
export type ConfigReads = Map<string, string | null>;

export function sameConfigReads(reads: ConfigReads): boolean {
  for (const [path, text] of reads) if (readConfigText(path) !== text) return false;
  return true;
}

export class ModuleResolver {
  /** Every config file this resolver read (manifests, tsconfigs and what they extend, probes included). */
  readonly reads: ConfigReads = new Map();
  private readonly configByDir = new Map<string, PathsConfig | null>();
  private readonly configs: Set<string>;
  private readonly packages: WorkspacePackage[];
  /** directory → specifier → target */
  private readonly memo = new Map<string, Map<string, SpecTarget>>();
  /** file → its directory's memo (no dirname or key string per lookup) */
  private readonly memoByFile = new Map<string, Map<string, SpecTarget>>();

  constructor(
    private readonly root: string,
    private readonly files: Set<string>,
    configPaths: string[],
  ) {
    this.configs = new Set(configPaths.filter((p) => /(^|\/)(tsconfig|jsconfig)\.json$/.test(p)));
    this.packages = configPaths
      .filter((p) => /(^|\/)package\.json$/.test(p))
      .map((p) => {
        const manifest = readJson(joinFs(root, p), this.reads) as Record<string, unknown> | undefined;
        return manifest && typeof manifest.name === 'string' ? { name: manifest.name, dir: posix.dirname(p), manifest } : null;
      })
      .filter((p): p is WorkspacePackage => p !== null)
      .sort((a, b) => b.name.length - a.name.length || a.dir.localeCompare(b.dir));
  }

  resolve(fromFile: string, spec: string): SpecTarget {
    let memo = this.memoByFile.get(fromFile);
    if (!memo) {
      const dir = posix.dirname(fromFile);
      memo = this.memo.get(dir);
      if (!memo) this.memo.set(dir, (memo = new Map()));
      this.memoByFile.set(fromFile, memo);
    }
    let hit = memo.get(spec);
    if (!hit) {
      hit = this.compute(posix.dirname(fromFile), spec);
      memo.set(spec, hit);
    }
    return hit;
  }

  private compute(fromDir: string, spec: string): SpecTarget {
    if (spec.startsWith('.')) {
      const file = this.probe(posix.join(fromDir, spec));
      return file ? { file } : { missing: true };
    }
    if (spec.startsWith('/') || spec.includes(':')) return { external: true }; // absolute, node:, URLs
    const config = this.configFor(fromDir);
    if (config) {
      const viaPaths = this.viaPaths(config, spec);
      if (viaPaths) return { file: viaPaths };
    }
    const pkg = this.packages.find((p) => spec === p.name || spec.startsWith(p.name + '/'));
    if (pkg) {
      const file = this.packageFile(pkg, spec.slice(pkg.name.length + 1));
      return file ? { file } : { missing: true };
    }
    return { external: true };
  }

  private viaPaths(config: PathsConfig, spec: string): string | null {
    for (const p of config.paths) {
      let star: string;
      if (p.wildcard) {
        if (!spec.startsWith(p.prefix) || !spec.endsWith(p.suffix) || spec.length < p.prefix.length + p.suffix.length) continue;
        star = spec.slice(p.prefix.length, spec.length - p.suffix.length);
      } else {
        if (spec !== p.prefix) continue;
        star = '';
      }
      for (const target of p.targets) {
        const file = this.probe(posix.join(config.pathsBase ?? '.', target.replace('*', star)));
        if (file) return file;
      }
    }
    return config.baseUrl !== null ? this.probe(posix.join(config.baseUrl, spec)) : null;
  }

  /** A file path (relative to the project root, maybe without extension) → an indexed file. */
  probe(base: string): string | null {
    const p = posix.normalize(base).replace(/\/$/, '');
    if (p.startsWith('..')) return null;
    if (this.files.has(p)) return p;
    const ext = posix.extname(p);
    for (const alt of JS_TO_TS[ext] ?? []) {
      const cand = p.slice(0, -ext.length) + alt;
      if (this.files.has(cand)) return cand;
    }
    for (const e of EXTS) if (this.files.has(p + e)) return p + e;
    for (const e of EXTS) if (this.files.has(`${p}/index${e}`)) return `${p}/index${e}`;
    return null;
  }

  private packageFile(pkg: WorkspacePackage, subpath: string): string | null {
    const at = (rel: string) => this.probe(posix.join(pkg.dir, rel)) ?? this.probe(posix.join(pkg.dir, toSource(rel)));
    if (subpath) return at(subpath) ?? at(posix.join('src', subpath));
    const m = pkg.manifest;
    const candidates = [m.source, m.types, m.typings, exportsEntry(m.exports), m.module, m.main].filter((c): c is string => typeof c === 'string');
    for (const c of candidates) {
      const hit = at(c);
      if (hit) return hit;
    }
    return at('src/index') ?? at('index');
  }

  /** The nearest tsconfig.json/jsconfig.json at or above `dir` inside the project. */
  private configFor(dir: string): PathsConfig | null {
    if (this.configByDir.has(dir)) return this.configByDir.get(dir)!;
    let found: PathsConfig | null = null;
    const here = dir === '.' ? '' : dir + '/';
    if (this.configs.has(`${here}tsconfig.json`)) found = this.loadConfig(`${here}tsconfig.json`);
    else if (this.configs.has(`${here}jsconfig.json`)) found = this.loadConfig(`${here}jsconfig.json`);
    else if (dir !== '.' && dir !== '') found = this.configFor(posix.dirname(dir));
    this.configByDir.set(dir, found);
    return found;
  }

  private loadConfig(rel: string): PathsConfig | null {
    const merged = loadCompilerOptions(joinFs(this.root, rel), 0, this.reads);
    if (!merged) return null;
    const toRel = (abs: string) => posix.relative(this.root.split('\\').join('/'), abs.split('\\').join('/')) || '.';
    const baseUrl = merged.baseUrl ? toRel(merged.baseUrl) : null;
    const pathsBase = merged.paths ? toRel(merged.baseUrl ?? merged.pathsDir!) : null;
    const paths = Object.entries(merged.paths ?? {}).map(([pattern, targets]) => {
      const star = pattern.indexOf('*');
      return {
        prefix: star === -1 ? pattern : pattern.slice(0, star),
        suffix: star === -1 ? '' : pattern.slice(star + 1),
        wildcard: star !== -1,
        targets: Array.isArray(targets) ? targets.filter((t): t is string => typeof t === 'string') : [],
      };
    });
    // Longest prefix first, as TypeScript matches patterns.
    paths.sort((a, b) => b.prefix.length - a.prefix.length);
    return { baseUrl, pathsBase, paths };
  }
}

interface CompilerPaths {
  baseUrl?: string; // absolute
  paths?: Record<string, unknown>;
  pathsDir?: string; // absolute dir of the config declaring `paths`
}

/** baseUrl and paths of a config, following `extends` (child options win), resolved to absolute paths. */
function loadCompilerOptions(absPath: string, depth: number, reads: ConfigReads): CompilerPaths | null {
  if (depth > 8) return null;
  const json = readJson(absPath, reads) as { extends?: unknown; compilerOptions?: { baseUrl?: unknown; paths?: unknown } } | undefined;
  if (!json || typeof json !== 'object') return null;
  const dir = posix.dirname(absPath.split('\\').join('/'));
  let result: CompilerPaths = {};
  const parents = Array.isArray(json.extends) ? json.extends : json.extends ? [json.extends] : [];
  for (const ext of parents) {
    if (typeof ext !== 'string') continue;
    const parentPath = extendsPath(dir, ext, reads);
    const parent = parentPath && loadCompilerOptions(parentPath, depth + 1, reads);
    if (parent) result = { ...result, ...parent };
  }
  const opts = json.compilerOptions ?? {};
  if (typeof opts.baseUrl === 'string') result.baseUrl = posix.resolve(dir, opts.baseUrl);
  if (opts.paths && typeof opts.paths === 'object') {
    result.paths = opts.paths as Record<string, unknown>;
    result.pathsDir = dir;
  }
  return result;
}

function extendsPath(dir: string, ext: string, reads: ConfigReads): string | null {
  if (ext.startsWith('.') || ext.startsWith('/')) {
    const p = posix.resolve(dir, ext);
    return p.endsWith('.json') ? p : `${p}.json`;
  }
  // A config shipped in a package (`@tsconfig/node20/tsconfig.json`): look in node_modules upwards.
  for (let d = dir; ; d = posix.dirname(d)) {
    const p = posix.join(d, 'node_modules', ext);
    const cand = p.endsWith('.json') ? p : `${p}.json`;
    if (readJson(cand, reads) !== undefined) return cand;
    if (readJson(posix.join(p, 'tsconfig.json'), reads) !== undefined) return posix.join(p, 'tsconfig.json');
    if (d === posix.dirname(d)) return null;
  }
}

function readJson(path: string, reads: ConfigReads): unknown {
  const text = readConfigText(path);
  reads.set(path, text);
  if (text === null) return undefined;
  try {
    return parseJsonc(text);
  } catch {
    return undefined;
  }
}

/** `exports["."]` as a path, preferring type/source conditions. */
function exportsEntry(exp: unknown, depth = 0): string | undefined {
  if (depth > 4 || exp === null || exp === undefined) return undefined;
  if (typeof exp === 'string') return exp;
  if (Array.isArray(exp)) return exportsEntry(exp[0], depth + 1);
  if (typeof exp !== 'object') return undefined;
  const o = exp as Record<string, unknown>;
  if ('.' in o) return exportsEntry(o['.'], depth + 1);
  for (const cond of ['source', 'types', 'import', 'module', 'default', 'require', 'node']) {
    if (cond in o) {
      const hit = exportsEntry(o[cond], depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** A built path mapped back to its source: `dist/esm/index.js` → `src/index`. */
function toSource(rel: string): string {
  return rel
    .replace(/^\.\//, '')
    .replace(/^(dist|lib|build|out)\/((esm|cjs|types|mjs|es|umd)\/)?/, 'src/')
    .replace(/\.d\.(m|c)?ts$|\.(m|c)?js$/, '');
}
