/**
 * Listing a project's source files: a stat-only walk (no reads) that honours the ignore rules, never
 * follows a symlinked directory (so a link loop cannot trap it), and skips files over the size limit. The
 * same walk serves `changedSince`, so it must stay cheap.
 */
import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { join } from 'node:path';
import type { SkippedFile } from './api.js';
import type { Lang } from './facts.js';
import { IgnoreRules, isSourceFile } from './ignore-rules.js';
import { tooLarge } from './extract/parse-file.js';

export interface DiscoveredFile {
  path: string;
  lang: Lang;
  size: number;
  mtimeMs: number;
}

export interface Discovery {
  files: DiscoveredFile[];
  /** tsconfig.json / jsconfig.json / package.json paths (module resolution inputs). */
  configs: string[];
  skipped: SkippedFile[];
}

const CONFIG = /^(tsconfig|jsconfig|package)\.json$/;
/**
 * The walk uses synchronous readdir/stat in slices of at most this long, then yields to the event loop: on
 * a daemon's busy main thread, hundreds of thread-pool round trips (async fs) cost a query 25–60 ms per
 * freshness scan of effect's 360 files, where the same stats done inline take 2–4 ms.
 */
const SLICE_MS = 4;

export function languageOf(path: string): Lang {
  if (path.endsWith('.tsx')) return 'tsx';
  if (/\.(ts|mts|cts)$/.test(path)) return 'typescript';
  return 'javascript';
}

export async function discover(root: string, maxFileBytes: number, signal?: AbortSignal): Promise<Discovery> {
  const rules = new IgnoreRules(root);
  const out: Discovery = { files: [], configs: [], skipped: [] };
  const dirs = ['.'];
  let slice = performance.now();
  while (dirs.length) {
    signal?.throwIfAborted();
    if (performance.now() - slice > SLICE_MS) {
      await yieldToLoop();
      slice = performance.now();
    }
    const dir = dirs.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir === '.' ? root : join(root, dir), { withFileTypes: true });
    } catch (err) {
      if (dir !== '.') out.skipped.push({ path: dir, reason: `unreadable directory: ${(err as NodeJS.ErrnoException).code ?? err}` });
      else throw err;
      continue;
    }
    const files: Array<{ rel: string; link: boolean }> = [];
    for (const e of entries) {
      const rel = dir === '.' ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (!rules.ignoredEntry(rel, true)) dirs.push(rel);
      } else if (e.isSymbolicLink()) {
        if (isSourceFile(e.name) && !rules.ignoredEntry(rel, false)) files.push({ rel, link: true });
        else if (!rules.ignoredEntry(rel, true)) {
          const report = symlinkReport(root, rel);
          if (report) out.skipped.push(report);
        }
      } else if (e.isFile()) {
        if (CONFIG.test(e.name)) out.configs.push(rel);
        if (isSourceFile(e.name) && !rules.ignoredEntry(rel, false)) files.push({ rel, link: false });
      }
    }
    for (const f of files) {
      statInto(root, f.rel, maxFileBytes, out);
      if (performance.now() - slice > SLICE_MS) {
        await yieldToLoop();
        slice = performance.now();
      }
    }
  }
  out.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.configs.sort();
  out.skipped.sort((a, b) => (a.path < b.path ? -1 : 1));
  return out;
}

function statInto(root: string, rel: string, maxFileBytes: number, out: Discovery): void {
  try {
    const st = statSync(join(root, rel)); // follows a symlinked file; a loop fails with ELOOP
    if (!st.isFile()) {
      out.skipped.push({ path: rel, reason: 'not a regular file' });
    } else if (st.size > maxFileBytes) {
      out.skipped.push({ path: rel, reason: tooLarge(st.size, maxFileBytes) });
    } else {
      out.files.push({ path: rel, lang: languageOf(rel), size: st.size, mtimeMs: Math.floor(st.mtimeMs) });
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    out.skipped.push({ path: rel, reason: code === 'ELOOP' ? 'symlink loop' : `unreadable: ${code ?? (err as Error).message}` });
  }
}

/** A symlink that is not a source file: a directory link is never followed; say so (and spot loops). */
function symlinkReport(root: string, rel: string): SkippedFile | null {
  try {
    const st = statSync(join(root, rel));
    return st.isDirectory() ? { path: rel, reason: 'symlinked directory (not followed)' } : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path: rel, reason: code === 'ELOOP' ? 'symlink loop' : `broken symlink: ${code ?? 'unknown'}` };
  }
}

/** Where a previous discovery left off: its files (with size/mtime), configs and skipped entries. */
export interface KnownTree {
  files: Iterable<DiscoveredFile>;
  configs: string[];
  skipped: SkippedFile[];
}

/** Names whose change can alter what a scan finds or how modules resolve: these always take a full scan. */
const RESCAN_ALL = /^(tsconfig\.json|jsconfig\.json|package\.json|\.gitignore|\.codehiveignore|exclude)$/;
/** More hinted paths than this: a full walk is as cheap and simpler. */
const MAX_HINTED = 256;

/**
 * The result `discover` would give, computed from a previous discovery plus a list of the paths that changed
 * (the watcher's hint), statting only those. Returns null when the hint cannot be trusted to be enough: a
 * config or ignore file changed, a hinted path is (or was) a directory, a file appeared in a directory the
 * previous walk never entered, or the list is long. Rules are the walk's: ignore rules, size limit, symlinks.
 */
export async function rediscover(root: string, maxFileBytes: number, known: KnownTree, hinted: string[]): Promise<Discovery | null> {
  if (hinted.length > MAX_HINTED) return null;
  const files = new Map<string, DiscoveredFile>();
  const dirs = new Set<string>(['.']);
  for (const f of known.files) {
    files.set(f.path, f);
    for (let d = f.path.lastIndexOf('/'); d > 0; d = f.path.lastIndexOf('/', d - 1)) {
      const dir = f.path.slice(0, d);
      if (dirs.has(dir)) break;
      dirs.add(dir);
    }
  }
  const paths = [...new Set(hinted.map((p) => p.replace(/\\/g, '/').replace(/^\.\//, '')))];
  const skippedNow = new Set(paths);
  const out: Discovery = { files: [], configs: [...known.configs], skipped: known.skipped.filter((s) => !skippedNow.has(s.path)) };
  let rules: IgnoreRules | null = null;
  for (const rel of paths) {
    if (!rel || rel.startsWith('../') || rel.startsWith('/') || rel.split('/').includes('..')) return null;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (RESCAN_ALL.test(name) || dirs.has(rel)) return null;
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '.';
    files.delete(rel);
    let st;
    try {
      st = lstatSync(join(root, rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed (or never there)
      return null;
    }
    if (st.isDirectory()) return null;
    if (!isSourceFile(name)) {
      if (st.isSymbolicLink()) return null; // maybe a linked directory: the walk reports those
      continue;
    }
    if (!dirs.has(parent)) return null; // a directory the last walk did not enter (new, ignored or linked)
    rules ??= new IgnoreRules(root);
    if (rules.ignored(rel)) continue;
    const sink: Discovery = { files: [], configs: [], skipped: [] };
    statInto(root, rel, maxFileBytes, sink);
    for (const f of sink.files) files.set(f.path, f);
    out.skipped.push(...sink.skipped);
  }
  out.files = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.skipped.sort((a, b) => (a.path < b.path ? -1 : 1));
  return out;
}
