/**
 * What a project watcher ignores, in two forms:
 *  - `native`: globs (root-relative, picomatch syntax) handed to @parcel/watcher's `ignore` option. The native
 *    tree walk skips matching directories, so they cost no inotify watch at all — the point of the exercise:
 *    a repo's node_modules can hold more directories than the default inotify limit allows.
 *  - `test`: a predicate over every event's root-relative posix path, the real rules. The indexer owns the
 *    ignore rules (packages/indexer); the daemon should pass its predicate here so the watcher and the indexer
 *    can never disagree. `defaultIgnore` is only the fallback used when the caller passes none.
 *
 * The native list is derived cheaply and conservatively: the well-known build/vendor dirs plus plain directory
 * entries of the root .gitignore/.codehiveignore. A file with any negation (`!`) contributes nothing native,
 * because a negated path under an ignored directory would then never be seen — over-watching is only a cost,
 * under-watching loses edits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WatchIgnore {
  /** Root-relative globs/paths never watched (cost no inotify watches). */
  native: string[];
  /** True when an event for this root-relative posix path must be dropped. */
  test(relPath: string): boolean;
}

/** Builds the ignore rules for a root; called again when an ignore file at the root changes. */
export type IgnoreSource = (root: string) => WatchIgnore;

/** Never worth a watch in a TS/JS repository. */
export const ALWAYS_IGNORED_DIRS: readonly string[] = ['node_modules', '.git', 'dist', 'build', 'coverage'];

/** Globs for directory names ignored at any depth (both the dir itself and everything under it). */
export function dirGlobs(names: readonly string[]): string[] {
  return names.flatMap((n) => [`**/${n}`, `**/${n}/**`]);
}

/** The fallback rules: well-known dirs plus simple directory lines of the root ignore files. */
export function defaultIgnore(root: string): WatchIgnore {
  const names = new Set(ALWAYS_IGNORED_DIRS);
  const anchored = new Set<string>();
  for (const file of ['.gitignore', '.codehiveignore']) {
    const entries = simpleDirEntries(root, file);
    for (const e of entries.names) names.add(e);
    for (const e of entries.anchored) anchored.add(e);
  }
  const native = [...dirGlobs([...names]), ...[...anchored].flatMap((a) => [a, `${a}/**`])];
  return {
    native,
    test(rel) {
      const parts = rel.split('/');
      for (let i = 0; i < parts.length; i++) {
        if (names.has(parts[i]!)) return true;
        if (anchored.has(parts.slice(0, i + 1).join('/'))) return true;
      }
      return false;
    },
  };
}

/**
 * Lines of one ignore file that name a directory plainly: `name`, `name/`, `/name`, `/a/b/` — no wildcards, no
 * negation anywhere in the file. Bare `name` may also match files; ignoring a same-named file is what git does
 * too, so that is harmless.
 */
function simpleDirEntries(root: string, file: string): { names: string[]; anchored: string[] } {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch {
    return { names: [], anchored: [] };
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.some((l) => l.startsWith('!'))) return { names: [], anchored: [] };
  const names: string[] = [];
  const anchored: string[] = [];
  for (const line of lines) {
    if (/[*?[\]\\{}]/.test(line)) continue;
    const body = line.replace(/\/+$/, '');
    if (!body || body === '.' || body.includes('..')) continue;
    const inner = body.replace(/^\/+/, '');
    // git anchors a pattern that starts with or contains a slash to the ignore file's directory.
    if (line.startsWith('/') || inner.includes('/')) anchored.push(inner);
    else names.push(inner);
  }
  return { names, anchored };
}
