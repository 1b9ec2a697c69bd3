/**
 * Reads that walk a whole snapshot: counts over every edge (the schema, the most-called symbols), every import
 * pair, every file. They take time in proportion to the project: on effect copied three times (1,080 files) each
 * of get_graph_schema and get_architecture held the event loop 67-93 ms a call on the main thread. So in the
 * daemon they run on a thread of their own with a read-only connection (`whole-graph-worker.ts`), and every
 * other window's calls go on meanwhile. So do the near matches of a symbol that matched nothing (scans of
 * every name). The other tools' reads stay on the main thread: indexed lookups.
 *
 * Each read runs in one read transaction and first checks that the snapshot it was asked about is still the
 * project's live one: a full re-index may have replaced it (and be dropping its rows) since the caller looked.
 * Then the caller looks again.
 */
import type { Db, Store } from '../../store/db.js';
import { WorkerPool } from '../../indexer/pool.js';
import { compiledWorkerUrl } from '../../config/worker-url.js';
import { WORKER_YOUNG_GENERATION_MB } from '../../config/heap.js';
import type { Logger } from '../../log/index.js';
import { CodehiveError } from '../../protocol/index.js';
import { getProject, type ProjectRow } from '../../store/projects.js';
import { indexedFiles, type FileRow } from './files.js';
import { countGraph, liveSnapshot, stmt, SYMBOL_KINDS_SQL, type GraphCounts } from './graph.js';
import { nearMatches } from './symbols.js';

export interface SchemaCounts {
  kinds: Array<{ kind: string; n: number }>;
  edges: Array<{ type: string; n: number }>;
  strategies: Array<{ strategy: string; n: number; confidence: number | null }>;
  unresolved: Array<{ reason: string; n: number }>;
  languages: Array<{ language: string; n: number }>;
}

function schemaCounts(db: Db, snap: number, _args: Record<string, never>): SchemaCounts {
  return {
    kinds: stmt(db, `SELECT kind, COUNT(*) AS n FROM nodes WHERE snapshot = ? GROUP BY kind ORDER BY n DESC, kind`).all(snap) as SchemaCounts['kinds'],
    edges: stmt(db, `SELECT type, COUNT(*) AS n FROM edges WHERE snapshot = ? GROUP BY type ORDER BY n DESC, type`).all(snap) as SchemaCounts['edges'],
    strategies: stmt(
      db,
      `SELECT COALESCE(strategy, '?') AS strategy, COUNT(*) AS n, ROUND(AVG(confidence), 2) AS confidence FROM edges WHERE snapshot = ? AND type = 'CALLS' GROUP BY strategy ORDER BY n DESC, strategy`,
    ).all(snap) as SchemaCounts['strategies'],
    unresolved: stmt(db, `SELECT reason, COUNT(*) AS n FROM unresolved_calls WHERE snapshot = ? GROUP BY reason ORDER BY n DESC, reason`).all(snap) as SchemaCounts['unresolved'],
    languages: stmt(db, `SELECT language, COUNT(*) AS n FROM files WHERE snapshot = ? GROUP BY language ORDER BY n DESC, language`).all(snap) as SchemaCounts['languages'],
  };
}

export interface MostCalled {
  kind: string;
  qname: string;
  file: string;
  start_line: number;
  calls: number;
  files: number;
}

/** What get_architecture needs from the graph; the rest of its answer comes from package.json files on disk. */
export interface ArchitectureGraph {
  files: FileRow[];
  /** Import pairs between indexed files, by path. */
  imports: Array<[from: string, to: string]>;
  /** The most-called symbols under `scope`. */
  called: MostCalled[];
}

function architectureGraph(db: Db, snap: number, { scope, limit }: { scope: string; limit: number }): ArchitectureGraph {
  const fileNodes = stmt(db, `SELECT id, file FROM nodes WHERE snapshot = ? AND kind = 'File'`).all(snap) as Array<{ id: number; file: string }>;
  const pathOf = new Map(fileNodes.map((r) => [r.id, r.file]));
  const imports: Array<[string, string]> = [];
  for (const e of stmt(db, `SELECT src, dst FROM edges WHERE snapshot = ? AND type = 'IMPORTS'`).iterate(snap) as IterableIterator<{ src: number; dst: number }>) {
    const from = pathOf.get(e.src);
    const to = pathOf.get(e.dst);
    if (from && to) imports.push([from, to]);
  }
  const scopeLike = scope ? scope.replace(/[\\%_]/g, (c) => '\\' + c) + '/%' : '%';
  // Count calls per callee on the (snapshot, dst, type) index alone, then join only the top ones to their
  // callers' files: joining every CALLS edge to both of its nodes first took three times as long.
  const called = stmt(
    db,
    `WITH counts AS (SELECT dst, COUNT(*) AS calls FROM edges WHERE snapshot = ? AND type = 'CALLS' GROUP BY dst),
     top AS (SELECT n.id, n.kind, n.qname, n.file, n.start_line, counts.calls FROM counts JOIN nodes n ON n.id = counts.dst
             WHERE n.kind IN (${SYMBOL_KINDS_SQL}) AND n.file LIKE ? ESCAPE '\\' ORDER BY counts.calls DESC, n.qname LIMIT ?)
     SELECT top.kind, top.qname, top.file, top.start_line, top.calls,
            (SELECT COUNT(DISTINCT c.file) FROM edges e JOIN nodes c ON c.id = e.src WHERE e.snapshot = ? AND e.dst = top.id AND e.type = 'CALLS') AS files
     FROM top ORDER BY top.calls DESC, top.qname`,
  ).all(snap, scopeLike, limit, snap) as MostCalled[];
  return { files: indexedFiles(db, snap), imports, called };
}

const READS = { schema: schemaCounts, architecture: architectureGraph, near: nearMatches, counts: countGraph };

export type ReadName = keyof typeof READS;
type ReadArgs<N extends ReadName> = Parameters<(typeof READS)[N]>[2];
type ReadResult<N extends ReadName> = ReturnType<(typeof READS)[N]>;

/** One read, as posted to the thread. */
export interface ReadRequest {
  read: ReadName;
  project: number;
  snapshot: number;
  args: unknown;
}

/** `stale`: the snapshot asked about is no longer the project's live one. */
export type ReadReply = { stale: true } | { stale: false; value: unknown };

/** Runs one read in a read transaction, after checking that its snapshot is still live (here or on the thread). */
export function runRead(db: Db, req: ReadRequest): ReadReply {
  return db.transaction((): ReadReply => {
    const live = stmt(db, `SELECT snapshot FROM projects WHERE id = ?`).pluck().get(req.project) as number | null | undefined;
    if (live !== req.snapshot) return { stale: true };
    const read = READS[req.read] as (db: Db, snap: number, args: unknown) => unknown;
    return { stale: false, value: read(db, req.snapshot, req.args) };
  })();
}

/**
 * The counts of `p`'s live graph (files, lines, symbols, edges, calls), or null if it has none. A count over
 * every edge: on the main thread it took 5-10 ms on effect, again after every write (index_status and
 * list_projects are a sixth of the soak's calls, and a full index writes every few ms).
 */
export async function liveCounts(reads: WholeGraphReads, store: Store, p: ProjectRow): Promise<GraphCounts | null> {
  if (p.snapshot === null) return null;
  const again = async () => {
    const now = getProject(store, p.id);
    if (!now) throw new CodehiveError('NOT_FOUND', `project ${p.root} was deleted meanwhile`);
    return now;
  };
  return (await reads.read(again, 'counts', () => ({}))).value;
}

/** `liveCounts`, or null for a project deleted or re-indexed from scratch meanwhile (listings show it without counts). */
export function liveCountsIfAny(reads: WholeGraphReads, store: Store, p: ProjectRow): Promise<GraphCounts | null> {
  return liveCounts(reads, store, p).catch((err: unknown) => {
    if (err instanceof CodehiveError) return null;
    throw err;
  });
}

export interface ReadThreadStats {
  alive: boolean;
  /** Its V8 heap as of its last reply (or idle collection): used and committed bytes. */
  heap: { usedBytes: number; totalBytes: number };
  /** Full GCs it ran once idle (whole-graph-worker.ts). */
  idleCollections: number;
}

/** The read thread ends after this long unused (its heap and connection returned); the next read restarts it. */
const THREAD_IDLE_MS = 5 * 60_000;

/** How many times a read follows a replaced snapshot before it gives up (a re-index every few ms). */
const STALE_RETRIES = 3;

/**
 * Runs whole-snapshot reads on `thread` (a pool of one running whole-graph-worker.js), or inline where there
 * is none (tests and tools that call handlers in-process). Answers are memoised until the next write.
 */
export class WholeGraphReads {
  constructor(
    private readonly store: Store,
    private readonly thread: WorkerPool | null,
  ) {}

  /** The daemon's: reads on their own thread, which reads the file without mapping it (whole-graph-worker.ts). */
  static onThread(store: Store, log: Logger): WholeGraphReads {
    const thread = new WorkerPool(1, log, {
      entry: compiledWorkerUrl(import.meta.url, 'whole-graph-worker.js', 'the whole-graph read thread'),
      workerData: { path: store.path },
      name: 'whole-graph read thread',
      idleRetireMs: THREAD_IDLE_MS,
      // See whole-graph-worker.ts for the rest of what keeps this thread small.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB.wholeGraph },
    });
    return new WholeGraphReads(store, thread);
  }

  /**
   * `read` of the live snapshot of the project `project()` returns, with the arguments `args` gives for that
   * project, and the project (looked up again if a re-index replaced its snapshot meanwhile).
   */
  async read<N extends ReadName>(project: () => Promise<ProjectRow>, read: N, args: (p: ProjectRow) => ReadArgs<N>): Promise<{ project: ProjectRow; value: ReadResult<N> }> {
    for (let attempt = 0; ; attempt++) {
      const p = await project();
      const req: ReadRequest = { read, project: p.id, snapshot: liveSnapshot(p), args: args(p) };
      const reply = await this.store.memo.getAsync(`whole-graph ${JSON.stringify(req)}`, () => this.run(req), (r) => !r.stale);
      if (!reply.stale) return { project: p, value: reply.value as ReadResult<N> };
      if (attempt === STALE_RETRIES) throw new CodehiveError('BUSY', `the graph of ${p.root} kept being replaced while it was read; try again`);
    }
  }

  private async run(req: ReadRequest): Promise<ReadReply> {
    return this.thread ? this.thread.run<ReadReply>(req) : runRead(this.store.db, req);
  }

  stats(): ReadThreadStats {
    const s = this.thread?.stats();
    return { alive: (s?.workers ?? 0) > 0, heap: { usedBytes: s?.heapUsedBytes ?? 0, totalBytes: s?.heapTotalBytes ?? 0 }, idleCollections: s?.idleCollections ?? 0 };
  }

  close(): Promise<void> {
    return this.thread?.close() ?? Promise.resolve();
  }
}
