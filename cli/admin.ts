/**
 * Commands about the daemon itself: status, stop, export.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningDaemon } from '../packages/client/daemon.js';
import { openRequest, requestJson } from '../packages/client/http.js';
import { cachePaths, type CachePaths } from '../packages/config/index.js';
import { pidAlive, readRegistration } from '../packages/config/registration.js';
import { ROUTES, type ShutdownRequest } from '../packages/protocol/index.js';
import type { DaemonStatus } from '../daemon/status.js';
import { errorFromBody } from '../packages/client/http.js';

/** Exit status of `codehive status` when no daemon runs. */
export const EXIT_NOT_RUNNING = 3;

export async function statusCommand(json: boolean): Promise<number> {
  const ep = await runningDaemon();
  if (ep) {
    const status = await requestJson<DaemonStatus>(ep.socketPath, ROUTES.status);
    process.stdout.write(json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
    return 0;
  }
  const offline = offlineStatus(cachePaths());
  process.stdout.write(json ? JSON.stringify(offline, null, 2) + '\n' : formatOffline(offline));
  return EXIT_NOT_RUNNING;
}

export async function stopCommand(): Promise<number> {
  const ep = await runningDaemon();
  if (!ep) {
    process.stdout.write('codehive daemon is not running\n');
    return 0;
  }
  const req: ShutdownRequest = { reason: 'codehive stop', drain: true };
  await requestJson(ep.socketPath, ROUTES.shutdown, { body: req });
  const deadline = Date.now() + 40_000;
  while (pidAlive(ep.health.pid)) {
    if (Date.now() > deadline) {
      process.stderr.write(`codehive: the daemon (pid ${ep.health.pid}) has not exited after 40s; kill it with \`kill ${ep.health.pid}\`\n`);
      return 1;
    }
    await sleep(50);
  }
  process.stdout.write(`codehive daemon stopped (pid ${ep.health.pid})\n`);
  return 0;
}

export async function exportCommand(project: string | undefined, format: string): Promise<number> {
  if (format !== 'jsonl') {
    process.stderr.write(`codehive: unknown export format ${JSON.stringify(format)}; the only format is jsonl\n`);
    return 2;
  }
  const { ensureDaemon } = await import('../packages/client/daemon.js');
  const { createLogger } = await import('../packages/log/index.js');
  const ep = await ensureDaemon({ log: createLogger(cachePaths().shimLog, { tag: `cli:${process.pid}` }) });
  const qs = new URLSearchParams({ cwd: process.cwd(), ...(project ? { project } : {}) });
  const res = await openRequest(ep.socketPath, `${ROUTES.export}?${qs}`);
  if ((res.statusCode ?? 500) >= 400) {
    let text = '';
    for await (const c of res) text += c;
    throw errorFromBody(JSON.parse(text || '{}'), res.statusCode ?? 500);
  }
  // The last line says whether the export is whole: `end`, or an `error` (the graph changed under it).
  let tail = '';
  for await (const chunk of res) {
    tail = (tail + (chunk as Buffer).toString('utf8')).slice(-64 * 1024);
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
  }
  let last: { type?: string; message?: string } = {};
  try {
    last = JSON.parse(tail.trimEnd().split('\n').pop() ?? '') as typeof last;
  } catch {
    /* cut mid-line */
  }
  if (last.type === 'end') return 0;
  process.stderr.write(`codehive: ${last.type === 'error' ? last.message : 'the export ended early (the daemon stopped?); run it again'}\n`);
  return 1;
}

interface OfflineStatus {
  running: false;
  cacheDir: string;
  registration: string;
  files: Array<{ name: string; bytes: number }>;
  projects: Array<{ root: string; state: string; indexedAt: number | null }>;
  note?: string;
}

/** What is in the cache dir when no daemon runs; the database is opened read-only, without mmap. */
function offlineStatus(paths: CachePaths): OfflineStatus {
  const reg = readRegistration(paths.registration);
  const files = readdirSync(paths.dir)
    .filter((n) => !n.endsWith('.lock'))
    .map((name) => ({ name, bytes: safeSize(join(paths.dir, name)) }));
  const out: OfflineStatus = {
    running: false,
    cacheDir: paths.dir,
    registration: reg ? `stale: names pid ${reg.pid} (${pidAlive(reg.pid) ? 'alive but not answering' : 'dead'})` : 'none',
    files,
    projects: [],
  };
  if (existsSync(paths.db)) {
    try {
      const db = new Database(paths.db, { readonly: true, fileMustExist: true });
      try {
        db.pragma('mmap_size = 0');
        out.projects = db.prepare('SELECT root, state, indexed_at AS indexedAt FROM projects ORDER BY root').all() as OfflineStatus['projects'];
      } finally {
        db.close();
      }
    } catch (err) {
      out.note = `could not read the database: ${(err as Error).message}`;
    }
  }
  return out;
}

function safeSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

function formatOffline(s: OfflineStatus): string {
  const lines = [`codehive daemon: not running (cache dir ${s.cacheDir})`, `  registration  ${s.registration}`];
  for (const f of s.files) lines.push(`  ${f.name.padEnd(14)}${bytes(f.bytes)}`);
  lines.push(`Projects (${s.projects.length})`);
  for (const p of s.projects) lines.push(`  ${p.root}  ${p.state}  indexed ${ago(p.indexedAt)}`);
  if (s.note) lines.push(s.note);
  return lines.join('\n') + '\n';
}

function formatStatus(s: DaemonStatus): string {
  const q = s.sqlite;
  const cp = q.lastCheckpoint;
  const lines = [
    `codehive daemon: running — pid ${s.pid}, v${s.version} (build ${s.buildId}, protocol ${s.protocol}), up ${duration(s.uptimeSec * 1000)}${s.draining ? ', DRAINING' : ''}`,
    `  socket     ${s.socket}`,
    `  cache dir  ${s.cacheDir}`,
    `  log        ${s.logFile}`,
    `  memory     rss ${bytes(s.memory.rssBytes)} · V8 heaps used/committed: ${heaps(s)}`,
    ...(s.memory.malloc ? [`  malloc     in use ${bytes(s.memory.malloc.inUseBytes)} · free ${bytes(s.memory.malloc.freeBytes)} (kept for reuse; a trim returns its whole pages) · mmapped ${bytes(s.memory.malloc.mmappedBytes)}`] : []),
    ...(s.memory.release ? [`  malloc trim ${trimLine(s.memory.release)}`] : []),
    ...(s.eventLoop ? [`  event loop delay p50 ${s.eventLoop.p50Ms} ms, p99 ${s.eventLoop.p99Ms} ms, max ${s.eventLoop.maxMs} ms (last ${duration(s.eventLoop.windowMs)})`] : []),
    `SQLite ${q.version} · journal ${q.journalMode} · mmap ${q.mmapSize === 0 ? 'off' : bytes(q.mmapSize)} · db ${bytes(q.dbBytes)} · wal ${bytes(q.walBytes)} · opened by ${q.openedBy}`,
    `  last checkpoint  ${cp ? `${ago(cp.at)} (PASSIVE, ${cp.reason}): busy ${cp.busy}, log ${cp.logFrames} frames, checkpointed ${cp.checkpointedFrames}, ${cp.ms ?? '?'} ms (slowest ${q.slowestCheckpointMs ?? '?'} ms)` : 'none yet'}`,
    ...(s.indexer
      ? [`  indexer threads  ${s.indexer.parseWorkers} parse (${s.indexer.parsing} busy, ${s.indexer.parseWorkersRecycled} recycled), ${s.indexer.resolveWorkers} resolve`]
      : []),
    ...(s.memo ? [`  answer memo      ${s.memo.entries} remembered, ${s.memo.hits} hits, ${s.memo.misses} misses (dropped at every write)`] : []),
    `Sessions (${s.sessions.length})`,
    ...s.sessions.map((x) => `  ${x.client.padEnd(24)} pid ${String(x.pid).padEnd(7)} ${x.kind.padEnd(4)} since ${ago(x.since)}  calls ${x.calls}  cwd ${x.cwd}`),
    `Projects (${s.projects.length})`,
    ...s.projects.map(
      (p) =>
        `  ${p.root}  ${p.state}${p.error ? ` (${p.error})` : ''}  ${p.files} files  ${p.symbols} symbols  indexed ${ago(p.indexedAt)}  watch ${p.watch}${p.pendingChanges ? `  ${p.pendingChanges} pending` : ''}`,
    ),
    `Jobs (${s.jobs.length})`,
    ...s.jobs.map((j) => `  ${j.root}  ${j.mode}  ${j.progress ? `${j.progress.phase} ${j.progress.done}/${j.progress.total}` : 'starting'}  for ${duration(Date.now() - j.startedAt)}`),
  ];
  return lines.join('\n') + '\n';
}

/** Used/committed MiB of each thread kind's V8 heaps (a daemon of an older build may not report the workers'). */
function heaps(s: DaemonStatus): string {
  const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
  const pair = (h: { usedBytes: number; totalBytes: number } | undefined) => (h ? `${mib(h.usedBytes)}/${mib(h.totalBytes)} MiB` : '?');
  const main = s.memory.heapTotalBytes === undefined ? `${mib(s.memory.heapUsedBytes)} MiB used` : pair({ usedBytes: s.memory.heapUsedBytes, totalBytes: s.memory.heapTotalBytes });
  return `main ${main}, parse ${pair(s.indexer?.parseHeap)}, resolve ${pair(s.indexer?.resolveHeap)}, reads ${s.readThread ? (s.readThread.alive ? pair(s.readThread.heap) : 'idle') : '?'}`;
}

function trimLine(r: DaemonStatus['memory']['release']): string {
  if (!r.available) return 'unavailable (no glibc): freed native memory stays with the allocator';
  if (!r.last) return 'none yet (one runs a few seconds after an index job ends)';
  const since = r.jobsSinceTrim === 0 ? 'no index job since' : `${r.jobsSinceTrim} index job${r.jobsSinceTrim === 1 ? '' : 's'} (${bytes(r.bytesReadSinceTrim)} of source read) since`;
  return `${r.trims} after indexing; the last ${ago(r.last.at)} gave back ${bytes(r.last.releasedBytes)} in ${r.last.ms} ms${typeof r.last.gcMs === 'number' ? ` (${r.last.gcMs} ms of it collecting garbage)` : ''}; ${since}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function ago(at: number | null): string {
  return at ? `${duration(Date.now() - at)} ago` : 'never';
}
