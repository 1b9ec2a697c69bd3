/**
 * One soak run: the MCP sessions and their query loops, the chaos events as the schedule times them, the
 * sampler, and the end — settle, check every project is still there, export the graph, stop the daemon,
 * run PRAGMA integrity_check, index the final tree from scratch for reference — before the judge's verdict.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { requestJson, resetConnections } from '../../packages/client/http.js';
import { daemonSettings } from '../../packages/config/index.js';
import { readRegistration } from '../../packages/config/registration.js';
import { ROUTES } from '../../packages/protocol/index.js';
import type { DaemonStatus } from '../../daemon/status.js';
import { corpusByName, CORPORA, ensureCorpus } from '../corpora.js';
import { benchCacheDir } from '../lib/paths.js';
import { daemonPids } from '../lib/procs.js';
import { initGit, listSources, mutate, symbolPool } from './corpus.js';
import { compareExports } from './graph-diff.js';
import { judge, type CallRecord, type LogCounts, type SoakReport } from './judge.js';
import type { SoakOptions } from './options.js';
import { BIN, git, REPO, runCli } from './processes.js';
import { fileSize, lookAtDaemon, type Sample } from './sample.js';
import { makeSchedule, pick, rng, scheduleDigest, weighted, type ChaosEvent } from './schedule.js';

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
    this.env = { ...clean, CODEHIVE_CACHE_DIR: this.cacheDir, CODEHIVE_SOCKET_DIR: join(this.base, 's'), ...(o.logLevel && { CODEHIVE_LOG_LEVEL: o.logLevel }) };
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
    const t = this.now() - this.chaosStart;
    const failed = this.calls.filter((c) => c.outcome === 'failed').length;
    const counts = { calls: this.calls.length - this.lastSampleCalls, errors: failed - this.lastSampleFailed };
    this.lastSampleCalls = this.calls.length;
    this.lastSampleFailed = failed;
    const s: Sample = { t, ...counts, ...(await lookAtDaemon(this.cacheDir)) };
    this.samples.push(s);
    return s;
  }

  // ── the whole run ──

  async run(): Promise<SoakReport> {
    const o = this.o;
    const schedule = makeSchedule(o);
    const digest = scheduleDigest(schedule);
    process.stdout.write(`soak: seed ${o.seed} · schedule ${digest} (${schedule.length} events) · ${o.sessions} sessions · ${(o.seconds / 60).toFixed(2)} min${o.logLevel ? ` · daemon log level ${o.logLevel}` : ''}\n`);
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

    return judge({
      options: o,
      digest,
      corpus: { root: this.root, files },
      projects: [this.root, this.second],
      chaosStart: this.chaosStart,
      durationSec,
      calls: this.calls,
      samples: this.samples,
      kills: this.kills,
      stops: this.stops,
      disruptions: this.disruptions,
      events: this.eventCounts,
      lost: [...lost],
      integrity,
      graph,
      refBytes,
      // What the soak's daemon runs with: its environment is ours without any CODEHIVE_ setting (but --log-level).
      walLimitBytes: daemonSettings(this.env).journalSizeLimit,
      logs: this.scanLogs(),
    });
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

  /** ERROR lines (a bug: an INTERNAL tool failure, an uncaught exception…) and WARN lines of the logs, grouped. */
  scanLogs(): LogCounts {
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
