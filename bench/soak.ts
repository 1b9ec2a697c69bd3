/**
 * The soak and chaos test (issue 6): many real `codehive mcp` shims (MCP SDK clients over stdio) against one
 * cache dir and a copy of a real corpus, for minutes, while the tree is edited, branches are checked out,
 * projects are re-indexed from sessions and the CLI, sessions join, leave and are SIGKILLed, the daemon is
 * `kill -9`ed and `codehive stop`ped. It samples the daemon every few seconds, then checks the final graph
 * against a from-scratch index of the final tree and the database's integrity, and prints a report with
 * PASS/FAIL lines (exit status 1 on any FAIL).
 *
 *   npm run soak -- [--sessions 16] [--minutes 10] [--corpus effect|DIR[,DIR…]] [--seed S] [--kill-every SEC]
 *
 * Everything random comes from one seed (printed; the schedule's digest is printed too, so two runs with
 * one seed can be seen to have the same schedule). See docs/operations.md ("Soak test") for every option,
 * what is measured and how each criterion is computed.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { requestJson, resetConnections } from '../packages/client/http.js';
import { pidAlive, readRegistration } from '../packages/config/registration.js';
import { daemonPids, procStatusKb } from './lib/procs.js';
export { daemonPids };
import { ROUTES } from '../packages/protocol/index.js';
import { HEAVY_JOB_BYTES } from '../daemon/memory-release.js';
import type { DaemonStatus } from '../daemon/status.js';
import { corpusByName, CORPORA, ensureCorpus } from './corpora.js';
import { benchCacheDir, isMain, repoRoot } from './lib/paths.js';

// ───────────────────────────────────────────── options ─────────────────────────────────────────────

export interface SoakOptions {
  sessions: number;
  /** Length of the chaos phase. */
  seconds: number;
  /** A corpus name from bench/corpora.ts, or directories (comma-separated) copied side by side. */
  corpus: string;
  seed: number;
  /** A `kill -9` of the daemon every this many seconds (0: never). */
  killEverySec: number;
  /** When the one `codehive stop` happens (seconds into the chaos; 0: never). Default 25% of the run. */
  stopAtSec: number | null;
  /**
   * Daemon kills (and the default stop) happen only in this first fraction of the run: the rest is one long
   * daemon lifetime (edits, re-indexes, checkouts and churn go on) in which a leak can be told from warm-up.
   */
  calmAfter: number;
  sampleEverySec: number;
  /** Samples before this (and in a restarted daemon's first this-many seconds) are not used for slope/drift/loop. */
  warmupSec: number;
  /** Mean gap between file mutations. */
  mutateEveryMs: number;
  /** Mean gaps of the other chaos events (0: never). */
  reindexEverySec: number;
  cliIndexEverySec: number;
  checkoutEverySec: number;
  churnEverySec: number;
  /** Think time between one session's calls, uniform in [min, max] ms. */
  thinkMs: [number, number];
  /** Judge the RSS slope (needs minutes after the warm-up; the short test turns it off). */
  slope: boolean;
  /** Write the report as JSON here too. */
  jsonOut: string | null;
  /** Keep the temp dir (corpus copy, cache dirs, logs). */
  keep: boolean;
  quiet: boolean;
}

export const DEFAULTS: SoakOptions = {
  sessions: 16,
  seconds: 600,
  corpus: 'effect',
  seed: 0,
  killEverySec: 90,
  stopAtSec: null,
  calmAfter: 0.35,
  sampleEverySec: 3,
  warmupSec: 60,
  mutateEveryMs: 1500,
  reindexEverySec: 45,
  cliIndexEverySec: 70,
  checkoutEverySec: 90,
  churnEverySec: 12,
  thinkMs: [100, 700],
  slope: true,
  jsonOut: null,
  keep: false,
  quiet: false,
};

const USAGE = `npm run soak -- [options]
  --sessions N          MCP sessions kept attached (default 16)
  --minutes M           length of the chaos phase (default 10); --seconds S for short runs
  --corpus C            effect (default) | rxjs | DIR[,DIR...] copied side by side
  --seed S              seed for every random choice (default: random, printed)
  --kill-every SEC      kill -9 the daemon every SEC seconds (default 90; 0 = never)
  --stop-at SEC         when the one \`codehive stop\` happens (default 25% of the run; 0 = never)
  --calm-after F        kills only in the first fraction F of the run (default 0.35; the rest is one daemon
                        lifetime, where the RSS slope is measured: the longer, the better it tells a leak
                        from warm-up)
  --sample-every SEC    sampling period (default 3)
  --warmup SEC          warm-up excluded from slope, drift and loop-delay criteria (default 60)
  --mutate-every MS     mean gap between file edits/adds/deletes/renames (default 1500)
  --reindex-every SEC   mean gap between index_repository calls from sessions (default 45)
  --cli-index-every SEC mean gap between \`codehive index\` runs (default 70)
  --checkout-every SEC  mean gap between git checkouts of the other branch (default 90)
  --churn-every SEC     mean gap between sessions joining/leaving/being SIGKILLed (default 12)
  --think MIN,MAX       think time between one session's calls in ms (default 100,700)
  --no-slope            do not judge the RSS slope (runs too short for it)
  --json FILE           also write the report as JSON
  --keep                keep the temp dir (corpus copy, cache dirs, logs)
`;

export function parseSoakArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { ...DEFAULTS, seed: Math.floor(Math.random() * 2 ** 31) };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number\n\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case '--sessions': o.sessions = Math.max(1, Math.round(num(flag, val()))); break;
      case '--minutes': o.seconds = num(flag, val()) * 60; break;
      case '--seconds': o.seconds = num(flag, val()); break;
      case '--corpus': o.corpus = String(val()); break;
      case '--seed': o.seed = Math.round(num(flag, val())); break;
      case '--kill-every': o.killEverySec = num(flag, val()); break;
      case '--stop-at': o.stopAtSec = num(flag, val()); break;
      case '--calm-after': o.calmAfter = Math.min(1, num(flag, val())); break;
      case '--sample-every': o.sampleEverySec = Math.max(0.5, num(flag, val())); break;
      case '--warmup': o.warmupSec = num(flag, val()); break;
      case '--mutate-every': o.mutateEveryMs = num(flag, val()); break;
      case '--reindex-every': o.reindexEverySec = num(flag, val()); break;
      case '--cli-index-every': o.cliIndexEverySec = num(flag, val()); break;
      case '--checkout-every': o.checkoutEverySec = num(flag, val()); break;
      case '--churn-every': o.churnEverySec = num(flag, val()); break;
      case '--think': {
        const [lo, hi] = String(val()).split(',').map(Number);
        if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo! > hi!) throw new Error(`--think needs MIN,MAX\n\n${USAGE}`);
        o.thinkMs = [lo!, hi!];
        break;
      }
      case '--no-slope': o.slope = false; break;
      case '--json': o.jsonOut = String(val()); break;
      case '--keep': o.keep = true; break;
      case '--quiet': o.quiet = true; break;
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  return o;
}

// ───────────────────────────────────────────── randomness ─────────────────────────────────────────────

/** mulberry32: small, fast, good enough, and the same on every platform. */
export function rng(seed: number, label: string): () => number {
  let a = createHash('sha256').update(`${seed}:${label}`).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: number, xs: readonly T[]): T {
  return xs[Math.min(xs.length - 1, Math.floor(r * xs.length))]!;
}

function weighted<T extends string>(r: number, ws: Record<T, number>): T {
  const total = Object.values<number>(ws).reduce((a, b) => a + b, 0);
  let x = r * total;
  for (const [k, w] of Object.entries<number>(ws)) {
    if ((x -= w) < 0) return k as T;
  }
  return Object.keys(ws).pop() as T;
}

// ───────────────────────────────────────────── the schedule ─────────────────────────────────────────────

export type ChaosEvent =
  | { at: number; kind: 'mutate'; op: 'edit' | 'add' | 'delete' | 'rename'; r: number; n: number }
  | { at: number; kind: 'checkout' }
  | { at: number; kind: 'session-index'; session: number; mode: 'full' | 'incremental' }
  | { at: number; kind: 'cli-index'; mode: 'full' | 'incremental' }
  | { at: number; kind: 'join'; session: number }
  | { at: number; kind: 'leave' | 'sigkill'; session: number }
  | { at: number; kind: 'kill-daemon' }
  | { at: number; kind: 'stop' };

/**
 * The whole chaos timeline, generated up front from the seed (times in ms from the start of the chaos phase).
 * Which session joins or leaves is decided here too (the generator tracks who is attached), so a seed names
 * one exact schedule; only where each event lands relative to in-flight calls depends on timing.
 */
export function makeSchedule(o: SoakOptions): ChaosEvent[] {
  const end = o.seconds * 1000;
  const quietTail = Math.min(5000, end * 0.1); // nothing disruptive right before the end
  const events: ChaosEvent[] = [];
  const series = (label: string, meanMs: number, from: number, emit: (at: number, r: () => number) => void) => {
    if (meanMs <= 0) return;
    const r = rng(o.seed, label);
    for (let at = from + meanMs * (0.5 + r()); at < end - quietTail; at += meanMs * (0.5 + r())) emit(Math.round(at), r);
  };
  let n = 0;
  series('mutate', o.mutateEveryMs, 0, (at, r) => {
    events.push({ at, kind: 'mutate', op: weighted(r(), { edit: 55, add: 20, delete: 10, rename: 15 }), r: r(), n: n++ });
  });
  series('checkout', o.checkoutEverySec * 1000, 0, (at) => events.push({ at, kind: 'checkout' }));
  series('cli-index', o.cliIndexEverySec * 1000, 0, (at, r) => events.push({ at, kind: 'cli-index', mode: r() < 0.3 ? 'full' : 'incremental' }));
  if (o.killEverySec > 0) {
    const calm = Math.min(end - quietTail, end * o.calmAfter);
    for (let at = o.killEverySec * 1000; at < calm; at += o.killEverySec * 1000) events.push({ at, kind: 'kill-daemon' });
  }
  const stopAt = o.stopAtSec ?? o.seconds * 0.25;
  if (stopAt > 0 && stopAt * 1000 < end - quietTail) {
    // Keep the stop apart from a kill, so each disruption's recovery is measured on its own.
    let at = stopAt * 1000;
    while (events.some((e) => e.kind === 'kill-daemon' && Math.abs(e.at - at) < 8000)) at += 4000;
    if (at < end - quietTail) events.push({ at, kind: 'stop' });
  }
  // Sessions: who is attached is simulated here so joins, leaves and kills name real sessions.
  const live = Array.from({ length: o.sessions }, (_, i) => i);
  let nextId = o.sessions;
  const churnAndIndex: Array<{ at: number; kind: 'churn' | 'index'; r: () => number }> = [];
  series('churn', o.churnEverySec * 1000, 0, (at, r) => churnAndIndex.push({ at, kind: 'churn', r }));
  series('session-index', o.reindexEverySec * 1000, 0, (at, r) => churnAndIndex.push({ at, kind: 'index', r }));
  churnAndIndex.sort((a, b) => a.at - b.at);
  for (const c of churnAndIndex) {
    const r1 = c.r();
    const r2 = c.r();
    if (c.kind === 'index') {
      events.push({ at: c.at, kind: 'session-index', session: pick(r1, live), mode: r2 < 0.3 ? 'full' : 'incremental' });
      continue;
    }
    if (live.length < o.sessions || live.length <= 1) {
      live.push(nextId);
      events.push({ at: c.at, kind: 'join', session: nextId++ });
    } else {
      const idx = Math.floor(r1 * live.length);
      const [victim] = live.splice(idx, 1);
      events.push({ at: c.at, kind: r2 < 0.5 ? 'leave' : 'sigkill', session: victim! });
    }
  }
  return events.sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
}

export function scheduleDigest(events: ChaosEvent[]): string {
  return createHash('sha256').update(JSON.stringify(events)).digest('hex').slice(0, 16);
}

// ───────────────────────────────────────────── processes ─────────────────────────────────────────────


const REPO = repoRoot();
const BIN = join(REPO, 'bin/codehive.js');


interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCli(env: NodeJS.ProcessEnv, args: string[], cwd: string, timeoutMs = 600_000): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs }, (err: ExecFileException | null, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - started });
    });
  });
}

function git(cwd: string, args: string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'soak',
    GIT_AUTHOR_EMAIL: 'soak@localhost',
    GIT_COMMITTER_NAME: 'soak',
    GIT_COMMITTER_EMAIL: 'soak@localhost',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return new Promise((resolve, reject) => {
    execFile('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/**
 * Open fds of a process: total, sockets, and event loops (one `[eventpoll]` per libuv loop: the main thread's
 * and each worker thread's). A worker thread brings its loop's four fds (epoll, eventfd, a pipe pair); the
 * parser pool starts its threads lazily, so a new worker is not a leak, and is told apart this way.
 */
function fdCensus(pid: number): { total: number; sockets: number; loops: number; kinds: Record<string, number> } | null {
  try {
    const names = readdirSync(`/proc/${pid}/fd`);
    let sockets = 0;
    let loops = 0;
    const kinds: Record<string, number> = {};
    for (const n of names) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${n}`);
        if (link.startsWith('socket:')) sockets++;
        else if (link === 'anon_inode:[eventpoll]') loops++;
        const kind = link.replace(/^(socket|pipe):\[\d+\]$/, '$1');
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      } catch {
        /* closed meanwhile */
      }
    }
    return { total: names.length, sockets, loops, kinds };
  } catch {
    return null;
  }
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

// ───────────────────────────────────────────── the corpus ─────────────────────────────────────────────

const SOURCE_EXT = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.mts', '.cts']);

function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && SOURCE_EXT.has(extname(e.name)) && !e.name.endsWith('.d.ts')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Top-level exported names (and their qualified names) found by a regex: the query pool. */
function symbolPool(root: string, seed: number, max = 400): Array<{ name: string; qname: string }> {
  const all: Array<{ name: string; qname: string }> = [];
  const re = /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;
  for (const rel of listSources(root)) {
    const text = readFileSync(join(root, rel), 'utf8');
    for (const m of text.matchAll(re)) all.push({ name: m[1]!, qname: `${rel}#${m[1]}` });
  }
  const r = rng(seed, 'pool');
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, max);
}

/** Applies one file mutation to the tree (deterministic given the tree and the event). */
function mutate(root: string, ev: Extract<ChaosEvent, { kind: 'mutate' }>): string {
  const files = listSources(root);
  if (files.length < 5) return `${ev.op}: too few files left`;
  const rel = pick(ev.r, files);
  const abs = join(root, rel);
  const ext = extname(rel);
  const typed = ext === '.ts' || ext === '.tsx' || ext === '.mts' || ext === '.cts';
  const num = typed ? 'n: number' : 'n';
  switch (ev.op) {
    case 'edit': {
      // Insert a function before a top-level export (shifting every line below), as an agent's edit does.
      const lines = readFileSync(abs, 'utf8').split('\n');
      const anchors = lines.map((l, i) => (l.startsWith('export ') ? i : -1)).filter((i) => i >= 0);
      const at = anchors.length ? pick((ev.r * 7919) % 1, anchors) : lines.length;
      const fn = [`/** soak edit ${ev.n} */`, `export function soakEdit${ev.n}(${num}) {`, `  return soakHelper${ev.n}(n) + ${ev.n}`, `}`, `function soakHelper${ev.n}(${num}) {`, `  return n * 2`, `}`];
      lines.splice(at, 0, ...fn);
      writeFileSync(abs, lines.join('\n'));
      return `edit ${rel}:${at + 1}`;
    }
    case 'add': {
      // A new file next to `rel` that imports and calls a function `rel` exports (a cross-file edge).
      const text = readFileSync(abs, 'utf8');
      const fnName = /^export\s+(?:async\s+)?function\s+([A-Za-z_$][\w$]*)/m.exec(text)?.[1];
      const spec = './' + basename(rel).replace(/\.(m|c)?tsx?$/, '.js');
      const name = `soakAdded${ev.n}${ext}`;
      const body = [
        fnName ? `import { ${fnName} } from ${JSON.stringify(spec)}` : `// nothing to import from ${spec}`,
        `export function soakAddedA${ev.n}(${num}) {`,
        `  return soakAddedB${ev.n}(n) + 1`,
        `}`,
        `export function soakAddedB${ev.n}(${num}) {`,
        fnName ? `  ${fnName}()` : `  n++`,
        `  return n`,
        `}`,
        ``,
      ];
      writeFileSync(join(dirname(abs), name), body.join('\n'));
      return `add ${join(dirname(rel), name)}`;
    }
    case 'delete':
      unlinkSync(abs);
      return `delete ${rel}`;
    case 'rename': {
      const to = join(dirname(rel), `${basename(rel, ext)}_r${ev.n}${ext}`);
      renameSync(abs, join(root, to));
      return `rename ${rel} -> ${to}`;
    }
  }
}

/** Makes the corpus copy a git repo with two branches that differ in some files. */
async function initGit(root: string, seed: number): Promise<void> {
  await git(root, ['init', '-q', '-b', 'main']);
  await git(root, ['add', '-A']);
  await git(root, ['commit', '-q', '-m', 'corpus']);
  await git(root, ['checkout', '-q', '-b', 'other']);
  const files = listSources(root);
  const r = rng(seed, 'branch');
  const changes = Math.max(3, Math.round(files.length * 0.05));
  for (let i = 0; i < changes; i++) {
    const op = i % 4 === 0 ? 'delete' : i % 4 === 1 ? 'add' : 'edit';
    try {
      mutate(root, { at: 0, kind: 'mutate', op, r: r(), n: 100000 + i });
    } catch {
      /* a file picked twice was already deleted */
    }
  }
  await git(root, ['add', '-A']);
  await git(root, ['commit', '-q', '-m', 'other branch']);
  await git(root, ['checkout', '-q', 'main']);
}

// ───────────────────────────────────────────── sessions and calls ─────────────────────────────────────────────

interface CallRecord {
  tool: string;
  session: number | 'cli';
  start: number;
  end: number;
  readOnly: boolean;
  outcome: 'ok' | 'answer-error' | 'failed' | 'excused';
  code?: string;
  message?: string;
}

/** Tool errors that are real answers about the code (a symbol deleted by an edit), not failures. */
const ANSWER_ERRORS = new Set(['UNKNOWN_SYMBOL', 'NOT_FOUND']);
/** Codes a write may end with when the daemon is killed or stopped under it. */
const WRITE_DISRUPTION = new Set(['DAEMON_DIED', 'DRAINING', 'CANCELLED']);

interface Session {
  id: number;
  client: Client;
  transport: StdioClientTransport;
  alive: boolean;
  /** Set when the soak itself ends the session (its calls in flight are not judged). */
  ending: boolean;
  loop: Promise<void> | null;
  r: () => number;
}

function errorCode(text: string): string {
  const m = /^([A-Z][A-Z_]+): /.exec(text);
  return m ? m[1]! : 'TOOL_ERROR';
}

// ───────────────────────────────────────────── the run ─────────────────────────────────────────────

interface Sample {
  t: number;
  daemons: number;
  pid: number | null;
  rssMb: number | null;
  /** RSS split (/proc/<pid>/status): anonymous (heaps, malloc) vs file-backed (the mmap'ed graph.db, code). */
  rssAnonMb: number | null;
  rssFileMb: number | null;
  heapMb: number | null;
  /** Committed V8 heaps (MB) of the main thread, the parse workers, the resolve worker and the read thread: where RSS goes. */
  mainHeapTotalMb: number | null;
  parseHeapTotalMb: number | null;
  resolveHeapTotalMb: number | null;
  readHeapTotalMb: number | null;
  /** malloc's bytes in use and free over every arena (MB; null without glibc ≥ 2.33). */
  mallocInUseMb: number | null;
  mallocFreeMb: number | null;
  /** malloc trims the daemon has run so far (daemon/memory-release.ts). */
  trims: number | null;
  /** Files parsed by the index jobs that ended since the daemon's last trim (null: it does not say). */
  bytesReadSinceTrim: number | null;
  fds: number | null;
  sockets: number | null;
  /** libuv loops (main thread + worker threads), from the fds. */
  loops: number | null;
  /** Open fds by what they point at (for the JSON report: which kind drifted). */
  fdKinds: Record<string, number> | null;
  sessions: number | null;
  walBytes: number;
  dbBytes: number;
  loop: { p50Ms: number; p99Ms: number; maxMs: number; windowMs: number } | null;
  calls: number;
  errors: number;
  projects: string[] | null;
  /** Symbols in every project's graph: the corpus grows under edits and adds, and memory may grow with it. */
  symbols: number | null;
  jobs: number | null;
}

export interface Check {
  name: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}

export interface SoakReport {
  seed: number;
  digest: string;
  options: SoakOptions;
  corpus: { root: string; files: number };
  durationSec: number;
  calls: { total: number; ok: number; answerErrors: number; failed: number; excused: number; perSecond: number };
  failures: Array<{ message: string; count: number }>;
  excused: Array<{ message: string; count: number }>;
  latency: Array<{ tool: string; calls: number; p50: number; p99: number; max: number }>;
  kills: Array<{ atSec: number; pid: number; recoveryMs: number | null; inflight: number }>;
  stops: Array<{ atSec: number; recoveryMs: number | null; stopMs: number; code: number }>;
  events: Record<string, number>;
  rss: {
    /** Judged: over the settled baseline of the last lifetime (settledSamples). */
    slopeMbPerMin: number | null;
    slopeSe: number | null;
    /** Over every sample of the last lifetime after its warm-up, transient peaks included (informative). */
    allSamplesSlopeMbPerMin: number | null;
    allSamplesSlopeSe: number | null;
    /** Over the first settled sample after each trim (firstAfterEachTrim; informative). */
    restingSlopeMbPerMin: number | null;
    restingSlopeSe: number | null;
    restingSamples: number;
    tailSamples: number;
    anonSlopeMbPerMin: number | null;
    fileSlopeMbPerMin: number | null;
    anonMax: number | null;
    fileMax: number | null;
    spanSec: number;
    pooledSlopeMbPerMin: number | null;
    min: number | null;
    max: number | null;
    /** Settled samples the judged slope used. */
    samplesUsed: number;
    /** How fast the graph grew over the same samples (symbols/min): a growing corpus is not a leak, but holds more. */
    symbolsPerMin: number | null;
  };
  heap: { slopeMbPerMin: number | null; max: number | null };
  /**
   * Slopes (MB/min, same tail) of the committed V8 heaps by thread, of the anonymous memory outside them, and
   * of what malloc holds there: in use (memory kept) and free (freed, resident until a trim or reused).
   */
  anonParts: { mainHeap: number | null; parseHeap: number | null; resolveHeap: number | null; readHeap: number | null; outsideHeaps: number | null; mallocInUse: number | null; mallocFree: number | null };
  fds: { drift: number | null; nonSocketMin: number | null; nonSocketMax: number | null; loopsMax: number | null; maxSocketsPerSession: number | null };
  wal: { maxBytes: number; limitBytes: number; allowanceBytes: number; maxDbBytes: number };
  eventLoop: { maxP99Ms: number | null; maxMs: number | null; worstWindowAtSec: number | null };
  daemonCensus: { samples: number; zeroTransient: number; zeroBad: number; multiple: number };
  graph: { nodes: number; edges: number; referenceNodes: number; referenceEdges: number; missing: string[]; extra: string[] };
  integrity: string;
  lostProjects: string[];
  /** ERROR and WARN lines of daemon.log and shim.log, grouped by message. */
  logs: { errors: Array<{ message: string; count: number }>; warnings: Array<{ message: string; count: number }> };
  checks: Check[];
  samples: Sample[];
}

class Soak {
  readonly base: string;
  readonly cacheDir: string;
  readonly refCacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly refEnv: NodeJS.ProcessEnv;
  root = '';
  second = '';
  pool: Array<{ name: string; qname: string }> = [];
  readonly sessions = new Map<number, Session>();
  readonly calls: CallRecord[] = [];
  readonly samples: Sample[] = [];
  readonly kills: Array<{ at: number; pid: number }> = [];
  readonly stops: Array<{ at: number; ms: number; code: number }> = [];
  readonly disruptions: Array<{ from: number; to: number }> = [];
  readonly eventCounts: Record<string, number> = {};
  readonly background = new Set<Promise<unknown>>();
  private t0 = performance.now();
  private chaosStart = 0;
  private stopped = false;
  private mutations: Promise<void> = Promise.resolve();
  private cleaned = false;

  constructor(readonly o: SoakOptions) {
    this.base = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-soak-')));
    this.cacheDir = join(this.base, 'cache');
    this.refCacheDir = join(this.base, 'ref-cache');
    mkdirSync(this.cacheDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.refCacheDir, { recursive: true, mode: 0o700 });
    const clean: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(clean)) if (k.startsWith('CODEHIVE_') || k.startsWith('VITEST')) delete clean[k];
    this.env = { ...clean, CODEHIVE_CACHE_DIR: this.cacheDir, CODEHIVE_SOCKET_DIR: join(this.base, 's') };
    this.refEnv = { ...clean, CODEHIVE_CACHE_DIR: this.refCacheDir, CODEHIVE_SOCKET_DIR: join(this.base, 'rs'), CODEHIVE_WATCH: '0' };
  }

  now(): number {
    return performance.now() - this.t0;
  }

  log(msg: string): void {
    if (!this.o.quiet) process.stderr.write(`[soak ${(this.now() / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
  }

  count(kind: string): void {
    this.eventCounts[kind] = (this.eventCounts[kind] ?? 0) + 1;
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    void p.finally(() => this.background.delete(p)).catch(() => undefined);
    return p;
  }

  // ── set-up ──

  async prepareCorpus(): Promise<void> {
    const dest = join(this.base, 'corpus');
    const known = CORPORA.some((c) => c.name === this.o.corpus);
    if (known) {
      const { root, fetched } = await ensureCorpus(corpusByName(this.o.corpus));
      this.log(`corpus ${this.o.corpus}: ${fetched ? 'fetched' : 'cached'} ${root}`);
      cpSync(root, dest, { recursive: true });
    } else {
      mkdirSync(dest);
      for (const dir of this.o.corpus.split(',').filter(Boolean)) {
        if (!existsSync(dir)) throw new Error(`--corpus ${dir}: no such directory (or corpus name: ${CORPORA.map((c) => c.name).join(', ')})`);
        cpSync(dir, join(dest, basename(dir)), { recursive: true, filter: (src) => basename(src) !== 'node_modules' && basename(src) !== '.git' });
      }
    }
    this.root = realpathSync(dest);
    await initGit(this.root, this.o.seed);
    this.pool = symbolPool(this.root, this.o.seed);
    if (this.pool.length === 0) throw new Error(`no exported symbols found in ${this.root}`);
    // A second, small project: a lost project is only visible when there is more than one to lose.
    this.second = join(this.base, 'second');
    cpSync(join(REPO, 'test/fixtures/backbone-repo'), this.second, { recursive: true });
    this.second = realpathSync(this.second);
  }

  // ── sessions ──

  async openSession(id: number): Promise<Session> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      cwd: this.root,
      env: this.env as Record<string, string>,
      stderr: 'ignore',
    });
    const client = new Client({ name: `soak-${id}`, version: '1.0.0' });
    const s: Session = { id, client, transport, alive: true, ending: false, loop: null, r: rng(this.o.seed, `session-${id}`) };
    this.sessions.set(id, s);
    transport.onclose = () => (s.alive = false);
    await client.connect(transport);
    return s;
  }

  async call(s: Session | 'cli', tool: string, args: Record<string, unknown>, readOnly: boolean): Promise<CallRecord> {
    const rec: CallRecord = { tool, session: s === 'cli' ? 'cli' : s.id, start: this.now(), end: 0, readOnly, outcome: 'ok' };
    if (s === 'cli') {
      const cliArgs = ['index', String(args.path), ...(args.mode === 'full' ? ['--full'] : [])];
      const r = await runCli(this.env, cliArgs, this.root);
      rec.end = this.now();
      if (r.code !== 0) {
        const msg = r.stderr.trim().replace(/^codehive: /, '');
        rec.code = /stopped while|ended .* answer early|connection to the daemon broke/.test(msg)
          ? 'DAEMON_DIED'
          : /cancelled/.test(msg)
            ? 'CANCELLED'
            : /shutting down/.test(msg)
              ? 'DRAINING'
              : 'CLI_ERROR';
        rec.message = `${rec.code}: ${msg.split('\n')[0]}`;
        rec.outcome = 'failed';
      }
    } else {
      try {
        const res = (await s.client.callTool({ name: tool, arguments: args }, undefined, {
          timeout: readOnly ? 120_000 : 600_000,
        })) as { content: Array<{ text?: string }>; isError?: boolean };
        rec.end = this.now();
        if (res.isError) {
          const text = res.content.map((c) => c.text ?? '').join('\n');
          rec.code = errorCode(text);
          rec.message = text.split('\n')[0]!.slice(0, 300);
          rec.outcome = ANSWER_ERRORS.has(rec.code) ? 'answer-error' : 'failed';
        }
      } catch (err) {
        rec.end = this.now();
        rec.code = 'MCP_ERROR';
        rec.message = `MCP_ERROR: ${(err as Error).message}`.slice(0, 300);
        rec.outcome = 'failed';
      }
      if (rec.outcome === 'failed' && s.ending) rec.outcome = 'excused'; // the soak ended this session itself
    }
    if (rec.outcome === 'failed' && !readOnly && WRITE_DISRUPTION.has(rec.code ?? '') && this.overlapsDisruption(rec)) rec.outcome = 'excused';
    this.calls.push(rec);
    return rec;
  }

  /** A write is excused only when a kill or a stop happened while it ran. */
  private overlapsDisruption(rec: CallRecord): boolean {
    return this.disruptions.some((d) => d.from <= rec.end + 500 && d.to >= rec.start - 500);
  }

  /** One session's query loop: its own seeded sequence of read calls with think time between. */
  async queryLoop(s: Session): Promise<void> {
    const r = s.r;
    while (!this.stopped && s.alive && !s.ending) {
      const tool = weighted(r(), {
        search_graph: 20,
        search_code: 12,
        trace_callers: 14,
        trace_callees: 10,
        get_code_snippet: 14,
        get_architecture: 5,
        index_status: 8,
        list_projects: 8,
        get_graph_schema: 3,
      });
      const sym = pick(r(), this.pool);
      const onSecond = r() < 0.08;
      const project = onSecond ? { project: this.second } : {};
      let name: string = tool;
      let args: Record<string, unknown>;
      switch (tool) {
        case 'search_graph':
          args = r() < 0.5 ? { query: sym.name, limit: 20, ...project } : { name_pattern: sym.name, ...project };
          break;
        case 'search_code':
          args = { pattern: sym.name, ...(r() < 0.5 ? { file_pattern: `${dirname(sym.qname.split('#')[0]!)}/**` } : {}), ...project };
          break;
        case 'trace_callers':
        case 'trace_callees':
          name = 'trace_path';
          args = { symbol: r() < 0.7 ? sym.qname : sym.name, direction: tool === 'trace_callers' ? 'callers' : 'callees', depth: 1 + Math.floor(r() * 3) };
          break;
        case 'get_code_snippet':
          args = { symbol: sym.qname };
          break;
        case 'get_architecture':
          args = { ...project };
          break;
        case 'index_status':
          args = { ...project };
          break;
        default:
          args = {};
      }
      const think = this.o.thinkMs[0] + r() * (this.o.thinkMs[1] - this.o.thinkMs[0]);
      await this.call(s, name, args, true);
      await sleep(think);
    }
  }

  startLoop(s: Session): void {
    s.loop = this.queryLoop(s).catch((err) => this.log(`session ${s.id} loop died: ${(err as Error).message}`));
  }

  // ── chaos ──

  async runEvent(ev: ChaosEvent): Promise<void> {
    this.count(ev.kind === 'mutate' ? `mutate:${ev.op}` : ev.kind === 'session-index' || ev.kind === 'cli-index' ? `${ev.kind}:${ev.mode}` : ev.kind);
    switch (ev.kind) {
      case 'mutate':
        this.mutations = this.mutations.then(() => {
          if (this.stopped) return;
          try {
            mutate(this.root, ev);
          } catch (err) {
            this.log(`mutation ${ev.n} failed: ${(err as Error).message}`);
          }
        });
        return;
      case 'checkout':
        this.mutations = this.mutations.then(async () => {
          if (this.stopped) return;
          try {
            const branch = (await git(this.root, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
            await git(this.root, ['add', '-A']);
            await git(this.root, ['commit', '-q', '--allow-empty', '-m', `soak wip ${Math.round(this.now())}`]);
            const to = branch === 'main' ? 'other' : 'main';
            await git(this.root, ['checkout', '-q', to]);
            this.log(`git checkout ${to}`);
          } catch (err) {
            this.log(`checkout failed: ${(err as Error).message}`);
          }
        });
        return;
      case 'session-index': {
        const s = this.sessions.get(ev.session);
        if (!s || !s.alive || s.ending) return void this.count('session-index:skipped');
        this.log(`session ${s.id}: index_repository ${ev.mode}`);
        void this.track(this.call(s, 'index_repository', { path: this.root, mode: ev.mode }, false));
        return;
      }
      case 'cli-index':
        this.log(`codehive index${ev.mode === 'full' ? ' --full' : ''}`);
        void this.track(this.call('cli', 'index_repository', { path: this.root, mode: ev.mode }, false));
        return;
      case 'join':
        void this.track(
          this.openSession(ev.session).then(
            (s) => this.startLoop(s),
            (err) => this.log(`session ${ev.session} could not join: ${(err as Error).message}`),
          ),
        );
        return;
      case 'leave':
      case 'sigkill': {
        const s = this.sessions.get(ev.session);
        if (!s) return;
        s.ending = true;
        if (ev.kind === 'sigkill' && s.transport.pid) {
          try {
            process.kill(s.transport.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        void this.track(s.client.close().catch(() => undefined));
        return;
      }
      case 'kill-daemon': {
        const pids = daemonPids(this.cacheDir);
        if (pids.length === 0) return void this.count('kill-daemon:none-running');
        const at = this.now();
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          this.kills.push({ at, pid });
        }
        this.disruptions.push({ from: at, to: at + 3000 });
        this.log(`kill -9 daemon ${pids.join(',')}`);
        return;
      }
      case 'stop': {
        const at = this.now();
        const d = { from: at, to: at + 60_000 };
        this.disruptions.push(d);
        this.log('codehive stop');
        void this.track(
          runCli(this.env, ['stop'], this.root, 90_000).then((r) => {
            d.to = this.now() + 3000;
            this.stops.push({ at, ms: r.ms, code: r.code });
            this.log(`codehive stop: exit ${r.code} after ${Math.round(r.ms)} ms ${r.stdout.trim()} ${r.stderr.trim()}`);
          }),
        );
        return;
      }
    }
  }

  // ── sampling ──

  private lastSampleCalls = 0;
  private lastSampleFailed = 0;

  async sample(): Promise<Sample> {
    const pids = daemonPids(this.cacheDir);
    const pid = pids.length === 1 ? pids[0]! : null;
    const s: Sample = {
      t: this.now() - this.chaosStart,
      daemons: pids.length,
      pid,
      rssMb: null,
      rssAnonMb: null,
      rssFileMb: null,
      heapMb: null,
      mainHeapTotalMb: null,
      parseHeapTotalMb: null,
      resolveHeapTotalMb: null,
      readHeapTotalMb: null,
      mallocInUseMb: null,
      mallocFreeMb: null,
      trims: null,
      bytesReadSinceTrim: null,
      fds: null,
      sockets: null,
      loops: null,
      fdKinds: null,
      sessions: null,
      walBytes: fileSize(join(this.cacheDir, 'graph.db-wal')),
      dbBytes: fileSize(join(this.cacheDir, 'graph.db')),
      loop: null,
      calls: this.calls.length - this.lastSampleCalls,
      errors: this.calls.filter((c) => c.outcome === 'failed').length - this.lastSampleFailed,
      projects: null,
      symbols: null,
      jobs: null,
    };
    this.lastSampleCalls = this.calls.length;
    this.lastSampleFailed += s.errors;
    if (pid) {
      const rss = procStatusKb(pid, 'VmRSS');
      s.rssMb = rss === null ? null : rss / 1024;
      const anon = procStatusKb(pid, 'RssAnon');
      const file = procStatusKb(pid, 'RssFile');
      s.rssAnonMb = anon === null ? null : anon / 1024;
      s.rssFileMb = file === null ? null : file / 1024;
      const fd = fdCensus(pid);
      s.fds = fd?.total ?? null;
      s.sockets = fd?.sockets ?? null;
      s.loops = fd?.loops ?? null;
      s.fdKinds = fd?.kinds ?? null;
      const reg = readRegistration(join(this.cacheDir, 'daemon.json'));
      if (reg && reg.pid === pid) {
        try {
          // The same answer `codehive status --json` prints (GET /v1/status), without a process per sample.
          const st = await requestJson<DaemonStatus>(reg.socketPath, ROUTES.status, { timeoutMs: 10_000 });
          const mb = (n: number | undefined) => (n === undefined ? null : n / 1024 / 1024);
          s.heapMb = mb(st.memory.heapUsedBytes);
          s.mainHeapTotalMb = mb(st.memory.heapTotalBytes);
          s.parseHeapTotalMb = mb(st.indexer?.parseHeap?.totalBytes);
          s.resolveHeapTotalMb = mb(st.indexer?.resolveHeap?.totalBytes);
          // A build before the read thread reports none: 0, not unknown.
          s.readHeapTotalMb = mb(st.readThread?.heap.totalBytes ?? 0);
          s.mallocInUseMb = mb(st.memory.malloc?.inUseBytes);
          s.mallocFreeMb = mb(st.memory.malloc?.freeBytes);
          s.trims = st.memory.release?.trims ?? null;
          // Without trims (no glibc) the count only grows: settle by time instead.
          s.bytesReadSinceTrim = st.memory.release?.available ? (st.memory.release.bytesReadSinceTrim ?? null) : null;
          s.loop = st.eventLoop ?? null;
          s.sessions = st.sessions.length;
          s.projects = st.projects.map((p) => p.root);
          s.symbols = st.projects.reduce((a, p) => a + p.symbols, 0);
          s.jobs = st.jobs.length;
        } catch {
          resetConnections(reg.socketPath);
        }
      }
    }
    this.samples.push(s);
    return s;
  }

  // ── the whole run ──

  async run(): Promise<SoakReport> {
    const o = this.o;
    const schedule = makeSchedule(o);
    const digest = scheduleDigest(schedule);
    process.stdout.write(`soak: seed ${o.seed} · schedule ${digest} (${schedule.length} events) · ${o.sessions} sessions · ${(o.seconds / 60).toFixed(2)} min\n`);
    await this.prepareCorpus();
    const files = listSources(this.root).length;
    this.log(`corpus copy ${this.root} (${files} files), cache ${this.cacheDir}`);

    // All sessions at once: their first calls race to spawn the one daemon.
    const first = await Promise.all(Array.from({ length: o.sessions }, (_, i) => this.openSession(i)));
    const idx = await Promise.all([
      this.call(first[0]!, 'index_repository', { path: this.root, mode: 'full' }, false),
      this.call(first[Math.min(1, first.length - 1)]!, 'index_repository', { path: this.second }, false),
    ]);
    for (const r of idx) if (r.outcome !== 'ok') throw new Error(`initial index failed: ${r.message}`);
    this.log(`initial index done in ${Math.round(idx[0]!.end - idx[0]!.start)} ms; daemons: ${daemonPids(this.cacheDir).join(',')}`);

    this.chaosStart = this.now();
    for (const s of first) this.startLoop(s);
    const sampler = (async () => {
      for (let next = this.now(); !this.stopped; ) {
        await this.sample();
        next += o.sampleEverySec * 1000;
        await sleep(Math.max(0, next - this.now()));
      }
    })();
    for (const ev of schedule) {
      const wait = this.chaosStart + ev.at - this.now();
      if (wait > 0) await sleep(wait);
      await this.runEvent(ev);
    }
    const endAt = this.chaosStart + o.seconds * 1000;
    if (endAt > this.now()) await sleep(endAt - this.now());
    const durationSec = (this.now() - this.chaosStart) / 1000;

    // Stop mutating and querying; let in-flight work finish (bounded).
    this.log('chaos over: settling');
    this.stopped = true;
    await this.mutations;
    await Promise.race([Promise.allSettled([...this.sessions.values()].map((s) => s.loop)), sleep(180_000)]);
    await Promise.race([Promise.allSettled([...this.background]), sleep(600_000)]);
    await sampler;
    const expected = [this.root, this.second];
    const live = [...this.sessions.values()].filter((s) => s.alive && !s.ending);
    const settle = await this.settle(live[0]);
    this.log(`settled after ${settle} ms`);

    // Lost projects: every session sees both, and so does the database after the stop.
    const lost = new Set<string>();
    for (const s of live) {
      const r = (await s.client.callTool({ name: 'list_projects', arguments: {} })) as { content: Array<{ text?: string }> };
      const text = r.content.map((c) => c.text ?? '').join('\n');
      for (const p of expected) if (!text.includes(p)) lost.add(p);
    }
    const exportA = await runCli(this.env, ['export', this.root], this.root);
    if (exportA.code !== 0) throw new Error(`export failed: ${exportA.stderr}`);
    this.log('closing sessions, codehive stop');
    await Promise.allSettled(live.map((s) => ((s.ending = true), s.client.close())));
    const stop = await runCli(this.env, ['stop'], this.root, 90_000);
    const deadline = Date.now() + 30_000;
    while (daemonPids(this.cacheDir).length > 0 && Date.now() < deadline) await sleep(50);
    let integrity = 'not run';
    const leftover = daemonPids(this.cacheDir);
    if (leftover.length > 0) integrity = `daemon still running after stop (exit ${stop.code}): ${leftover.join(',')}`;
    else {
      const db = new Database(join(this.cacheDir, 'graph.db'), { readonly: true, fileMustExist: true });
      try {
        integrity = String(db.pragma('integrity_check', { simple: true }));
        const roots = (db.prepare('SELECT root FROM projects').all() as Array<{ root: string }>).map((r) => r.root);
        for (const p of expected) if (!roots.includes(p)) lost.add(p);
      } finally {
        db.close();
      }
    }

    // The reference: the final tree indexed from scratch by a separate daemon with its own cache dir.
    this.log('reference index of the final tree');
    const refIdx = await runCli(this.refEnv, ['index', this.root, '--full'], this.root);
    if (refIdx.code !== 0) throw new Error(`reference index failed: ${refIdx.stderr}`);
    const refBytes = fileSize(join(this.refCacheDir, 'graph.db')) + fileSize(join(this.refCacheDir, 'graph.db-wal'));
    const exportB = await runCli(this.refEnv, ['export', this.root], this.root);
    if (exportB.code !== 0) throw new Error(`reference export failed: ${exportB.stderr}`);
    await runCli(this.refEnv, ['stop'], this.root, 90_000);
    const graph = compareExports(exportA.stdout, exportB.stdout);

    return this.report({ digest, files, durationSec, lost: [...lost], integrity, graph, refBytes, logs: this.scanLogs() });
  }

  /** Waits until no job runs and nothing is pending (three samples in a row, 1 s apart; at most 3 min). */
  async settle(s: Session | undefined): Promise<number> {
    const start = this.now();
    let quiet = 0;
    while (this.now() - start < 180_000 && quiet < 3) {
      await sleep(1000);
      // A read makes the daemon flush what its watcher has seen (read-your-writes), and respawns it if needed.
      if (s) await s.client.callTool({ name: 'index_status', arguments: {} }).catch(() => undefined);
      const reg = readRegistration(join(this.cacheDir, 'daemon.json'));
      if (!reg) continue;
      try {
        const st = await requestJson<DaemonStatus>(reg.socketPath, ROUTES.status, { timeoutMs: 10_000 });
        const idle = st.jobs.length === 0 && st.projects.every((p) => p.pendingChanges === 0);
        quiet = idle ? quiet + 1 : 0;
      } catch {
        resetConnections(reg.socketPath);
        quiet = 0;
      }
    }
    return Math.round(this.now() - start);
  }

  report(x: {
    digest: string;
    files: number;
    durationSec: number;
    lost: string[];
    integrity: string;
    graph: GraphDiff;
    refBytes: number;
    logs: SoakReport['logs'];
  }): SoakReport {
    const o = this.o;
    const calls = this.calls;
    const ok = calls.filter((c) => c.outcome === 'ok').length;
    const answerErrors = calls.filter((c) => c.outcome === 'answer-error').length;
    const failedCalls = calls.filter((c) => c.outcome === 'failed');
    const excusedCalls = calls.filter((c) => c.outcome === 'excused');
    const byMessage = (cs: CallRecord[]) => {
      const m = new Map<string, number>();
      for (const c of cs) {
        const key = `${c.tool}${c.readOnly ? '' : ' (write)'}: ${(c.message ?? c.code ?? '?').replace(/\d{3,}/g, 'N')}`;
        m.set(key, (m.get(key) ?? 0) + 1);
      }
      return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([message, count]) => ({ message, count }));
    };
    const byTool = new Map<string, number[]>();
    for (const c of calls) {
      const key = c.session === 'cli' ? 'cli:index' : c.tool === 'trace_path' ? 'trace_path' : c.tool;
      if (!byTool.has(key)) byTool.set(key, []);
      byTool.get(key)!.push(c.end - c.start);
    }
    const latency = [...byTool.entries()]
      .map(([tool, ms]) => ({ tool, calls: ms.length, p50: pct(ms, 50), p99: pct(ms, 99), max: Math.max(...ms) }))
      .sort((a, b) => a.tool.localeCompare(b.tool));
    // Recovery: from the kill to the end of the first successful call that started after it.
    const recovery = (at: number) => {
      const after = calls.filter((c) => c.start >= at && (c.outcome === 'ok' || c.outcome === 'answer-error') && c.session !== 'cli');
      return after.length ? Math.round(Math.min(...after.map((c) => c.end)) - at) : null;
    };
    const kills = this.kills.map((k) => ({
      atSec: round1((k.at - this.chaosStart) / 1000),
      pid: k.pid,
      recoveryMs: recovery(k.at),
      inflight: calls.filter((c) => c.start < k.at && c.end > k.at).length,
    }));
    const stops = this.stops.map((s) => ({ atSec: round1((s.at - this.chaosStart) / 1000), recoveryMs: recovery(s.at + s.ms), stopMs: Math.round(s.ms), code: s.code }));

    // Criteria computed over samples after the warm-up, per daemon lifetime (each restarted daemon warms up too).
    const warm = o.warmupSec * 1000;
    const firstSeen = new Map<number, number>();
    for (const s of this.samples) if (s.pid !== null && !firstSeen.has(s.pid)) firstSeen.set(s.pid, s.t);
    const steady = this.samples.filter((s) => s.pid !== null && s.t >= warm && s.t - (firstSeen.get(s.pid) ?? 0) >= Math.min(warm, 30_000));
    const segments = new Map<number, Sample[]>();
    for (const s of steady) {
      if (!segments.has(s.pid!)) segments.set(s.pid!, []);
      segments.get(s.pid!)!.push(s);
    }
    // The slope is judged on the last daemon lifetime (the calm tail of the run) after its own warm-up: a
    // restarted daemon fills its caches and starts parser threads for a while, which is not a leak. The pooled
    // slope over every lifetime is reported beside it.
    const lastPid = [...this.samples].reverse().find((s) => s.pid !== null)?.pid ?? null;
    const tail = this.samples.filter((s) => s.pid !== null && s.pid === lastPid && s.t >= warm && s.t - (firstSeen.get(s.pid) ?? 0) >= warm);
    // Judged on the settled baseline (see settledSamples): where a sample falls in a full index's transient
    // peak swung the all-samples slope by ±10 MB/min from run to run. Both are reported.
    const baseline = settledSamples(tail);
    const rssSlope = pooledSlope([baseline], (s) => s.rssMb);
    const rssAllSlope = pooledSlope([tail], (s) => s.rssMb);
    const restingSlope = pooledSlope([firstAfterEachTrim(baseline)], (s) => s.rssMb);
    const heapSlope = pooledSlope([baseline], (s) => s.heapMb);
    const anonSlope = pooledSlope([baseline], (s) => s.rssAnonMb);
    const fileSlope = pooledSlope([baseline], (s) => s.rssFileMb);
    const partSlope = (y: (s: Sample) => number | null) => {
      const v = pooledSlope([baseline], y).slope;
      return v === null ? null : round3(v);
    };
    const outsideHeaps = (s: Sample) =>
      s.rssAnonMb === null || s.mainHeapTotalMb === null || s.parseHeapTotalMb === null || s.resolveHeapTotalMb === null || s.readHeapTotalMb === null
        ? null
        : s.rssAnonMb - s.mainHeapTotalMb - s.parseHeapTotalMb - s.resolveHeapTotalMb - s.readHeapTotalMb;
    const anonParts = {
      mainHeap: partSlope((s) => s.mainHeapTotalMb),
      parseHeap: partSlope((s) => s.parseHeapTotalMb),
      resolveHeap: partSlope((s) => s.resolveHeapTotalMb),
      readHeap: partSlope((s) => s.readHeapTotalMb),
      outsideHeaps: partSlope(outsideHeaps),
      mallocInUse: partSlope((s) => s.mallocInUseMb),
      mallocFree: partSlope((s) => s.mallocFreeMb),
    };
    const pooledRss = pooledSlope([...segments.values()], (s) => s.rssMb);
    const tailSpan = tail.length ? round1((tail[tail.length - 1]!.t - tail[0]!.t) / 1000) : 0;
    // fds that are neither sockets (one hold + pooled connections per session, which come and go with the
    // sessions) nor a thread's event loop (4 each, the pool starts threads lazily): files, pipes, watchers.
    const ownFds = (s: Sample) => (s.fds === null || s.sockets === null || s.loops === null ? null : s.fds - s.sockets - 4 * s.loops);
    let drift: number | null = null;
    for (const seg of segments.values()) {
      // The floor, not single samples: a scan's open directories or a file being read are there for a moment;
      // a leaked fd raises the minimum for good. First third's minimum vs last third's.
      const ns = seg.map(ownFds).filter((v): v is number => v !== null);
      if (ns.length < 3) continue;
      const k = Math.max(1, Math.floor(ns.length / 3));
      drift = Math.max(drift ?? -Infinity, Math.min(...ns.slice(-k)) - Math.min(...ns.slice(0, k)));
    }
    const nonSocket = steady.map(ownFds).filter((v): v is number => v !== null);
    const loopCounts = steady.map((s) => s.loops).filter((v): v is number => v !== null);
    const perSession = steady.filter((s) => s.sockets !== null && s.sessions).map((s) => s.sockets! / s.sessions!);
    // The loop is judged on every sample after the run's warm-up, restarted daemons included (their catch-up
    // index runs while sessions wait).
    const loops = this.samples.filter((s) => s.t >= warm && s.loop && s.loop.windowMs > 0);
    const worst = loops.reduce<Sample | null>((w, s) => (!w || s.loop!.p99Ms > w.loop!.p99Ms ? s : w), null);
    const allLoops = this.samples.filter((s) => s.loop);
    // Daemon census: 0 is fine within 10 s after a kill or a stop (until a session's next call respawns it).
    const disruptedAt = (t: number) => [...this.kills.map((k) => k.at), ...this.stops.map((s) => s.at)].some((at) => t + this.chaosStart >= at && t + this.chaosStart - at <= 10_000) ||
      this.disruptions.some((d) => t + this.chaosStart >= d.from && t + this.chaosStart <= d.to);
    const census = { samples: this.samples.length, zeroTransient: 0, zeroBad: 0, multiple: 0 };
    for (const s of this.samples) {
      if (s.daemons > 1) census.multiple++;
      else if (s.daemons === 0) disruptedAt(s.t) ? census.zeroTransient++ : census.zeroBad++;
    }
    const sampleLost = new Set<string>();
    for (const s of this.samples) if (s.projects) for (const p of [this.root, this.second]) if (!s.projects.includes(p)) sampleLost.add(p);
    const lostProjects = [...new Set([...x.lost, ...sampleLost])];
    const limit = Number(process.env.CODEHIVE_JOURNAL_SIZE_LIMIT || 64 * 1024 * 1024);
    const maxWal = Math.max(0, ...this.samples.map((s) => s.walBytes));
    const maxDb = Math.max(0, ...this.samples.map((s) => s.dbBytes));
    // One checkpoint's worth: what the biggest write batch (a full index) writes, measured as the size of the
    // reference database after its one full index.
    const allowance = limit + x.refBytes;
    const failedReads = failedCalls.filter((c) => c.readOnly);
    const failedWrites = failedCalls.filter((c) => !c.readOnly);

    const checks: Check[] = [];
    const check = (name: string, pass: boolean | null, detail: string) => checks.push({ name, status: pass === null ? 'SKIP' : pass ? 'PASS' : 'FAIL', detail });
    check('no failed read calls', failedReads.length === 0, `${failedReads.length} failed of ${calls.filter((c) => c.readOnly).length} reads`);
    check('no failed write calls outside a daemon kill/stop', failedWrites.length === 0, `${failedWrites.length} failed, ${excusedCalls.length} excused (killed/stopped under them, or their session was ended)`);
    check('no lost projects', lostProjects.length === 0, lostProjects.length ? `lost: ${lostProjects.join(', ')}` : `both projects present in every sample, every session and the database`);
    check('integrity_check ok', x.integrity === 'ok', x.integrity);
    check('no ERROR lines in the logs', x.logs.errors.length === 0, x.logs.errors.length ? x.logs.errors.slice(0, 3).map((e) => `${e.count}× ${e.message}`).join(' | ') : 'daemon.log and shim.log have none');
    check(
      'final graph equals a from-scratch index',
      x.graph.missing.length === 0 && x.graph.extra.length === 0,
      `${x.graph.nodes} nodes/${x.graph.edges} edges vs ${x.graph.referenceNodes}/${x.graph.referenceEdges}; ${x.graph.missing.length} missing, ${x.graph.extra.length} extra`,
    );
    check('exactly one daemon at every sample', census.multiple === 0 && census.zeroBad === 0, `${census.samples} samples: ${census.multiple} with >1, ${census.zeroBad} with 0 outside a kill/stop, ${census.zeroTransient} with 0 right after one`);
    check(
      'recovery after each daemon kill < 3 s',
      kills.length === 0 ? null : kills.every((k) => k.recoveryMs !== null && k.recoveryMs < 3000),
      kills.length ? kills.map((k) => `${k.recoveryMs ?? '∞'} ms`).join(', ') : 'no kill happened',
    );
    check(
      'RSS slope < 1 MB/min after warm-up',
      !o.slope || rssSlope.slope === null ? null : rssSlope.slope < 1,
      rssSlope.slope === null
        ? 'not enough settled samples in the last daemon lifetime after its warm-up'
        : `${rssSlope.slope.toFixed(2)} ± ${rssSlope.se!.toFixed(2)} MB/min at the settled baseline of the last daemon lifetime (${rssSlope.n} of ${tail.length} samples, ${tailSpan} s; all samples ${rssAllSlope.slope?.toFixed(2) ?? 'n/a'})${o.slope ? '' : ' (not judged: --no-slope)'}`,
    );
    check('fd drift ≤ 5 after warm-up', drift === null ? null : drift <= 5, drift === null ? 'not enough steady samples' : `${drift} (fds other than sockets and thread event loops, per daemon lifetime, floor of the last third minus floor of the first)`);
    check('WAL ≤ journal_size_limit + one checkpoint', maxWal <= allowance, `max ${mb(maxWal)} ≤ ${mb(limit)} + ${mb(x.refBytes)} (a full index's writes)`);
    check(
      'event-loop delay p99 < 50 ms after warm-up',
      worst === null ? null : worst.loop!.p99Ms < 50,
      worst === null ? 'no steady samples' : `worst window p99 ${worst.loop!.p99Ms} ms at ${round1(worst.t / 1000)} s (max ${Math.max(...loops.map((s) => s.loop!.maxMs))} ms)`,
    );

    return {
      seed: o.seed,
      digest: x.digest,
      options: o,
      corpus: { root: this.root, files: x.files },
      durationSec: round1(x.durationSec),
      calls: {
        total: calls.length,
        ok,
        answerErrors,
        failed: failedCalls.length,
        excused: excusedCalls.length,
        perSecond: round1(calls.length / Math.max(1, x.durationSec)),
      },
      failures: byMessage(failedCalls),
      excused: byMessage(excusedCalls),
      latency,
      kills,
      stops,
      events: this.eventCounts,
      rss: {
        slopeMbPerMin: rssSlope.slope === null ? null : round3(rssSlope.slope),
        slopeSe: rssSlope.se === null ? null : round3(rssSlope.se),
        allSamplesSlopeMbPerMin: rssAllSlope.slope === null ? null : round3(rssAllSlope.slope),
        allSamplesSlopeSe: rssAllSlope.se === null ? null : round3(rssAllSlope.se),
        restingSlopeMbPerMin: restingSlope.slope === null ? null : round3(restingSlope.slope),
        restingSlopeSe: restingSlope.se === null ? null : round3(restingSlope.se),
        restingSamples: restingSlope.n,
        tailSamples: tail.length,
        anonSlopeMbPerMin: anonSlope.slope === null ? null : round3(anonSlope.slope),
        fileSlopeMbPerMin: fileSlope.slope === null ? null : round3(fileSlope.slope),
        anonMax: maxOf(this.samples.map((s) => s.rssAnonMb)),
        fileMax: maxOf(this.samples.map((s) => s.rssFileMb)),
        spanSec: tailSpan,
        pooledSlopeMbPerMin: pooledRss.slope === null ? null : round3(pooledRss.slope),
        min: minOf(this.samples.map((s) => s.rssMb)),
        max: maxOf(this.samples.map((s) => s.rssMb)),
        samplesUsed: rssSlope.n,
        symbolsPerMin: partSlope((s) => s.symbols),
      },
      heap: { slopeMbPerMin: heapSlope.slope === null ? null : round3(heapSlope.slope), max: maxOf(this.samples.map((s) => s.heapMb)) },
      anonParts,
      fds: { drift, nonSocketMin: nonSocket.length ? Math.min(...nonSocket) : null, nonSocketMax: nonSocket.length ? Math.max(...nonSocket) : null, loopsMax: loopCounts.length ? Math.max(...loopCounts) : null, maxSocketsPerSession: perSession.length ? round1(Math.max(...perSession)) : null },
      wal: { maxBytes: maxWal, limitBytes: limit, allowanceBytes: allowance, maxDbBytes: maxDb },
      eventLoop: {
        maxP99Ms: worst?.loop?.p99Ms ?? null,
        maxMs: allLoops.length ? Math.max(...allLoops.map((s) => s.loop!.maxMs)) : null,
        worstWindowAtSec: worst ? round1(worst.t / 1000) : null,
      },
      daemonCensus: census,
      graph: x.graph,
      integrity: x.integrity,
      lostProjects,
      logs: x.logs,
      checks,
      samples: this.samples,
    };
  }

  /** ERROR lines (a bug: an INTERNAL tool failure, an uncaught exception…) and WARN lines of the logs, grouped. */
  scanLogs(): { errors: Array<{ message: string; count: number }>; warnings: Array<{ message: string; count: number }> } {
    const errors = new Map<string, number>();
    const warnings = new Map<string, number>();
    for (const f of readdirSync(this.cacheDir)) {
      if (!/^(daemon|shim)\.log(\.\d+)?$/.test(f)) continue;
      for (const line of readFileSync(join(this.cacheDir, f), 'utf8').split('\n')) {
        const m = / (ERROR|WARN) +\[([a-z]+):\d+\] (.*)$/.exec(line);
        if (!m) continue;
        const key = `${m[2]}: ${m[3]!.replace(/\/tmp\/codehive-soak-[^/ "]+/g, '…').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'ID').replace(/\d{2,}/g, 'N').slice(0, 200)}`;
        const into = m[1] === 'ERROR' ? errors : warnings;
        into.set(key, (into.get(key) ?? 0) + 1);
      }
    }
    const list = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([message, count]) => ({ message, count }));
    return { errors: list(errors), warnings: list(warnings) };
  }

  /** Kills every process we started and removes the temp dir. Idempotent; synchronous, so it also runs on exit. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    this.stopped = true;
    for (const s of this.sessions.values()) {
      if (s.transport.pid) {
        try {
          process.kill(s.transport.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const dir of [this.cacheDir, this.refCacheDir]) {
      for (const pid of daemonPids(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (!this.o.keep) rmSync(this.base, { recursive: true, force: true });
  }

  /**
   * On failure, keep the logs (daemon, shims) where they can be read after the temp dir is gone, and the
   * samples as CSV (the shape of RSS or fds over time says more than a slope).
   */
  saveLogs(tag: string): string | null {
    try {
      const dest = join(benchCacheDir(), 'soak', `${new Date().toISOString().replace(/[:.]/g, '-')}-seed${this.o.seed}-${tag}`);
      mkdirSync(dest, { recursive: true });
      const cols = ['t', 'pid', 'rssMb', 'rssAnonMb', 'rssFileMb', 'heapMb', 'mainHeapTotalMb', 'parseHeapTotalMb', 'resolveHeapTotalMb', 'readHeapTotalMb', 'mallocInUseMb', 'mallocFreeMb', 'trims', 'bytesReadSinceTrim', 'fds', 'sockets', 'sessions', 'walBytes', 'calls', 'errors', 'jobs', 'symbols'] as const;
      const round = (v: number | null | undefined) => (typeof v === 'number' ? Math.round(v * 10) / 10 : '');
      const csv = this.samples.map((s) => [...cols.map((c) => (typeof s[c] === 'number' ? round(s[c] as number) : (s[c] ?? ''))), round(s.loop?.p99Ms), round(s.loop?.maxMs)].join(','));
      writeFileSync(join(dest, 'samples.csv'), [[...cols, 'loopP99Ms', 'loopMaxMs'].join(','), ...csv].join('\n') + '\n');
      for (const f of ['daemon.log', 'shim.log']) if (existsSync(join(this.cacheDir, f))) cpSync(join(this.cacheDir, f), join(dest, f));
      for (const f of readdirSync(this.cacheDir)) if (/\.log\.\d+$/.test(f)) cpSync(join(this.cacheDir, f), join(dest, f));
      return dest;
    } catch {
      return null;
    }
  }
}

// ───────────────────────────────────────────── graph comparison ─────────────────────────────────────────────

interface GraphDiff {
  nodes: number;
  edges: number;
  referenceNodes: number;
  referenceEdges: number;
  /** In the reference, not in the soaked graph (first 20). */
  missing: string[];
  /** In the soaked graph, not in the reference (first 20). */
  extra: string[];
}

/** Node keys (kind, qname, file, lines) and edge keys (type, source qname, target qname, line) of an export. */
export function graphKeys(jsonl: string): { nodes: Map<string, number>; edges: Map<string, number> } {
  const qname = new Map<number, string>();
  const nodes = new Map<string, number>();
  const edges = new Map<string, number>();
  const lines = jsonl.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of lines) {
    if (r.type !== 'node') continue;
    qname.set(r.id as number, String(r.qname));
    const k = `node ${r.kind} ${r.qname} ${r.file ?? ''} ${r.startLine ?? ''}-${r.endLine ?? ''}`;
    nodes.set(k, (nodes.get(k) ?? 0) + 1);
  }
  for (const r of lines) {
    if (r.type !== 'edge') continue;
    const k = `edge ${r.edge} ${qname.get(r.source as number) ?? `?${r.source}`} -> ${qname.get(r.target as number) ?? `?${r.target}`} ${r.line ?? ''}`;
    edges.set(k, (edges.get(k) ?? 0) + 1);
  }
  return { nodes, edges };
}

export function compareExports(soaked: string, reference: string): GraphDiff {
  const a = graphKeys(soaked);
  const b = graphKeys(reference);
  const missing: string[] = [];
  const extra: string[] = [];
  const diff = (x: Map<string, number>, y: Map<string, number>, out: string[]) => {
    for (const [k, n] of x) {
      const m = y.get(k) ?? 0;
      if (m < n) out.push(n - m > 1 ? `${k} (×${n - m})` : k);
    }
  };
  diff(b.nodes, a.nodes, missing);
  diff(b.edges, a.edges, missing);
  diff(a.nodes, b.nodes, extra);
  diff(a.edges, b.edges, extra);
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  return { nodes: total(a.nodes), edges: total(a.edges), referenceNodes: total(b.nodes), referenceEdges: total(b.edges), missing, extra };
}

// ───────────────────────────────────────────── statistics ─────────────────────────────────────────────

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!);
}

/** Seconds without a job seen before a sample counts as settled, where malloc trims are unavailable. */
const SETTLE_QUIET_MS = 15_000;

/**
 * Of settled samples, the first after each trim: the daemon's resting RSS just after it gave memory back.
 * Informative beside the judged slope: later samples of a quiet spell climb back by what queries allocate
 * and touch between two trims (SQLite's page cache refilling, buffers, free malloc pages reused; +5 MB on
 * average and up to +40 MB in 16-session soaks), so where they fall sways the judged slope. These are one
 * per trim: fewer, so noisier, but not swayed by how long the spells last.
 */
export function firstAfterEachTrim<S extends { trims: number | null }>(settled: S[]): S[] {
  return settled.filter((s, i) => s.trims !== null && (i === 0 || settled[i - 1]!.trims !== s.trims));
}

/**
 * The samples taken at the daemon's resting baseline: no index job running, and the memory of the last
 * job given back — a malloc trim has run since the last sample that saw a job (daemon/memory-release.ts),
 * or, without trims, 15 s have passed; and, as the daemon counts them, jobs that ended since its last trim
 * read no more than HEAVY_JOB_BYTES of source (daemon/memory-release.ts; a checkout's job between two
 * samples is seen by no sample). A full index or a checkout holds 100–170 MB more for 10–40 s; a leak is what stays after they
 * end, so this is where it shows, and the peaks' timing no longer sways the slope.
 */
export function settledSamples<S extends { t: number; jobs: number | null; trims: number | null; bytesReadSinceTrim?: number | null }>(samples: S[]): S[] {
  const trims = samples.some((s) => (s.trims ?? 0) > 0);
  const out: S[] = [];
  let jobAt: number | null = null;
  let trimsAtJob = 0;
  for (const s of samples) {
    if (s.jobs === null || s.jobs > 0) {
      jobAt = s.t;
      trimsAtJob = s.trims ?? 0;
      continue;
    }
    if ((s.bytesReadSinceTrim ?? 0) > HEAVY_JOB_BYTES) continue;
    if (jobAt === null || (trims ? (s.trims ?? 0) > trimsAtJob : s.t - jobAt >= SETTLE_QUIET_MS)) out.push(s);
  }
  return out;
}

/** Least-squares slope (per minute) with one intercept per daemon lifetime: a restart is not a leak. */
export function pooledSlope<S extends { t: number }>(segments: S[][], y: (s: S) => number | null): { slope: number | null; se: number | null; n: number } {
  let sxy = 0;
  let sxx = 0;
  let n = 0;
  const resid: Array<{ x: number; y: number; mx: number; my: number }> = [];
  for (const seg of segments) {
    const pts = seg.map((s) => [s.t / 60_000, y(s)] as const).filter((p): p is readonly [number, number] => p[1] !== null);
    if (pts.length < 3) continue;
    const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
    const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
    for (const [x, v] of pts) {
      sxy += (x - mx) * (v - my);
      sxx += (x - mx) ** 2;
      resid.push({ x, y: v, mx, my });
    }
    n += pts.length;
  }
  if (!(sxx > 0 && n >= 6)) return { slope: null, se: null, n };
  const slope = sxy / sxx;
  // Standard error of the slope: how much of it the noise (GC sawtooth, caches) could explain.
  const sse = resid.reduce((a, r) => a + (r.y - r.my - slope * (r.x - r.mx)) ** 2, 0);
  return { slope, se: Math.sqrt(sse / Math.max(1, n - 2) / sxx), n };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const minOf = (xs: Array<number | null>) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? round1(Math.min(...v)) : null;
};
const maxOf = (xs: Array<number | null>) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? round1(Math.max(...v)) : null;
};

export function formatReport(r: SoakReport): string {
  const L: string[] = [];
  const o = r.options;
  L.push(`═══ codehive soak report ═══`);
  L.push(`seed ${r.seed} · schedule ${r.digest} · ${o.sessions} sessions · ${r.durationSec} s of chaos · corpus ${o.corpus} (${r.corpus.files} files)`);
  L.push(`events: ${Object.entries(r.events).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push(`calls: ${r.calls.total} (${r.calls.perSecond}/s) — ok ${r.calls.ok}, answered with an error about the code ${r.calls.answerErrors}, failed ${r.calls.failed}, excused ${r.calls.excused}`);
  L.push(`failed calls by message:${r.failures.length ? '' : ' none'}`);
  for (const f of r.failures.slice(0, 15)) L.push(`  ${String(f.count).padStart(5)}  ${f.message}`);
  if (r.excused.length) {
    L.push(`excused calls (writes under a kill/stop, calls of sessions the soak ended):`);
    for (const f of r.excused.slice(0, 10)) L.push(`  ${String(f.count).padStart(5)}  ${f.message}`);
  }
  L.push(`daemon kills: ${r.kills.length ? r.kills.map((k) => `t=${k.atSec}s → recovered in ${k.recoveryMs ?? '∞'} ms (${k.inflight} calls in flight)`).join('; ') : 'none'}`);
  L.push(`codehive stop: ${r.stops.length ? r.stops.map((s) => `t=${s.atSec}s took ${s.stopMs} ms (exit ${s.code}), next call ok ${s.recoveryMs ?? '∞'} ms after`).join('; ') : 'none'}`);
  L.push(`latency (ms)        calls     p50     p99     max`);
  for (const l of r.latency) L.push(`  ${l.tool.padEnd(18)}${String(l.calls).padStart(6)}${String(l.p50).padStart(8)}${String(l.p99).padStart(8)}${String(Math.round(l.max)).padStart(8)}`);
  L.push(
    `RSS: ${r.rss.min}–${r.rss.max} MB; baseline slope ${r.rss.slopeMbPerMin ?? 'n/a'} ± ${r.rss.slopeSe ?? '-'} MB/min over the last daemon lifetime after its warm-up (${r.rss.samplesUsed} settled of ${r.rss.tailSamples} samples, ${r.rss.spanSec} s); right after each trim ${r.rss.restingSlopeMbPerMin ?? 'n/a'} ± ${r.rss.restingSlopeSe ?? '-'} (${r.rss.restingSamples} samples); all samples ${r.rss.allSamplesSlopeMbPerMin ?? 'n/a'} ± ${r.rss.allSamplesSlopeSe ?? '-'}, ${r.rss.pooledSlopeMbPerMin ?? 'n/a'} MB/min pooled over every lifetime; heap max ${r.heap.max} MB, baseline slope ${r.heap.slopeMbPerMin ?? 'n/a'} MB/min; the graph grew ${r.rss.symbolsPerMin === null ? 'n/a' : Math.round(r.rss.symbolsPerMin)} symbols/min over the same samples`,
  );
  L.push(
    `  of which anonymous (heaps, malloc) max ${r.rss.anonMax} MB, slope ${r.rss.anonSlopeMbPerMin ?? 'n/a'} MB/min; file-backed (mmap'ed graph.db, code) max ${r.rss.fileMax} MB, slope ${r.rss.fileSlopeMbPerMin ?? 'n/a'} MB/min`,
    `  anonymous slope by part (MB/min): V8 heaps committed — main ${r.anonParts.mainHeap ?? 'n/a'}, parse workers ${r.anonParts.parseHeap ?? 'n/a'}, resolve worker ${r.anonParts.resolveHeap ?? 'n/a'}, read thread ${r.anonParts.readHeap ?? 'n/a'}; outside the heaps (malloc: SQLite, tree-sitter, buffers) ${r.anonParts.outsideHeaps ?? 'n/a'}, of which malloc in use ${r.anonParts.mallocInUse ?? 'n/a'}, malloc free ${r.anonParts.mallocFree ?? 'n/a'}`,
  );
  L.push(`fds: files/pipes/watchers ${r.fds.nonSocketMin}–${r.fds.nonSocketMax}, drift ${r.fds.drift ?? 'n/a'}; event loops (main + workers) ≤ ${r.fds.loopsMax ?? 'n/a'}; sockets per attached session ≤ ${r.fds.maxSocketsPerSession ?? 'n/a'}`);
  L.push(`WAL: max ${mb(r.wal.maxBytes)} (limit ${mb(r.wal.limitBytes)}, allowance ${mb(r.wal.allowanceBytes)}); db max ${mb(r.wal.maxDbBytes)}`);
  L.push(`event loop: worst steady window p99 ${r.eventLoop.maxP99Ms ?? 'n/a'} ms (t=${r.eventLoop.worstWindowAtSec ?? '-'} s), max delay over the run ${r.eventLoop.maxMs ?? 'n/a'} ms`);
  L.push(`daemons per sample: ${r.daemonCensus.samples} samples, ${r.daemonCensus.multiple} with >1, ${r.daemonCensus.zeroTransient} with 0 right after a kill/stop, ${r.daemonCensus.zeroBad} with 0 otherwise`);
  L.push(`graph: ${r.graph.nodes} nodes, ${r.graph.edges} edges; from scratch ${r.graph.referenceNodes} nodes, ${r.graph.referenceEdges} edges`);
  for (const m of r.graph.missing.slice(0, 10)) L.push(`  missing: ${m}`);
  for (const m of r.graph.extra.slice(0, 10)) L.push(`  extra:   ${m}`);
  L.push(`integrity_check: ${r.integrity}`);
  L.push(`log lines: ${r.logs.errors.reduce((a, e) => a + e.count, 0)} ERROR, ${r.logs.warnings.reduce((a, e) => a + e.count, 0)} WARN`);
  for (const e of r.logs.errors.slice(0, 10)) L.push(`  ERROR ${String(e.count).padStart(5)}  ${e.message}`);
  for (const w of r.logs.warnings.slice(0, 8)) L.push(`  WARN  ${String(w.count).padStart(5)}  ${w.message}`);
  for (const c of r.checks) L.push(`${c.status.padEnd(4)}  ${c.name} — ${c.detail}`);
  const fails = r.checks.filter((c) => c.status === 'FAIL').length;
  L.push(fails ? `RESULT: FAIL (${fails} criteria failed)` : `RESULT: PASS`);
  return L.join('\n') + '\n';
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const soak = new Soak(o);
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`soak: ${sig}, cleaning up\n`);
    soak.cleanup();
    process.exit(130);
  };
  const onExit = () => soak.cleanup();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  try {
    const report = await soak.run();
    if (report.checks.some((c) => c.status === 'FAIL')) {
      const saved = soak.saveLogs('fail');
      if (saved) process.stderr.write(`soak: logs kept in ${saved}\n`);
    }
    return report;
  } catch (err) {
    const saved = soak.saveLogs('error');
    if (saved) process.stderr.write(`soak: logs kept in ${saved}\n`);
    throw err;
  } finally {
    soak.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

async function main(): Promise<void> {
  const o = parseSoakArgs(process.argv.slice(2));
  const report = await runSoak(o);
  process.stdout.write(formatReport(report));
  if (o.jsonOut) writeFileSync(o.jsonOut, JSON.stringify(report, null, 2) + '\n');
  process.exit(report.checks.some((c) => c.status === 'FAIL') ? 1 : 0);
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
}


