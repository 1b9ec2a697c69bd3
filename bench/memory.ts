/**
 * The daemon's memory over back-to-back full re-indexes: a real daemon (spawned by the CLI, with the
 * environment and V8 settings a shim would give it) indexes a corpus, then re-indexes it in full N times
 * through `codehive index --full`. After each: RSS, its anonymous part, the kernel's peak (VmHWM), and the
 * main thread's heap from `codehive status --json`; then again once the daemon's malloc trim (3 s after the
 * job) has run. A daemon whose memory is bounded shows a flat tail.
 *
 *   node dist/bench/memory.js [--corpus effect] [--runs 8]
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { corpusByName, ensureCorpus } from './corpora.js';
import { parseArgs } from './lib/args.js';
import { repoRoot } from './lib/paths.js';
import { procStatusKb } from './lib/procs.js';

const run = promisify(execFile);

function procStatusMb(pid: number, field: string): number {
  return (procStatusKb(pid, field) ?? NaN) / 1024;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const runsAt = args.rest.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args.rest[runsAt + 1]) : 8;
  const corpus = corpusByName(args.corpora[0] ?? 'effect');
  const { root } = await ensureCorpus(corpus);
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'chv-mem-')));
  const src = join(base, 'corpus');
  cpSync(root, src, { recursive: true });
  const env = { ...process.env, CODEHIVE_CACHE_DIR: join(base, 'cache'), CODEHIVE_SOCKET_DIR: join(base, 's') };
  const cli = (...a: string[]) => run(process.execPath, [join(repoRoot(), 'bin', 'codehive.js'), ...a], { env, maxBuffer: 64 * 1024 * 1024 });
  type Status = { pid: number; memory: { heapUsedBytes: number; release?: { available: boolean; trims: number } } };
  const status = async () => JSON.parse((await cli('status', '--json')).stdout) as Status;
  const trims = (s: Status) => s.memory.release?.trims ?? 0;
  /** RSS once the daemon trimmed after the job, and its trim count then (rss null where it cannot trim). */
  const afterTrim = async (before: number): Promise<{ rss: number | null; trims: number }> => {
    let s = await status();
    for (let i = 0; i < 40 && s.memory.release?.available && trims(s) <= before; i++) {
      await new Promise((r) => setTimeout(r, 250));
      s = await status();
    }
    return { rss: s.memory.release?.available && trims(s) > before ? procStatusMb(s.pid, 'VmRSS') : null, trims: trims(s) };
  };
  try {
    process.stdout.write(`daemon memory over ${runs} full re-indexes · corpus ${corpus.name} · ${new Date().toISOString()}\n`);
    const rows: number[] = [];
    const trimmedRows: number[] = [];
    let trimsBefore = 0;
    for (let i = 0; i <= runs; i++) {
      await cli('index', ...(i ? ['--full'] : []), src);
      const s = await status();
      const rss = procStatusMb(s.pid, 'VmRSS');
      rows.push(rss);
      const after = await afterTrim(trimsBefore);
      const trimmed = after.rss;
      trimsBefore = after.trims;
      if (trimmed !== null) trimmedRows.push(trimmed);
      process.stdout.write(
        `${i ? `full re-index ${i}` : 'first index'}: RSS ${rss.toFixed(0)} MB (anonymous ${procStatusMb(s.pid, 'RssAnon').toFixed(0)}) · ` +
          `peak ${procStatusMb(s.pid, 'VmHWM').toFixed(0)} MB · main heap ${(s.memory.heapUsedBytes / 1048576).toFixed(0)} MB · ` +
          `after the trim ${trimmed === null ? 'n/a' : `${trimmed.toFixed(0)} MB`}\n`,
      );
    }
    const range = (xs: number[]) => (xs.length ? `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} MB` : 'n/a');
    const half = (xs: number[]) => xs.slice(Math.ceil(xs.length / 2));
    process.stdout.write(`second half: RSS ${range(half(rows))} right after each index, ${range(half(trimmedRows))} after the trim\n`);
  } finally {
    await cli('stop').catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench/memory failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
