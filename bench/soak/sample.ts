/**
 * What the soak samples every few seconds: the daemon processes of the cache dir and, when there is exactly
 * one, its memory (/proc and its own status answer), fds, event loop, sessions, projects and jobs, and the
 * WAL and database sizes.
 */
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { requestJson, resetConnections } from '../../packages/client/http.js';
import { readRegistration } from '../../packages/config/registration.js';
import { ROUTES } from '../../packages/protocol/index.js';
import type { DaemonStatus } from '../../daemon/status.js';
import { daemonPids, procStatusKb } from '../lib/procs.js';

export interface Sample {
  /** ms since the chaos began. */
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
  /** The main thread's collection right before the daemon's last trim: its pause (ms; null: none yet). */
  trimGcMs: number | null;
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
  /** Calls made, and calls failed, since the previous sample. */
  calls: number;
  errors: number;
  projects: string[] | null;
  /** Symbols in every project's graph: the corpus grows under edits and adds, and memory may grow with it. */
  symbols: number | null;
  jobs: number | null;
}

/** A sample without the soak's own counters (when, and the calls made since the last sample). */
export type DaemonLook = Omit<Sample, 't' | 'calls' | 'errors'>;

/** One look at the daemon(s) of `cacheDir`; the per-daemon fields are null unless exactly one runs. */
export async function lookAtDaemon(cacheDir: string): Promise<DaemonLook> {
  const pids = daemonPids(cacheDir);
  const pid = pids.length === 1 ? pids[0]! : null;
  const s: DaemonLook = {
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
    trimGcMs: null,
    bytesReadSinceTrim: null,
    fds: null,
    sockets: null,
    loops: null,
    fdKinds: null,
    sessions: null,
    walBytes: fileSize(join(cacheDir, 'graph.db-wal')),
    dbBytes: fileSize(join(cacheDir, 'graph.db')),
    loop: null,
    projects: null,
    symbols: null,
    jobs: null,
  };
  if (pid === null) return s;
  const kb = (field: string) => {
    const v = procStatusKb(pid, field);
    return v === null ? null : v / 1024;
  };
  s.rssMb = kb('VmRSS');
  s.rssAnonMb = kb('RssAnon');
  s.rssFileMb = kb('RssFile');
  const fd = fdCensus(pid);
  s.fds = fd?.total ?? null;
  s.sockets = fd?.sockets ?? null;
  s.loops = fd?.loops ?? null;
  s.fdKinds = fd?.kinds ?? null;
  const reg = readRegistration(join(cacheDir, 'daemon.json'));
  if (reg && reg.pid === pid) {
    try {
      // The same answer `codehive status --json` prints (GET /v1/status), without a process per sample.
      Object.assign(s, fromStatus(await requestJson<DaemonStatus>(reg.socketPath, ROUTES.status, { timeoutMs: 10_000 })));
    } catch {
      resetConnections(reg.socketPath);
    }
  }
  return s;
}

function fromStatus(st: DaemonStatus): Partial<DaemonLook> {
  const mb = (n: number | undefined) => (n === undefined ? null : n / 1024 / 1024);
  return {
    heapMb: mb(st.memory.heapUsedBytes),
    mainHeapTotalMb: mb(st.memory.heapTotalBytes),
    parseHeapTotalMb: mb(st.indexer?.parseHeap?.totalBytes),
    resolveHeapTotalMb: mb(st.indexer?.resolveHeap?.totalBytes),
    // A build before the read thread reports none: 0, not unknown.
    readHeapTotalMb: mb(st.readThread?.heap.totalBytes ?? 0),
    mallocInUseMb: mb(st.memory.malloc?.inUseBytes),
    mallocFreeMb: mb(st.memory.malloc?.freeBytes),
    trims: st.memory.release?.trims ?? null,
    trimGcMs: st.memory.release?.last?.gcMs ?? null,
    // Without trims (no glibc) the count only grows: settle by time instead.
    bytesReadSinceTrim: st.memory.release?.available ? (st.memory.release.bytesReadSinceTrim ?? null) : null,
    loop: st.eventLoop ?? null,
    sessions: st.sessions.length,
    projects: st.projects.map((p) => p.root),
    symbols: st.projects.reduce((a, p) => a + p.symbols, 0),
    jobs: st.jobs.length,
  };
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

export function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}
