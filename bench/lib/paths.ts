/**
 * Where the benchmarks find the repository and their cache. Compiled files run from dist/bench/…, sources
 * are read by vitest from bench/…; both find the repo by walking up to codehive's package.json rather than
 * counting `..`s, so moving a file does not silently point the cache somewhere else.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'codehive') return (cached = dir);
      } catch {
        /* not ours; keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find codehive's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The git-ignored folder holding downloaded tarballs and extracted corpora. */
export function benchCacheDir(): string {
  return join(repoRoot(), '.bench-cache');
}

/** True when the module at `moduleUrl` is the script node was started with (not imported by another). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}
