/**
 * What the indexer (and, through `watchIgnore`, the watcher) ignores: built-in directories that never hold
 * project source, every `.gitignore` in the tree, `.git/info/exclude`, and `.codehiveignore` files (gitignore
 * syntax, any level). Matching is the `ignore` package's gitignore implementation; each file's patterns
 * apply to paths relative to the directory holding it, as in git.
 */
import { join, posix } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { readConfigText } from './config-text.js';

export const BUILTIN_IGNORED_DIRS: readonly string[] = [
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', 'jspm_packages', 'dist', 'build', 'coverage', 'out',
  '.next', '.nuxt', '.svelte-kit', '.turbo', '.cache', '.parcel-cache', '.yarn', '.pnpm-store', '.vercel', '.output',
  '.nyc_output', '.idea', '.vscode',
];
const BUILTIN_DIRS = new Set(BUILTIN_IGNORED_DIRS);
const IGNORE_FILES = ['.gitignore', '.codehiveignore'];
/** Generated bundles: huge single-line files that are never worth a graph. */
const BUILTIN_FILE = /\.min\.(js|mjs|cjs)$/;

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/**
 * Paths an IgnoreRules answers for before it forgets what it remembered. The `ignore` package caches the
 * verdict of every path it is asked about, forever, and so do our per-directory verdicts: for a walk that is
 * right (each path once, the rules dropped after), but the watcher keeps one IgnoreRules for a project's
 * whole life and asks about every event's path, and editors, builds and agents make new names all the time
 * (swap and backup files, temp files, renames). In a 16-session soak its caches grew by ~30 paths a minute
 * with no bound. Forgetting costs re-reading the ignore files once per this many paths.
 */
export const MAX_PATHS_REMEMBERED = 10_000;

export class IgnoreRules {
  private readonly perDir = new Map<string, Ignore | null>();
  private readonly dirVerdict = new Map<string, boolean>();
  private asked = 0;

  constructor(private readonly root: string) {}

  /** `rel` is root-relative with '/' separators; ancestors are assumed not ignored (the walk prunes them). */
  ignoredEntry(rel: string, isDir: boolean): boolean {
    const name = posix.basename(rel);
    if (isDir ? BUILTIN_DIRS.has(name) : BUILTIN_FILE.test(name)) return true;
    let dir = posix.dirname(rel);
    for (;;) {
      const rules = this.rules(dir);
      if (rules) {
        const sub = dir === '.' ? rel : rel.slice(dir.length + 1);
        if (rules.ignores(isDir ? `${sub}/` : sub)) return true;
      }
      if (dir === '.') return false;
      dir = posix.dirname(dir);
    }
  }

  /** Any root-relative path, checking its ancestors too (for watcher events). */
  ignored(rel: string): boolean {
    if (++this.asked > MAX_PATHS_REMEMBERED) this.reset();
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      let v = this.dirVerdict.get(dir);
      if (v === undefined) {
        v = this.ignoredEntry(dir, true);
        this.dirVerdict.set(dir, v);
      }
      if (v) return true;
    }
    return this.ignoredEntry(rel, false);
  }

  /** Forgets the ignore files read and every verdict: an ignore file changed, or MAX_PATHS_REMEMBERED were asked about. */
  reset(): void {
    this.perDir.clear();
    this.dirVerdict.clear();
    this.asked = 0;
  }

  private rules(dir: string): Ignore | null {
    if (this.perDir.has(dir)) return this.perDir.get(dir)!;
    let ig: Ignore | null = null;
    const files = dir === '.' ? [...IGNORE_FILES, '.git/info/exclude'] : IGNORE_FILES;
    for (const f of files) {
      const text = readConfigText(join(this.root, dir, f));
      if (text === null) continue;
      ig ??= ignore({ allowRelativePaths: true });
      ig.add(text);
    }
    this.perDir.set(dir, ig);
    return ig;
  }
}

export function isSourceFile(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && SOURCE_EXTENSIONS.includes(name.slice(dot));
}

/**
 * The indexer's rules in the shape the watcher takes (packages/watcher/ignore.ts `WatchIgnore`): `native`
 * globs for directories never worth a watch, and `test` for every event path.
 */
export function watchIgnore(root: string): { native: string[]; test(rel: string): boolean } {
  const rules = new IgnoreRules(root);
  return {
    native: BUILTIN_IGNORED_DIRS.flatMap((n) => [`**/${n}`, `**/${n}/**`]),
    test: (rel) => {
      const name = posix.basename(rel);
      if (IGNORE_FILES.includes(name)) rules.reset();
      return rules.ignored(rel);
    },
  };
}
