/**
 * What a project watcher ignores, in two forms:
 *  - `native`: globs (root-relative, picomatch syntax) handed to the backend's `ignore` option. The native
 *    tree walk skips matching directories, so they cost no inotify watch at all — the point of the exercise:
 *    a repo's node_modules can hold more directories than the default inotify limit allows.
 *  - `test`: a predicate over every event's root-relative posix path, the real rules. The indexer owns the
 *    ignore rules (packages/indexer/ignore-rules.ts); `defaultIgnore` uses its `watchIgnore` so the watcher and
 *    the indexer can never disagree. A caller may pass other rules per project (tests do).
 *
 * The native list is derived cheaply and conservatively: the indexer's built-in dirs plus plain directory
 * entries of the root .gitignore/.codehiveignore. A file with any negation (`!`) contributes nothing native,
 * because a negated path under an ignored directory would then never be seen — over-watching is only a cost,
 * under-watching loses edits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { watchIgnore } from '../indexer/ignore-rules.js';

export interface WatchIgnore {
  /** Root-relative globs/paths never watched (cost no inotify watches). */
  native: string[];
  /** True when an event for this root-relative posix path must be dropped. */
  test(relPath: string): boolean;
}

/** Builds the ignore rules for a root; called again when an ignore file at the root changes. */
export type IgnoreSource = (root: string) => WatchIgnore;

/** Globs for directory names ignored at any depth (both the dir itself and everything under it). */
export function dirGlobs(names: readonly string[]): string[] {
  return names.flatMap((n) => [`**/${n}`, `**/${n}/**`]);
}

/**
 * The default rules: the indexer's (`watchIgnore` in packages/indexer/ignore-rules.ts: built-in dirs natively,
 * every .gitignore/.codehiveignore/.git/info/exclude for events), plus native globs for the plain directory
 * lines of the root ignore files so that, e.g., a gitignored `generated/` tree costs no watches either.
 */
export function defaultIgnore(root: string): WatchIgnore {
  const indexer = watchIgnore(root);
  return { native: [...new Set([...indexer.native, ...gitignoreDirGlobs(root)])], test: (rel) => indexer.test(rel) };
}

/** Native globs for the plain directory lines of the root .gitignore and .codehiveignore. */
export function gitignoreDirGlobs(root: string): string[] {
  const out: string[] = [];
  for (const file of ['.gitignore', '.codehiveignore']) {
    const { names, anchored } = simpleDirEntries(root, file);
    out.push(...dirGlobs(names), ...anchored.flatMap((a) => [a, `${a}/**`]));
  }
  return out;
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
