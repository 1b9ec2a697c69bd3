/**
 * The benchmark corpora: published packages at pinned versions, fetched with `npm pack` (so the bytes are
 * exactly what the registry serves, no git history or build step) into the git-ignored `.bench-cache/`,
 * extracted once and reused. Run directly (`node dist/bench/corpora.js [--corpus name]`) to fetch them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from './lib/args.js';
import { benchCacheDir, isMain } from './lib/paths.js';

const run = promisify(execFile);

export interface Corpus {
  name: string;
  pkg: string;
  version: string;
  /** Folder inside the package that is indexed (and checked). */
  subdir: string;
  /** Whether `npm run bench` measures call-graph accuracy on it (the compiler pass is slow on huge JS). */
  accuracy: boolean;
  /**
   * Skip limit handed to the indexer. The typescript corpus exists to exercise multi-megabyte JS files,
   * which the default 1 MiB limit would skip, so it raises the limit.
   */
  maxFileBytes?: number;
  /** Path mappings the package's own tsconfig uses for self-imports (compiler side of the accuracy check). */
  paths?: Record<string, string[]>;
}

export const CORPORA: Corpus[] = [
  {
    name: 'rxjs',
    pkg: 'rxjs',
    version: '7.8.1',
    subdir: 'src',
    accuracy: true,
    paths: { rxjs: ['./index.ts'], 'rxjs/*': ['./*'] },
  },
  {
    name: 'effect',
    pkg: 'effect',
    version: '3.10.0',
    subdir: 'src',
    accuracy: true,
    paths: { effect: ['./index.ts'], 'effect/*': ['./*'] },
  },
  { name: 'typescript', pkg: 'typescript', version: '5.6.3', subdir: 'lib', accuracy: false, maxFileBytes: 16 * 1024 * 1024 },
];

export function corpusByName(name: string): Corpus {
  const c = CORPORA.find((x) => x.name === name);
  if (!c) throw new Error(`unknown corpus ${JSON.stringify(name)}; known: ${CORPORA.map((x) => x.name).join(', ')}`);
  return c;
}

/** The selected corpora (all when none named). */
export function selectCorpora(names: string[]): Corpus[] {
  return names.length === 0 ? CORPORA : names.map(corpusByName);
}

function packageDir(c: Corpus): string {
  return join(benchCacheDir(), `${c.pkg}-${c.version}`);
}

/** The directory that is indexed: `.bench-cache/<pkg>-<version>/<subdir>`. */
export function corpusRoot(c: Corpus): string {
  return join(packageDir(c), c.subdir);
}

/**
 * Makes sure the corpus is extracted; returns its root and whether it was downloaded now. A marker file is
 * written last, so an interrupted fetch is redone rather than trusted half-extracted.
 */
export async function ensureCorpus(c: Corpus): Promise<{ root: string; fetched: boolean }> {
  const dir = packageDir(c);
  const marker = join(dir, '.codehive-bench-complete');
  if (existsSync(marker)) return { root: corpusRoot(c), fetched: false };
  const cache = benchCacheDir();
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, `.fetch-${c.pkg}-`));
  try {
    // execFile with an argument array: no shell, so a version string can never become a command.
    await run('npm', ['pack', `${c.pkg}@${c.version}`, '--pack-destination', work, '--silent'], {
      cwd: work,
      maxBuffer: 64 * 1024 * 1024,
    });
    const tgz = join(work, `${c.pkg.replace(/^@/, '').replace('/', '-')}-${c.version}.tgz`);
    if (!existsSync(tgz)) throw new Error(`npm pack did not produce ${tgz}`);
    await run('tar', ['-xzf', tgz, '-C', work]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(work, 'package'), dir);
    writeFileSync(marker, `${c.pkg}@${c.version} fetched ${new Date().toISOString()}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { root: corpusRoot(c), fetched: true };
}

async function main(): Promise<void> {
  const args = parseArgs();
  for (const c of selectCorpora(args.corpora)) {
    const { root, fetched } = await ensureCorpus(c);
    process.stdout.write(`corpus ${c.name.padEnd(10)} ${c.pkg}@${c.version}  ${fetched ? 'fetched' : 'cached '}  ${root}\n`);
  }
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`corpora: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
