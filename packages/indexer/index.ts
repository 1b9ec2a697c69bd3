/**
 * The indexer: scan → parse (worker pool) → resolve (a worker) → write (main thread, short transactions).
 *
 * Every run ends with the project's graph equal to a from-scratch index of the tree on disk: an incremental
 * run re-parses only files whose size/mtime moved and whose content hash changed, but always re-resolves
 * the whole project from the stored facts, then writes the difference. Small differences go into the live
 * snapshot in one transaction; a full index (or a large change) builds a new snapshot and publishes it only
 * when complete, so a crash or a cancel leaves the old graph intact.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { DaemonSettings } from '../config/index.js';
import { WORKER_YOUNG_GENERATION_MB } from '../config/heap.js';
import type { Logger } from '../log/index.js';
import { CodehiveError } from '../protocol/index.js';
import type { Store } from '../store/db.js';
import { ensureProject, getProject, setProjectState, type ProjectRow } from '../store/projects.js';
import { createSnapshot, dropSnapshot, orphanSnapshots, publishSnapshot, snapshotRowCounts } from '../store/snapshots.js';
import type { IndexOptions, IndexProgress, IndexReport, Indexer, IndexerThreads, SkippedFile } from './api.js';
import { discover, rediscover, type DiscoveredFile, type Discovery } from './discover.js';
import { encodeFacts, FACTS_VERSION, WARM_UP, type ParseResult } from './facts.js';
import { readGitHead } from './git.js';
import { WorkerPool } from './pool.js';
import type { GraphDelta, ResolveReply, ResolveRequest, ResolveRest } from './resolve/session.js';
import { unpackGraph } from './transfer.js';
import { applyDelta, applyDiff, inPages, LiveIndexBuild, mergeSearchIndexPaced, SnapshotWriter, writeFiles, type FileRow, type LiveIndex } from './write.js';

export type { Indexer } from './api.js';
export { watchIgnore, IgnoreRules } from './ignore-rules.js';

/** Files per parse task: big enough to amortise messaging, small enough to balance the workers. */
const PARSE_BATCH = 24;
/** …and at most this many bytes of source (a batch holds one file at least, however big). */
export const PARSE_BATCH_BYTES = 192 * 1024;
/** A parse worker that parsed this many files is replaced by a fresh one when the pool goes quiet (pool.ts). */
const RECYCLE_AFTER_FILES = 64;
/** An incremental change touching more files than this builds a new snapshot instead of an in-place diff. */
const IN_PLACE_MAX_FILES = 200;
/**
 * …and so does one changing more graph rows than this (a checkout, an edit at the top of a big file shifting
 * every line below it). An in-place diff is one transaction, which holds the event loop for its whole length
 * (~6 µs per row here: 27k rows took 140 ms); a new snapshot is written in ~6 ms transactions.
 */
const IN_PLACE_MAX_ROWS = 5_000;
/**
 * The resolve worker keeps a project's parsed facts and last graph; idle this long it is ended (a parse
 * worker retires after 30 s because of native tree memory; this one holds only V8 heap, and losing it makes
 * the next edit send every file's facts again).
 */
const RESOLVE_IDLE_RETIRE_MS = 5 * 60_000;

interface ProjectCache {
  snapshot: number;
  /** Without facts (see `FileRow.facts`). */
  files: Map<string, FileRow>;
  /** The discovery that produced `files` (a watcher hint re-stats only its paths against it). */
  disc?: Discovery;
  /** Ids and keys of the live graph's rows (an in-place diff needs no read-back), or what builds them. */
  graph?: LiveIndexBuild;
  /** The resolve worker's generation holding `files`' facts and the live graph. */
  gen?: number;
}

export function createIndexer(store: Store, settings: DaemonSettings, log: Logger): Indexer {
  return new TreeSitterIndexer(store, settings, log);
}

class TreeSitterIndexer implements Indexer {
  private readonly pool: WorkerPool;
  /** One worker, always the same, so it can remember facts and graphs between runs (resolve/session.ts). */
  private readonly resolver: WorkerPool;
  private gen = 0;
  private readonly cache = new Map<number, ProjectCache>();
  private readonly active = new Set<number>();

  constructor(
    private readonly store: Store,
    private readonly settings: DaemonSettings,
    private readonly log: Logger,
  ) {
    this.pool = new WorkerPool(Math.max(1, settings.workers), log, {
      recycleAfterWeight: RECYCLE_AFTER_FILES,
      warmUp: WARM_UP,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB.parse },
    });
    this.resolver = new WorkerPool(1, log, {
      entry: 'resolve-worker.js',
      idleRetireMs: RESOLVE_IDLE_RETIRE_MS,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB.resolve },
    });
  }

  threads(): IndexerThreads {
    const parse = this.pool.stats();
    const resolve = this.resolver.stats();
    return {
      parseWorkers: parse.workers,
      parsing: parse.busy,
      parseWorkersRecycled: parse.recycled,
      resolveWorkers: resolve.workers,
      parseHeap: { usedBytes: parse.heapUsedBytes, totalBytes: parse.heapTotalBytes },
      resolveHeap: { usedBytes: resolve.heapUsedBytes, totalBytes: resolve.heapTotalBytes },
    };
  }

  async sweepOrphans(): Promise<number[]> {
    const orphans = orphanSnapshots(this.store, this.active);
    for (const id of orphans) await dropSnapshot(this.store, id);
    return orphans;
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.resolver.close()]);
    this.cache.clear();
  }

  async changedSince(projectId: number): Promise<string[]> {
    const project = getProject(this.store, projectId);
    if (!project) throw new CodehiveError('UNKNOWN_PROJECT', `no project with id ${projectId}`);
    if (project.snapshot === null) return [];
    const stored = this.liveFiles(project.id, project.snapshot);
    const disc = await discover(project.root, this.settings.maxFileBytes);
    const skipped = new Set(((project.stats?.skipped as SkippedFile[] | undefined) ?? []).map((s) => s.path));
    const changed: string[] = [];
    const seen = new Set<string>();
    for (const f of disc.files) {
      seen.add(f.path);
      const s = stored.get(f.path);
      if (!s) {
        if (!skipped.has(f.path)) changed.push(f.path);
      } else if (s.size !== f.size || s.mtimeMs !== f.mtimeMs) changed.push(f.path);
    }
    for (const p of stored.keys()) if (!seen.has(p)) changed.push(p);
    return changed.sort();
  }

  async index(root: string, opts: IndexOptions): Promise<IndexReport> {
    const started = Date.now();
    const project = ensureProject(this.store, root);
    const progress = (phase: IndexProgress['phase'], done: number, total: number) => opts.onProgress?.({ phase, done, total });
    setProjectState(this.store, project.id, 'indexing');
    let building: number | null = null;
    try {
      const report = await this.run(project, opts, progress, (s) => {
        building = s;
        this.active.add(s);
      });
      await mergeSearchIndexPaced(this.store, opts.signal);
      this.store.checkpoint('index');
      report.durationMs = Date.now() - started;
      this.buildLiveIndex(project.id);
      return report;
    } catch (err) {
      // What memory says about the live snapshot may be wrong now (a diff rolled back, hints consumed):
      // the next run reads it back and walks the whole tree.
      this.cache.delete(project.id);
      const cancelled = opts.signal?.aborted || (err instanceof CodehiveError && err.code === 'CANCELLED');
      if (building !== null) {
        await dropSnapshot(this.store, building).catch((e) => this.log.warn('dropping an unfinished snapshot failed', { err: String(e) }));
      }
      const current = getProject(this.store, project.id);
      if (cancelled) {
        setProjectState(this.store, project.id, current?.snapshot !== null && current?.snapshot !== undefined ? 'ready' : 'new');
        throw err instanceof CodehiveError && err.code === 'CANCELLED' ? err : new CodehiveError('CANCELLED', 'indexing was cancelled');
      }
      const message = err instanceof Error ? err.message : String(err);
      this.log.error('index failed', { root, err: err instanceof Error ? err.stack : message });
      setProjectState(this.store, project.id, 'failed', message);
      throw err;
    } finally {
      if (building !== null) this.active.delete(building);
      // If the job failed before its writes, the standby it owes (see below) is started here.
      this.pool.startOwedStandby();
    }
  }

  private async run(
    project: ProjectRow,
    opts: IndexOptions,
    progress: (phase: IndexProgress['phase'], done: number, total: number) => void,
    building: (snapshot: number) => void,
  ): Promise<IndexReport> {
    const { signal } = opts;
    const checkAbort = () => {
      if (signal?.aborted) throw new CodehiveError('CANCELLED', 'indexing was cancelled');
    };
    progress('scan', 0, 1);
    const live = project.snapshot !== null ? this.liveFiles(project.id, project.snapshot) : null;
    // Facts written by another extractor version cannot be reused for unchanged files: re-parse them all.
    const staleFacts = (project.stats?.factsVersion ?? 0) !== FACTS_VERSION;
    const full = opts.mode === 'full' || live === null || staleFacts;
    const known = live && !full && opts.changedPaths ? this.cache.get(project.id)?.disc : undefined;
    const disc =
      (known && (await rediscover(project.root, this.settings.maxFileBytes, known, opts.changedPaths!))) ||
      (await discover(project.root, this.settings.maxFileBytes, signal));
    progress('scan', 1, 1);
    checkAbort();
    const cached = this.cache.get(project.id);
    if (full && cached) cached.graph = undefined; // not needed for a new snapshot: free it while it is built
    const toParse: DiscoveredFile[] = [];
    const next = new Map<string, FileRow>();
    for (const f of disc.files) {
      const prev = live?.get(f.path);
      if (!full && prev && prev.size === f.size && prev.mtimeMs === f.mtimeMs) next.set(f.path, prev);
      else toParse.push(f);
    }

    // Something will be resolved: start the resolve worker now (if it was retired) so its start-up overlaps
    // the parse. (A no-op rescan never needs it.)
    if (toParse.length > 0 || disc.files.length !== (live?.size ?? 0)) this.resolver.warm();
    const results = await this.parseAll(project.root, toParse, full ? null : live, signal, (d) => progress('parse', d, toParse.length));
    this.pool.recycleNow();
    const report = emptyReport(project, full ? 'full' : opts.mode);
    report.skipped = [...disc.skipped];
    report.read = { files: 0, bytes: 0 };
    for (const r of results) {
      if (r.status === 'skipped') continue;
      report.read.files++;
      report.read.bytes += r.size;
    }
    const upsert: FileRow[] = [];
    const langOf = new Map(toParse.map((f) => [f.path, f.lang]));
    for (const r of results) {
      const prev = live?.get(r.path);
      if (r.status === 'skipped') {
        report.skipped.push({ path: r.path, reason: r.reason });
      } else if (r.status === 'unchanged') {
        const row = { ...prev!, size: r.size, mtimeMs: r.mtimeMs };
        next.set(r.path, row);
        upsert.push(row); // same content, new mtime: remember it so the next scan skips the hash
      } else {
        const row: FileRow = { path: r.path, lang: langOf.get(r.path)!, size: r.size, mtimeMs: r.mtimeMs, hash: r.hash, lines: r.lines, parseErrors: r.parseErrors, facts: r.facts };
        next.set(r.path, row);
        report.files.parsed++;
        if (!prev) report.files.added++;
        else if (prev.hash !== r.hash) {
          report.files.changed++;
          upsert.push(row);
        }
        if (prev) continue;
        upsert.push(row);
      }
    }
    for (const r of results) if (r.status === 'parsed' && r.errors.length) for (const m of r.errors) report.errors.push({ path: r.path, message: m });
    const removed = live ? [...live.keys()].filter((p) => !next.has(p)) : [];
    report.files.removed = removed.length;
    report.files.total = next.size;
    report.files.unchanged = next.size - report.files.added - report.files.changed;
    report.lines = [...next.values()].reduce((n, f) => n + f.lines, 0);
    report.skipped.sort((a, b) => (a.path < b.path ? -1 : 1));
    report.gitHead = readGitHead(project.root);
    checkAbort();

    const contentChanged = report.files.added + report.files.changed + report.files.removed;
    const rows = [...next.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    if (!full && contentChanged === 0) {
      // Nothing to re-resolve: only refresh mtimes and the report.
      const previous = (getProject(this.store, project.id)?.stats ?? {}) as Partial<IndexReport>;
      report.nodes = previous.nodes ?? 0;
      report.edges = previous.edges ?? 0;
      report.calls = previous.calls ?? report.calls;
      applyDiffOnlyFiles(this.store, project, upsert, report);
      const kept = this.cache.get(project.id);
      this.remember(project.id, { snapshot: project.snapshot!, files: next, disc, graph: kept?.graph, gen: kept?.gen });
      return report;
    }

    // A new snapshot gets its file rows while the worker resolves (they do not depend on resolution).
    const startSnapshot = () => {
      const snapshot = createSnapshot(this.store, project.id);
      building(snapshot);
      const files = writeFiles(this.store, snapshot, rows, project.snapshot, signal);
      files.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
      return { snapshot, files };
    };
    const inPlace = !full && contentChanged <= IN_PLACE_MAX_FILES;
    let fresh: { snapshot: number; files: Promise<void> } | null = inPlace ? null : startSnapshot();
    progress('resolve', 0, 1);
    // The resolve worker holds the facts of generation `base` (those of `live`) and the keys of its graph:
    // send only what changed, and for an in-place write ask for the difference from the live graph.
    const prior = this.cache.get(project.id);
    const base = !full && prior?.snapshot === project.snapshot && prior.files === live ? (prior.gen ?? null) : null;
    const gen = ++this.gen;
    const liveIndex = inPlace && prior?.snapshot === project.snapshot ? await prior.graph?.complete() : undefined;
    const changed = results.flatMap((r) => (r.status === 'parsed' ? [{ path: r.path, facts: r.facts }] : []));
    // The facts move to the worker (see `movable`); the stored ones are read in pages: read in one piece and
    // cloned into the message, effect's held the event loop ~30 + ~25 ms at the catch-up after a restart.
    const request = async (from: number | null): Promise<Ask> => {
      const facts = from === null ? await this.withFacts(rows, project.snapshot) : { files: changed, own: new Set<Uint8Array>() };
      const { files, transfer } = movable(facts.files, facts.own);
      const req: ResolveRequest = {
        project: project.id,
        root: project.root,
        projectName: project.name,
        configs: disc.configs,
        base: from,
        gen,
        files,
        removed: from === null ? [] : removed,
        delta: from !== null && liveIndex !== undefined,
        maxDeltaRows: IN_PLACE_MAX_ROWS,
      };
      return { req, transfer };
    };
    const resolve = (r: Ask) => this.resolver.run<ResolveReply>(r.req, 1, r.transfer);
    let ask = await request(base);
    let asked = ask.req;
    /** Resolution from every file's facts, when the worker's base is gone or disagrees with the live graph. */
    const resolveAll = async () => {
      ask = await request(null);
      asked = ask.req;
      return resolve(ask);
    };
    let reply: ResolveReply;
    // A whole graph into a new snapshot: its nodes and structural edges are written while the calls resolve.
    let staged: { writer: SnapshotWriter; edges: number } | null = null;
    try {
      if (fresh && asked.base === null) {
        asked.staged = true;
        const structure = resolve(ask);
        const rest = this.resolver.run<ResolveReply>({ project: project.id, rest: true } satisfies ResolveRest);
        rest.catch(() => {}); // awaited below, unless writing the structure fails first
        staged = await this.writeStructure(fresh, await structure, signal);
        reply = await rest;
      } else {
        reply = await resolve(ask);
        if (reply.kind === 'stale') reply = await resolveAll();
      }
    } finally {
      if (fresh) await fresh.files.catch(() => {}); // settle before an error path drops the snapshot
    }
    if (fresh) await fresh.files;
    // Resolution is over and the rest is the main thread's writes: a core is free for the standby parse
    // worker (see `recycleNow`) to start and warm up before the next edit.
    this.pool.startOwedStandby();
    checkAbort();

    let graph: Awaited<ReturnType<typeof receiveGraph>>;
    if (!fresh) {
      const snapshot = project.snapshot!;
      const extra = () => {
        this.store
          .stmt(`UPDATE projects SET state = 'ready', error = NULL, indexed_at = ?, git_head = ?, stats = ? WHERE id = ?`)
          .run(Date.now(), report.gitHead, JSON.stringify(report), project.id);
      };
      if (reply.kind === 'delta') {
        report.nodes = reply.delta.totals.nodes;
        report.edges = reply.delta.totals.edges;
        report.calls = reply.delta.calls;
        progress('resolve', 1, 1);
        progress('write', 0, 1);
        const done = await applyDelta(this.store, snapshot, { upsert, remove: removed }, reply.delta, extra, liveIndex!);
        if (done && this.writtenAsResolved(project.root, snapshot, report, reply.delta)) {
          progress('write', 1, 1);
          this.log.debug('index applied in place', { root: project.root, ...done.stats.nodes, edgesAdded: done.stats.edges.added, edgesRemoved: done.stats.edges.removed });
          this.remember(project.id, { snapshot, files: next, disc, graph: new LiveIndexBuild(done.index), gen });
          this.store.checkpoint('index');
          return report;
        }
        // The live index and the worker's base graph disagree, or the write left other rows than the
        // resolution has (never expected): diff the whole graph against the database instead.
        if (!done) this.log.warn('resolve delta does not match the live graph; diffing the whole graph', { root: project.root });
        this.cache.delete(project.id);
        reply = await resolveAll();
      }
      // A whole graph where a delta was asked for: the delta was too large to apply in one transaction.
      const tooLarge = reply.kind === 'graph' && asked.delta;
      graph = await receiveGraph(reply, report);
      progress('resolve', 1, 1);
      checkAbort();
      progress('write', 0, 1);
      const diffFrom = (live: LiveIndex | undefined) => applyDiff(this.store, snapshot, { upsert, remove: removed }, graph, extra, live, IN_PLACE_MAX_ROWS);
      const remembered = this.cache.get(project.id) ? liveIndex : undefined;
      let applied = tooLarge ? null : await diffFrom(remembered);
      if (applied && !this.writtenAsResolved(project.root, snapshot, report) && remembered) {
        // The live index in memory misled the diff: diff again against the rows the database holds.
        this.cache.delete(project.id);
        applied = await diffFrom(undefined);
      }
      if (applied) {
        const { stats, index } = applied;
        progress('write', 1, 1);
        this.log.debug('index applied in place', { root: project.root, ...stats.nodes, edgesAdded: stats.edges.added, edgesRemoved: stats.edges.removed });
        this.remember(project.id, { snapshot, files: next, disc, graph: new LiveIndexBuild(index), gen });
        this.store.checkpoint('index');
        return report;
      }
      this.log.debug('too large a change to apply in place; writing a new snapshot', { root: project.root });
      fresh = startSnapshot();
      await fresh.files;
      checkAbort();
    } else {
      graph = await receiveGraph(reply, report, staged?.edges);
      progress('resolve', 1, 1);
      checkAbort();
    }

    const { snapshot } = fresh;
    const writer = staged?.writer ?? new SnapshotWriter(this.store, snapshot);
    await writer.write(graph, { signal, onProgress: (d, t) => progress('write', d, t) });
    checkAbort();
    const previous = publishSnapshot(this.store, project.id, snapshot, { indexedAt: Date.now(), gitHead: report.gitHead, stats: report });
    this.remember(project.id, { snapshot, files: next, disc, graph: writer.live, gen });
    this.store.checkpoint('index');
    if (previous !== null && previous !== snapshot) {
      // The paced drop of the previous snapshot takes a few hundred ms: the keys are built between its steps
      // (an agent's next edit would otherwise wait for them). Otherwise they are built after the job.
      this.buildLiveIndex(project.id);
      await dropSnapshot(this.store, previous);
    }
    this.store.checkpoint('index');
    return report;
  }

  /**
   * After an in-place write: whether the live snapshot holds as many nodes and edges as the resolution
   * (`report`'s counts) it was brought to. A write that left rows out would otherwise stay wrong until a full
   * index: the next runs diff against what the worker and the live index remember, not against the rows.
   */
  private writtenAsResolved(root: string, snapshot: number, report: IndexReport, delta?: GraphDelta): boolean {
    const counted = snapshotRowCounts(this.store, snapshot);
    if (counted.nodes === report.nodes && counted.edges === report.edges) return true;
    this.log.error('an in-place write left the graph unlike its resolution', {
      root,
      resolved: { nodes: report.nodes, edges: report.edges },
      counted,
      ...(delta && { delta: { nodes: delta.nodes.length, removedNodes: delta.removedNodes.length, edges: delta.edges.length, removedEdges: delta.removedEdges.length } }),
    });
    return false;
  }

  /** Writes the structure a staged resolution answered with (see `ResolveRequest.staged`), after the file rows. */
  private async writeStructure(fresh: { snapshot: number; files: Promise<void> }, reply: ResolveReply, signal?: AbortSignal): Promise<{ writer: SnapshotWriter; edges: number }> {
    if (reply.kind !== 'structure') throw new CodehiveError('INTERNAL', `unexpected resolve reply: ${reply.kind}`);
    const structure = await unpackGraph(reply.graph);
    await fresh.files;
    const writer = new SnapshotWriter(this.store, fresh.snapshot);
    await writer.write(structure, { signal });
    return { writer, edges: structure.edges.length };
  }

  /** Builds the keys of a project's live index in the background, in slices, while it is remembered. */
  private buildLiveIndex(projectId: number): void {
    const live = this.cache.get(projectId)?.graph;
    live?.buildInBackground(() => this.cache.get(projectId)?.graph === live).catch((e) => this.log.warn('building the live index failed', { err: String(e) }));
  }

  /** Parses files in batches across the pool, keeping a bounded number of tasks in flight. */
  private async parseAll(
    root: string,
    files: DiscoveredFile[],
    live: Map<string, FileRow> | null,
    signal: AbortSignal | undefined,
    onDone: (done: number) => void,
  ): Promise<ParseResult[]> {
    // Largest files first, in batches bounded by count and bytes: the workers finish together instead of one
    // of them parsing a big file alone at the end.
    const batches: DiscoveredFile[][] = [];
    let batch: DiscoveredFile[] = [];
    let bytes = 0;
    for (const f of [...files].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1))) {
      if (batch.length && (batch.length >= PARSE_BATCH || bytes + f.size > PARSE_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(f);
      bytes += f.size;
    }
    if (batch.length) batches.push(batch);
    const results: ParseResult[] = [];
    let next = 0;
    let done = 0;
    const inFlight = Math.max(2, this.settings.workers * 2);
    const lane = async () => {
      while (next < batches.length) {
        if (signal?.aborted) throw new CodehiveError('CANCELLED', 'indexing was cancelled');
        const batch = batches[next++]!;
        const out = await this.pool.run<ParseResult[]>({
          kind: 'parse',
          task: {
            root,
            maxFileBytes: this.settings.maxFileBytes,
            files: batch.map((f) => ({ path: f.path, lang: f.lang, knownHash: live?.get(f.path)?.hash ?? null })),
          },
        }, batch.length);
        results.push(...out);
        done += batch.length;
        onDone(done);
        await yieldToLoop();
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, lane));
    return results.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** What a run leaves for the next one; the facts it parsed are dropped (see `FileRow.facts`). */
  private remember(projectId: number, entry: ProjectCache): void {
    for (const f of entry.files.values()) f.facts = null;
    this.cache.set(projectId, entry);
  }

  /** The live snapshot's file rows, from memory or (after a restart) from the database. */
  private liveFiles(projectId: number, snapshot: number): Map<string, FileRow> {
    const cached = this.cache.get(projectId);
    if (cached && cached.snapshot === snapshot) return cached.files;
    const rows = this.store
      .stmt(`SELECT path, language, size, mtime_ms, hash, lines, parse_errors FROM files WHERE snapshot = ?`)
      .all(snapshot) as Array<{ path: string; language: FileRow['lang']; size: number; mtime_ms: number; hash: string; lines: number; parse_errors: number }>;
    const files = new Map<string, FileRow>();
    for (const r of rows) {
      files.set(r.path, { path: r.path, lang: r.language, size: r.size, mtimeMs: r.mtime_ms, hash: r.hash, lines: r.lines, parseErrors: r.parse_errors, facts: null });
    }
    this.cache.set(projectId, { snapshot, files });
    return files;
  }

  /**
   * Every file with its facts, for a resolution from scratch: what this run parsed, and the rest read from
   * the live snapshot in pages (see `inPages`; the main thread does not keep them: after a restart, or once
   * the resolve worker has retired, they are read back here). `own`: the buffers read here, which nothing
   * else holds.
   */
  private async withFacts(rows: FileRow[], live: number | null): Promise<{ files: FactsOf[]; own: Set<Uint8Array> }> {
    const stored = new Map<string, Uint8Array>();
    if (live !== null && rows.some((f) => f.facts === null)) {
      await inPages<{ id: number; path: string; facts: string | Buffer | null }>(this.store.stmt(STORED_FACTS_PAGE), live, (r) => {
        // A string: written by a version that stored facts as text.
        stored.set(r.path, r.facts === null ? EMPTY_FACTS : typeof r.facts === 'string' ? Buffer.from(r.facts, 'utf8') : r.facts);
      }, 4); // a file's facts: ~17 KB on effect, MBs for some of typescript's lib
    }
    const own = new Set<Uint8Array>();
    const files = rows.map((f) => {
      if (f.facts) return { path: f.path, facts: f.facts };
      const facts = stored.get(f.path);
      if (!facts) throw new CodehiveError('INTERNAL', `no stored facts for unchanged file ${f.path}`);
      if (facts !== EMPTY_FACTS) own.add(facts);
      return { path: f.path, facts };
    });
    return { files, own };
  }
}

interface FactsOf {
  path: string;
  facts: Uint8Array;
}

/** A resolve request and the buffers in it that move to the worker with it. */
interface Ask {
  req: ResolveRequest;
  transfer: ArrayBuffer[];
}

/**
 * `files` with a buffer of their own each, and those buffers: postMessage then moves them to the resolve
 * worker instead of cloning them (effect's 6 MB of facts, cloned, held the event loop 17-27 ms; copied here
 * and moved, 1-5 ms). Buffers in `own` that span their whole memory move as they are; the rest are copied:
 * parse results (writeFiles is still writing them), Node's pooled small buffers, the shared empty facts.
 */
function movable(files: FactsOf[], own: Set<Uint8Array>): { files: FactsOf[]; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const moved = files.map((f) => {
    const whole = own.has(f.facts) && f.facts.byteOffset === 0 && f.facts.byteLength === f.facts.buffer.byteLength;
    const facts = whole ? f.facts : new Uint8Array(f.facts);
    transfer.push(facts.buffer as ArrayBuffer);
    return { path: f.path, facts };
  });
  return { files: moved, transfer };
}

/** A page of a snapshot's stored facts, in rowid order (`+snapshot`: walk the rowids, as LIVE_INDEX_PAGES do). */
const STORED_FACTS_PAGE = `SELECT id, path, facts FROM files WHERE +snapshot = ? AND id > ? ORDER BY id LIMIT ?`;

const EMPTY_FACTS = encodeFacts({ defs: [], imports: [], exports: [], stars: [], calls: [], heritage: [], isModule: false });

/**
 * The resolved graph from a resolve reply, with its counts put in the report. `written`: the structural edges
 * of a staged resolution, which its graph leaves out (their writer has its nodes: they are not unpacked).
 */
async function receiveGraph(reply: ResolveReply, report: IndexReport, written?: number): Promise<Awaited<ReturnType<typeof unpackGraph>>> {
  if (reply.kind !== 'graph') throw new CodehiveError('INTERNAL', `unexpected resolve reply: ${reply.kind}`);
  const graph = await unpackGraph(reply.graph, { nodes: written === undefined });
  report.nodes = reply.graph.nodes.kind.length;
  report.edges = graph.edges.length + (written ?? 0);
  report.calls = graph.calls;
  return graph;
}

function emptyReport(project: ProjectRow, mode: IndexReport['mode']): IndexReport {
  return {
    projectId: project.id,
    root: project.root,
    mode,
    durationMs: 0,
    files: { total: 0, parsed: 0, unchanged: 0, added: 0, changed: 0, removed: 0 },
    lines: 0,
    nodes: 0,
    edges: 0,
    calls: { resolved: 0, unresolved: 0 },
    skipped: [],
    errors: [],
    factsVersion: FACTS_VERSION,
    gitHead: null,
  };
}

/** An incremental run that found no content change: refresh mtimes and the project row, nothing else. */
function applyDiffOnlyFiles(store: Store, project: ProjectRow, upsert: FileRow[], report: IndexReport): void {
  store.write(() => {
    const update = store.stmt(`UPDATE files SET size = ?, mtime_ms = ? WHERE snapshot = ? AND path = ?`);
    for (const f of upsert) update.run(f.size, f.mtimeMs, project.snapshot, f.path);
    store
      .stmt(`UPDATE projects SET state = 'ready', error = NULL, indexed_at = ?, git_head = ?, stats = ? WHERE id = ?`)
      .run(Date.now(), report.gitHead, JSON.stringify(report), project.id);
  });
}
