/**
 * Accuracy of codehive's call graph against the TypeScript compiler (see accuracy/truth.ts for what counts
 * as a true edge and accuracy/compare.ts for how edges are matched). For each corpus (those marked
 * `accuracy`, or any named with --corpus) and each fixture project under test/fixtures/: extract the
 * compiler's edges, index a copy with codehive, compare, print precision/recall, a breakdown by codehive
 * strategy, and the largest false-positive / false-negative categories with samples. Full lists go to
 * `.bench-cache/reports/accuracy-<name>.json` for whoever improves the indexer.
 *
 *   node dist/bench/accuracy.js [--corpus rxjs] [--fixtures-only] [--no-fixtures]
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { AccuracyReport, Bucket } from './accuracy/compare.js';
import { compare } from './accuracy/compare.js';
import { liveSnapshot, readCallEdges, readUnresolved } from './accuracy/codehive.js';
import { extractTruth, listSourceFiles, type TruthOptions, type TruthResult } from './accuracy/truth.js';
import { CORPORA, corpusByName, ensureCorpus } from './corpora.js';
import { parseArgs } from './lib/args.js';
import { copyCorpus, openBenchGraph } from './lib/codehive.js';
import { benchCacheDir, isMain, repoRoot } from './lib/paths.js';
import { fmtInt, fmtMs, pct, table } from './lib/table.js';

const GOAL_PRECISION = 0.97;
const GOAL_RECALL = 0.85;

export interface AccuracyRun {
  name: string;
  truth: TruthResult;
  report: AccuracyReport;
  truthMs: number;
  indexMs: number;
  codehiveUnresolved: number;
}

export async function measureAccuracy(name: string, root: string, opts: TruthOptions & { maxFileBytes?: number } = {}): Promise<AccuracyRun> {
  // The graph first: when the indexer cannot load, fail before the (slow) compiler pass.
  const graph = await openBenchGraph({ maxFileBytes: opts.maxFileBytes });
  try {
    const t0 = performance.now();
    const truth = extractTruth(root, opts);
    const truthMs = performance.now() - t0;
    const copy = copyCorpus(graph, root, name.replace(/[^\w.-]+/g, '_'));
    const t1 = performance.now();
    const indexed = await graph.indexer.index(copy, { mode: 'full' });
    const indexMs = performance.now() - t1;
    const snap = liveSnapshot(graph.store, indexed.projectId);
    const unresolved = readUnresolved(graph.store, snap);
    const report = compare(truth, readCallEdges(graph.store, snap), unresolved);
    return { name, truth, report, truthMs, indexMs, codehiveUnresolved: unresolved.length };
  } finally {
    await graph.close();
  }
}

function top(buckets: Record<string, Bucket>, n: number): Array<[string, Bucket]> {
  return Object.entries(buckets)
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, n);
}

function f(x: number): string {
  return Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)} %`;
}

export function renderRun(r: AccuracyRun, detail: boolean): string {
  const { report: a, truth: t } = r;
  const c = t.counts;
  const excluded = Object.entries(c.excluded)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k.replace('excluded:', '')} ${fmtInt(v)}`)
    .join(', ');
  const lines = [
    `${r.name}: precision ${f(a.precision)} (${fmtInt(a.tp)}/${fmtInt(a.tp + a.fp)}), recall ${f(a.recall)} (${fmtInt(a.truthEdges - a.fn)}/${fmtInt(a.truthEdges)})` +
      `   goals ≥ ${GOAL_PRECISION * 100} % / ≥ ${GOAL_RECALL * 100} %: ${a.precision >= GOAL_PRECISION ? 'ok' : 'MISSED'} / ${a.recall >= GOAL_RECALL ? 'ok' : 'MISSED'}`,
    `  compiler: ${fmtInt(t.files)} files, ${fmtInt(c.calls)} call/new expressions → ${fmtInt(t.edges.length)} edges into the project; ` +
      `${fmtInt(c.external)} library/global, ${fmtInt(c.unresolved)} unresolvable, excluded: ${excluded || 'none'} (${fmtMs(r.truthMs)})`,
    `  codehive: ${fmtInt(a.codehiveEdges)} distinct CALLS edges (${fmtInt(a.unverifiable)} unverifiable), ${fmtInt(r.codehiveUnresolved)} unresolved call sites; ` +
      `${fmtInt(a.callerMismatch.count)} matched edges with another caller than the compiler's (index ${fmtMs(r.indexMs)})`,
  ];
  if (!detail) return lines.join('\n');
  const strategies = Object.entries(a.byStrategy).sort((x, y) => y[1].edges - x[1].edges);
  lines.push(
    table(
      ['  strategy', 'edges', 'correct', 'wrong', 'unverifiable', 'precision'],
      strategies.map(([s, v]) => [`  ${s}`, fmtInt(v.edges), fmtInt(v.tp), fmtInt(v.fp), fmtInt(v.unverifiable), pct(v.tp, v.tp + v.fp)]),
    ),
  );
  const section = (title: string, buckets: Record<string, Bucket>, n: number) => {
    const entries = top(buckets, n);
    if (!entries.length) return;
    lines.push(`  ${title}:`);
    for (const [cat, b] of entries) {
      lines.push(`    ${fmtInt(b.count).padStart(6)}  ${cat}`);
      for (const s of b.samples.slice(0, 2)) lines.push(`              e.g. ${s}`);
    }
  };
  section('false positives (codehive edges the compiler contradicts), largest categories', a.fpCategories, 6);
  section('false negatives (compiler edges codehive lacks), largest categories', a.fnCategories, 8);
  if (a.callerMismatch.count) {
    lines.push(`  caller mismatches (edge right, attributed to another enclosing symbol): ${fmtInt(a.callerMismatch.count)}`);
    for (const s of a.callerMismatch.samples.slice(0, 2)) lines.push(`              e.g. ${s}`);
  }
  return lines.join('\n');
}

function writeDetails(r: AccuracyRun): string {
  const dir = join(benchCacheDir(), 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `accuracy-${r.name.replace(/[^\w.-]+/g, '_')}.json`);
  writeFileSync(file, JSON.stringify({ name: r.name, counts: r.truth.counts, ...r.report }, null, 1));
  return file;
}

/**
 * Fixture projects: every folder under test/fixtures/ holding a package.json or tsconfig.json (nested
 * ones belong to their outer project, e.g. a workspace's packages), else each top-level fixture folder.
 */
export function fixtureProjects(base = join(repoRoot(), 'test', 'fixtures')): string[] {
  if (!existsSync(base)) return [];
  const out: string[] = [];
  const isProject = (d: string) => existsSync(join(d, 'package.json')) || existsSync(join(d, 'tsconfig.json'));
  const walk = (dir: string, depth: number): boolean => {
    if (isProject(dir)) {
      out.push(dir);
      return true;
    }
    if (depth >= 3) return false;
    let found = false;
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      if (ent.isDirectory() && ent.name !== 'node_modules' && !ent.name.startsWith('.')) found = walk(join(dir, ent.name), depth + 1) || found;
    }
    return found;
  };
  for (const ent of readdirSync(base, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const dir = join(base, ent.name);
    if (!walk(dir, 1) && listSourceFiles(dir).length > 0) out.push(dir);
  }
  return out.filter((d) => statSync(d).isDirectory() && listSourceFiles(d).length > 0).sort();
}

async function main(): Promise<void> {
  const args = parseArgs();
  const fixturesOnly = args.rest.includes('--fixtures-only');
  const noFixtures = args.rest.includes('--no-fixtures') || args.corpora.length > 0;
  const corpora = fixturesOnly ? [] : args.corpora.length ? args.corpora.map(corpusByName) : CORPORA.filter((c) => c.accuracy);
  process.stdout.write(`\n== call-graph accuracy against the TypeScript ${ts.version} checker ==\n`);
  let failed = false;
  for (const c of corpora) {
    try {
      const { root } = await ensureCorpus(c);
      const run = await measureAccuracy(c.name, root, { paths: c.paths, maxFileBytes: c.maxFileBytes });
      process.stdout.write(renderRun(run, true) + `\n  full lists: ${relative(process.cwd(), writeDetails(run))}\n\n`);
    } catch (err) {
      failed = true;
      process.stdout.write(`${c.name}: failed: ${(err as Error).message}\n`);
    }
  }
  if (!noFixtures) {
    const fixtures = fixtureProjects();
    const rows: string[][] = [];
    for (const dir of fixtures) {
      const name = relative(join(repoRoot(), 'test', 'fixtures'), dir);
      try {
        const run = await measureAccuracy(`fixture-${name}`, dir);
        const a = run.report;
        rows.push([name, f(a.precision), f(a.recall), fmtInt(a.tp), fmtInt(a.fp), fmtInt(a.fn), fmtInt(a.unverifiable)]);
        writeDetails(run);
      } catch (err) {
        failed = true;
        rows.push([name, 'failed', (err as Error).message.slice(0, 100), '', '', '', '']);
      }
    }
    if (rows.length) {
      process.stdout.write(`fixture projects (test/fixtures):\n${table(['fixture', 'precision', 'recall', 'correct', 'wrong', 'missed', 'unverifiable'], rows)}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`accuracy: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
