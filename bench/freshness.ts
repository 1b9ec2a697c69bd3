/**
 * Freshness benchmark: edit → visible latency and the CPU cost of an idle watcher, with the real indexer and the
 * real watcher in one process (no daemon, no socket: this measures the watcher + incremental index path).
 *
 *   npm run build && node dist/bench/freshness.js [corpusDir] [--edits 50] [--idle-seconds 10] [--watcher-only]
 *
 * corpusDir defaults to the `effect` corpus of bench/corpora.ts (.bench-cache/effect-3.10.0/src). The corpus is
 * copied to a temp dir first; the cache is never edited. Each edit appends a new exported function to a
 * source file, then calls flush() (read-your-writes) and queries the nodes table of the live snapshot: the
 * latency is write → the function is queryable. Figures only, no assertions. Output goes to stderr/stdout of
 * this script, which is a person's terminal, never the MCP channel.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, appendFileSync, realpathSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { daemonSettings, type DaemonSettings } from '../packages/config/index.js';
import type { Indexer } from '../packages/indexer/api.js';
import { createLogger, type Logger } from '../packages/log/index.js';
import { Store } from '../packages/store/db.js';
import { corpusByName, corpusRoot } from './corpora.js';
import { createWatchManager } from '../packages/watcher/index.js';

type CreateIndexer = (store: Store, settings: DaemonSettings, log: Logger) => Indexer;


function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

function sourceFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...sourceFiles(dir, r));
    else if (e.isFile() && /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(r);
  }
  return out;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function inotifyWatches(): number | null {
  if (process.platform !== 'linux') return null;
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += (readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

async function main(): Promise<void> {
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
  const corpus = positional[0] ? resolve(positional[0]) : corpusRoot(corpusByName('effect'));
  const edits = arg('--edits', 50);
  const idleSeconds = arg('--idle-seconds', 10);
  if (!existsSync(corpus)) {
    console.error(`corpus ${corpus} not found. Fetch it first: npm run build && node dist/bench/corpora.js --corpus effect, ` +
      `or pass any TS source dir: node dist/bench/freshness.js <dir>`);
    process.exitCode = 2;
    return;
  }
  let createIndexer: CreateIndexer | null = null;
  if (!process.argv.includes('--watcher-only')) {
    try {
      // Loaded at run time so this file compiles while the indexer is being written.
      const spec = new URL('../packages/indexer/index.js', import.meta.url).href;
      createIndexer = ((await import(spec)) as { createIndexer: CreateIndexer }).createIndexer;
    } catch (err) {
      console.error(`the indexer (packages/indexer/index.ts) is not built (${(err as Error).message}); measuring the watcher alone`);
    }
  }
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-freshness-')));
  const root = join(work, 'repo');
  cpSync(corpus, root, { recursive: true });
  const log = createLogger(join(work, 'bench.log'), { tag: 'bench', level: 'info' });
  const settings = daemonSettings();
  const store = Store.open(join(work, 'graph.db'), { mmapSize: settings.mmapSize, journalSizeLimit: settings.journalSizeLimit });
  const indexer = createIndexer ? createIndexer(store, settings, log) : null;
  const files = sourceFiles(root);
  console.log(`corpus ${corpus}: ${files.length} source files (copied to ${root})`);

  let projectId = 1;
  if (indexer) {
    const t0 = performance.now();
    const full = await indexer.index(root, { mode: 'full' });
    console.log(`full index: ${Math.round(performance.now() - t0)} ms, ${full.nodes} nodes, ${full.edges} edges`);
    projectId = full.projectId;
  } else {
    console.log('watcher only: a batch counts as applied when onBatch receives it (no index, no query)');
  }

  let batches = 0;
  const delivered = new Set<string>();
  const incrementalMs: number[] = [];
  const watchers = createWatchManager({
    log,
    onBatch: async (b) => {
      batches++;
      const s = performance.now();
      if (indexer) await indexer.index(b.root, { mode: 'incremental', changedPaths: b.paths ?? undefined });
      else for (const p of b.paths ?? []) delivered.add(p);
      incrementalMs.push(performance.now() - s);
    },
  });
  const watchesBefore = inotifyWatches();
  const tw = performance.now();
  const status = await watchers.watch(projectId, root);
  console.log(`watch: ${status.state}${status.warning ? ` (${status.warning})` : ''}, subscribe took ${Math.round(performance.now() - tw)} ms` +
    (watchesBefore === null ? '' : `, ${inotifyWatches()! - watchesBefore} inotify watches`));

  // Idle CPU: nothing changes; the watcher should cost (close to) nothing.
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  console.log(`idle ${idleSeconds} s: user ${(cpu.user / 1000).toFixed(1)} ms, system ${(cpu.system / 1000).toFixed(1)} ms ` +
    `(${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(2)}% of one core)`);

  const hasNode = store.db.prepare(
    `SELECT 1 FROM nodes n JOIN projects p ON p.snapshot = n.snapshot WHERE p.id = ? AND n.name = ? LIMIT 1`,
  );
  const latencies: number[] = [];
  let misses = 0;
  for (let i = 0; i < edits; i++) {
    const file = files[(i * 7919) % files.length]!;
    const name = `__codehiveFreshness${i}`;
    const start = performance.now();
    appendFileSync(join(root, file), `\nexport function ${name}(x: number): number {\n  return x + ${i};\n}\n`);
    const res = await watchers.flush(projectId, { timeoutMs: 10_000 });
    const seen = indexer ? hasNode.get(projectId, name) !== undefined : delivered.has(file);
    delivered.clear();
    const ms = performance.now() - start;
    if (!seen || !res.complete) {
      misses++;
      console.error(`  edit ${i} (${file}) not visible after flush: ${JSON.stringify(res)}, pending ${JSON.stringify(watchers.pending(projectId))}`);
    }
    latencies.push(ms);
    // Space the edits out a little, like edits from an agent, so each is its own batch.
    await new Promise((r) => setTimeout(r, 50));
  }
  latencies.sort((a, b) => a - b);
  incrementalMs.sort((a, b) => a - b);
  console.log(`edit → visible over ${edits} edits: p50 ${pct(latencies, 50).toFixed(1)} ms, p95 ${pct(latencies, 95).toFixed(1)} ms, ` +
    `max ${latencies[latencies.length - 1]!.toFixed(1)} ms, not visible after flush: ${misses}`);
  if (incrementalMs.length) {
    console.log(`  of which ${indexer ? 'incremental index' : 'onBatch'} per batch: p50 ${pct(incrementalMs, 50).toFixed(1)} ms, p95 ${pct(incrementalMs, 95).toFixed(1)} ms (${batches} batches)`);
  }

  await watchers.close();
  await indexer?.close();
  store.close();
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
