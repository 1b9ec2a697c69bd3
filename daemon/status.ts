/**
 * The status report (`GET /v1/status`, `codehive status`): process, database, sessions, projects, jobs.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { mallocStats, type MallocStats } from '../packages/config/glibc-malloc.js';
import { liveCountsIfAny } from '../packages/tools/lib/whole-graph.js';
import type { SqliteInfo } from '../packages/store/db.js';
import type { IndexerThreads } from '../packages/indexer/api.js';
import type { ReadThreadStats } from '../packages/tools/lib/whole-graph.js';
import type { MemoStats } from '../packages/store/memo.js';
import { listProjects } from '../packages/store/projects.js';
import type { Daemon } from './daemon.js';
import type { JobInfo } from './jobs.js';
import type { MemoryReleaseStats } from './memory-release.js';

export interface ProjectStatus {
  id: number;
  root: string;
  name: string;
  state: string;
  error: string | null;
  files: number;
  symbols: number;
  indexedAt: number | null;
  gitHead: string | null;
  watch: string;
  pendingChanges: number;
}

export interface DaemonStatus {
  running: true;
  pid: number;
  version: string;
  buildId: string;
  protocol: number;
  startedAt: number;
  uptimeSec: number;
  draining: boolean;
  socket: string;
  cacheDir: string;
  logFile: string;
  /**
   * The main thread's V8 heap (the worker threads' heaps are under `indexer`); malloc's totals over every
   * thread (null without glibc ≥ 2.33); the trims that return malloc's free pages.
   */
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; malloc: MallocStats | null; release: MemoryReleaseStats };
  /** Event-loop delay over the window since the previous status read (see EventLoopMonitor). */
  eventLoop: EventLoopStats;
  sqlite: SqliteInfo & { path: string; openedBy: string };
  /** Read answers remembered until the next write (packages/store/memo.ts). */
  memo: MemoStats;
  indexer: IndexerThreads;
  /** The whole-graph read thread (packages/tools/lib/whole-graph.ts): alive or not, its V8 heap. */
  readThread: ReadThreadStats;
  sessions: Array<{ id: string; kind: string; client: string; pid: number; cwd: string; since: number; calls: number }>;
  projects: ProjectStatus[];
  jobs: JobInfo[];
  inflightCalls: number;
  /** Connections accepted since start (sessions' holds and their pooled keep-alive connections). */
  connectionsAccepted: number;
}

export interface EventLoopStats {
  /** Delay beyond the timer's own period, in ms: 0 means the loop was never late. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How long the window these figures cover was (since the previous status read, or since start). */
  windowMs: number;
  /** Timer samples in the window (about one per RESOLUTION_MS while the loop is free). */
  samples: number;
}

/**
 * Event-loop delay, sampled by a libuv timer every RESOLUTION_MS (perf_hooks.monitorEventLoopDelay). The
 * histogram records the whole interval between timer runs, so its floor is the resolution itself; figures
 * are reported with the resolution subtracted, i.e. how late the loop was. Each read returns the window since
 * the previous read and starts a new one (reset-on-read): a poller every few seconds sees each stretch of
 * blocking exactly once, and a status read after hours of quiet covers those hours.
 */
export class EventLoopMonitor {
  static readonly RESOLUTION_MS = 10;
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: EventLoopMonitor.RESOLUTION_MS });
  private windowStart = performance.now();

  start(): void {
    this.histogram.enable();
    this.windowStart = performance.now();
  }

  stop(): void {
    this.histogram.disable();
  }

  /** The current window's figures; starts a new window. */
  read(): EventLoopStats {
    const h = this.histogram;
    const late = (ns: number) => (h.count === 0 ? 0 : Math.max(0, Math.round((ns / 1e6 - EventLoopMonitor.RESOLUTION_MS) * 100) / 100));
    const now = performance.now();
    const stats: EventLoopStats = {
      p50Ms: late(h.percentile(50)),
      p99Ms: late(h.percentile(99)),
      maxMs: late(h.max),
      windowMs: Math.round(now - this.windowStart),
      samples: h.count,
    };
    h.reset();
    this.windowStart = now;
    return stats;
  }
}

/** What status reads off the event loop: malloc's totals, and each project's counts (the read thread's). */
export interface StatusReads {
  malloc: MallocStats | null;
  counts: Map<number, { files: number; symbols: number }>;
}

export async function statusReads(d: Daemon): Promise<StatusReads> {
  const counts = new Map<number, { files: number; symbols: number }>();
  const reading = listProjects(d.store).map(async (p) => {
    const c = await liveCountsIfAny(d.reads, d.store, p);
    if (c) counts.set(p.id, { files: c.files, symbols: c.symbols });
  });
  const [malloc] = await Promise.all([mallocStats(), ...reading]);
  return { malloc, counts };
}

export function buildStatus(d: Daemon, { malloc, counts }: StatusReads): DaemonStatus {
  const mem = process.memoryUsage();
  return {
    running: true,
    pid: process.pid,
    version: d.build.version,
    buildId: d.build.buildId,
    protocol: d.health().protocol,
    startedAt: d.startedAt,
    uptimeSec: Math.round((Date.now() - d.startedAt) / 1000),
    draining: d.draining,
    socket: d.socketPath,
    cacheDir: d.paths.dir,
    logFile: d.paths.daemonLog,
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, malloc, release: d.memory.stats() },
    eventLoop: d.eventLoop.read(),
    // Only this process ever opens the database while it runs; say so, with the pid to check it by.
    sqlite: { ...d.store.info(), path: d.store.path, openedBy: `daemon pid ${process.pid} only` },
    memo: d.store.memo.stats(),
    indexer: d.indexerThreads(),
    readThread: d.reads.stats(),
    sessions: d.sessions.list().map((s) => ({
      id: s.id,
      kind: s.kind,
      client: `${s.client.name}${s.client.version ? '@' + s.client.version : ''}`,
      pid: s.pid,
      cwd: s.cwd,
      since: s.since,
      calls: s.calls,
    })),
    projects: listProjects(d.store).map((p) => {
      const c = counts.get(p.id) ?? { files: 0, symbols: 0 };
      return {
        id: p.id,
        root: p.root,
        name: p.name,
        state: p.state,
        error: p.error,
        files: c.files,
        symbols: c.symbols,
        indexedAt: p.indexedAt,
        gitHead: p.gitHead,
        watch: d.watchers.state(p.id),
        pendingChanges: d.watchers.pending(p.id),
      };
    }),
    jobs: d.jobs.list(),
    inflightCalls: d.tools.active,
    connectionsAccepted: d.connectionsAccepted,
  };
}
