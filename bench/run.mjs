#!/usr/bin/env node
// `npm run bench`: runs the compiled benchmarks from dist/bench/ in order, each in its own process (a
// crash or a memory peak in one never colours the next one's figures). Build first: `npm run build`.
//
//   npm run bench                          everything
//   npm run bench -- --only accuracy       one benchmark by name (repeatable, or comma-separated)
//   npm run bench -- --corpus effect       restrict corpus-based benchmarks to one corpus (repeatable)
//   npm run bench -- --list                show the registered benchmarks
//
// Plain JavaScript on purpose: it must run before (and report a missing) build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'bench');

/**
 * The registry, in run order. `corpus: true` means the script understands `--corpus <name>`.
 * Daemon / shim / soak benchmarks: add an entry here (keep the file under dist/bench/, named after what it
 * measures, e.g. `daemon-sessions.js`) — nothing else needs to change.
 */
const BENCHMARKS = [
  { name: 'corpora', file: 'corpora.js', corpus: true, about: 'fetch and cache the pinned corpora (npm pack)' },
  { name: 'indexing', file: 'indexing.js', corpus: true, about: 'full index speed, RSS, graph size, one-file re-index, query p99 while indexing' },
  { name: 'accuracy', file: 'accuracy.js', corpus: true, about: 'CALLS edges vs the TypeScript checker: precision, recall' },
  // ── other benchmarks (daemon, shim, …) go below this line ──
  { name: 'daemon', file: 'daemon.js', corpus: true, about: 'shim start-up cold/warm, round trip, RSS, search_graph p50/p99 and calls/s at 1/4/8/16 sessions' },
  { name: 'memory', file: 'memory.js', corpus: true, about: 'daemon RSS and heap over back-to-back full re-indexes (bounded memory: a flat tail)' },
  { name: 'freshness', file: 'freshness.js', corpus: false, about: 'edit → visible latency (p50/p95 over 50 edits), idle watcher CPU' },
];

function parse(argv) {
  const only = [];
  const corpora = [];
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = () => {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      return v.split(',');
    };
    if (a === '--only') only.push(...take());
    else if (a.startsWith('--only=')) only.push(...a.slice(7).split(','));
    else if (a === '--corpus') corpora.push(...take());
    else if (a.startsWith('--corpus=')) corpora.push(...a.slice(9).split(','));
    else if (a === '--list') list = true;
    else throw new Error(`unknown argument ${a}; use --only <name>, --corpus <name>, --list`);
  }
  return { only, corpora, list };
}

let opts;
try {
  opts = parse(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(2);
}

if (opts.list) {
  for (const b of BENCHMARKS) process.stdout.write(`${b.name.padEnd(12)} ${b.about}\n`);
  process.exit(0);
}

const unknown = opts.only.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}

const selected = opts.only.length ? BENCHMARKS.filter((b) => opts.only.includes(b.name)) : BENCHMARKS;
const failed = [];
for (const b of selected) {
  const file = join(dist, b.file);
  if (!existsSync(file)) {
    process.stdout.write(`\n[${b.name}] ${file} is missing: run \`npm run build\` first\n`);
    failed.push(b.name);
    continue;
  }
  const args = [file, ...(b.corpus ? opts.corpora.flatMap((c) => ['--corpus', c]) : [])];
  const started = Date.now();
  const res = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (res.status !== 0) {
    failed.push(b.name);
    process.stdout.write(`[${b.name}] exited with ${res.status ?? res.signal} after ${secs} s\n`);
  }
}
if (failed.length) {
  process.stdout.write(`\nbench: ${failed.length} benchmark(s) failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
