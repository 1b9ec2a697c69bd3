/**
 * Which file-system events can change the graph. The indexer only reads TS/JS sources and the few config
 * files that change how imports resolve or which files are indexed; every other event is dropped here so that
 * a docs edit or a build writing `.map` files does not start an index job.
 *
 * Directory events matter even though directories have no extension: both backends report a directory
 * moved out of (or into) the tree as ONE event for the directory, not one per file inside it (tested), so dropping it would leave the moved files' symbols in the graph. A created path is stat'ed to
 * learn whether it is a directory; a deleted one cannot be, so a deleted path is kept unless its extension
 * says it was surely a plain file of a kind the indexer never reads.
 */
import { lstatSync } from 'node:fs';
import { posix } from 'node:path';

/** Source extensions the indexer parses. */
export const SOURCE_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

/** Files that change resolution (package.json, tsconfig*.json) or the set of indexed files (ignore files). */
export function isConfigFile(base: string): boolean {
  return base === 'package.json' || (base.startsWith('tsconfig') && base.endsWith('.json')) || isIgnoreFile(base);
}

/** Files whose change alters which paths are indexed at all; a change to one means "rescan everything". */
export function isIgnoreFile(base: string): boolean {
  return base === '.gitignore' || base === '.codehiveignore';
}

/**
 * Extensions that name plain files the indexer never reads. Only used to drop *delete* events (a deleted path
 * cannot be stat'ed): a directory named `docs.md` would be missed, a risk we take to keep editor temp files and
 * build output from triggering no-op index jobs.
 */
const SURELY_FILES = new Set([
  '.json', '.md', '.markdown', '.txt', '.map', '.log', '.lock', '.yml', '.yaml', '.toml', '.css', '.scss', '.less',
  '.html', '.htm', '.svg', '.png', '.jpg', '.jpeg', '.gif', '.webp', '.ico', '.woff', '.woff2', '.ttf',
  '.swp', '.swo', '.swx', '.tmp', '.bak', '.orig', '.tsbuildinfo', '.snap', '.csv', '.zip', '.gz', '.tgz',
  '.pdf', '.wasm', '.node', '.so', '.dylib', '.sh', '.py', '.rs', '.go', '.java', '.c', '.h', '.cpp',
]);

export type EventKind = 'create' | 'update' | 'delete';

/** True when the index may depend on `rel` (a root-relative posix path) after an event of `kind`. */
export function isRelevant(rel: string, kind: EventKind, abs: string): boolean {
  const base = posix.basename(rel);
  const ext = posix.extname(base).toLowerCase();
  if (SOURCE_EXTENSIONS.has(ext) || isConfigFile(base)) return true;
  if (kind === 'delete') return !SURELY_FILES.has(ext);
  // create/update of something else: only a directory matters (its contents may have moved in with it).
  try {
    return lstatSync(abs).isDirectory();
  } catch {
    return false; // already gone again (a temp file); its delete event, if any, is judged on its own
  }
}
