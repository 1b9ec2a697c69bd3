/**
 * The daemon's memory over back-to-back full re-indexes: a real daemon (spawned by the CLI, with the
 * environment and V8 settings a shim would give it) indexes a corpus, then re-indexes it in full N times
 * through `codehive index --full`. After each: RSS, its anonymous part, the kernel's peak (VmHWM), and the
 * main thread's heap from `codehive status --json`; then again once the daemon's malloc trim (3 s after the
 * job) has run. A daemon whose memory is bounded shows a flat tail.
 *
 * Then, after the last trim, SESSIONS real MCP sessions (shims over stdio) query the corpus for QUERY_SEC
 * seconds, as agents do between edits: how much of what the trim gave back comes back under queries alone
 * (RSS, malloc's main arena — the `[heap]` mapping — and malloc's bytes in use and free). A query path that
 * churns native memory re-dirties the freed pages the index jobs left in the arena, and the RSS climbs
 * while the bytes in use stay flat.
 *
 *   node dist/bench/memory.js [--corpus effect] [--runs 8] [--sessions 12] [--query-sec 30]
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
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

/** Resident MB of malloc's main arena (the brk heap), from /proc/<pid>/smaps. */
function mainArenaMb(pid: number): number {
  const m = /\[heap\]\n(?:[^\n]*\n)*?Rss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(0)}`;

const QUERY_WORDS = ['Effect', 'map', 'flatMap', 'pipe', 'fiber', 'Layer', 'Stream', 'Schedule', 'Option', 'Either', 'succeed', 'catchAll', 'make', 'runtime', 'subscribe'];

/** Each session's loop: search_graph by words, search_code, trace_path and search_graph by name in turn, 20-60 ms apart. */
async function queryLoad(env: NodeJS.ProcessEnv, root: string, sessions: number, seconds: number): Promise<number> {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < sessions; i++) {
      const transport = new StdioClientTransport({ command: process.execPath, args: [join(repoRoot(), 'bin', 'codehive.js'), 'mcp'], cwd: root, env: env as Record<string, string>, stderr: 'ignore' });
      const client = new Client({ name: `bench-memory-${i}`, version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
    }
    const until = Date.now() + seconds * 1000;
    let calls = 0;
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = i; Date.now() < until; k++) {
          const w = QUERY_WORDS[k % QUERY_WORDS.length]!;
          const [name, args] = [
            ['search_graph', { query: w, limit: 20 }],
            ['search_code', { pattern: w }],
            ['trace_path', { symbol: w, direction: 'callers', depth: 2 }],
            ['search_graph', { name_pattern: w }],
          ][k % 4] as [string, Record<string, unknown>];
          await c.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
          calls++;
          await new Promise((r) => setTimeout(r, 20 + (k % 5) * 10));
        }
      }),
    );
    return calls;
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const args = parseArgs();
  const flag = (name: string, fallback: number) => {
    const at = args.rest.indexOf(name);
    return at >= 0 ? Number(args.rest[at + 1]) : fallback;
  };
  const runs = flag('--runs', 8);
  const sessions = flag('--sessions', 12);
  const querySec = flag('--query-sec', 30);
  const corpus = corpusByName(args.corpora[0] ?? 'effect');
  const { root } = await ensureCorpus(corpus);
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'chv-mem-')));
  const src = join(base, 'corpus');
  cpSync(root, src, { recursive: true });
  const env = { ...process.env, CODEHIVE_CACHE_DIR: join(base, 'cache'), CODEHIVE_SOCKET_DIR: join(base, 's') };
  const cli = (...a: string[]) => run(process.execPath, [join(repoRoot(), 'bin', 'codehive.js'), ...a], { env, maxBuffer: 64 * 1024 * 1024 });
  type Status = {
    pid: number;
    memory: { heapUsedBytes: number; release?: { available: boolean; trims: number }; malloc?: { inUseBytes: number; freeBytes: number } | null };
  };
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

    if (sessions > 0 && querySec > 0) {
      const snap = async () => {
        const s = await status();
        const mb = (b: number | undefined) => (b === undefined ? 'n/a' : (b / 1048576).toFixed(0));
        const rss = procStatusMb(s.pid, 'VmRSS');
        const arena = mainArenaMb(s.pid);
        return {
          rss,
          arena,
          text: `RSS ${rss.toFixed(0)} MB, main arena ${arena.toFixed(0)} MB, malloc in use ${mb(s.memory.malloc?.inUseBytes)} MB, free ${mb(s.memory.malloc?.freeBytes)} MB`,
        };
      };
      const before = await snap();
      process.stdout.write(`queries after the last trim, ${sessions} sessions × ${querySec} s — before: ${before.text}\n`);
      const calls = await queryLoad(env, src, sessions, querySec);
      const after = await snap();
      process.stdout.write(`  after ${calls} calls (${(calls / querySec).toFixed(0)}/s): ${after.text} · RSS ${signed(after.rss - before.rss)} MB, main arena ${signed(after.arena - before.arena)} MB\n`);
    }
  } finally {
    await cli('stop').catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench/memory failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
