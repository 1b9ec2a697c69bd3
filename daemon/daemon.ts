/**
 * The daemon: owns the database, the indexer, the watchers and the sessions; serves them on the socket.
 * Lifecycle: start (under the start lock) → serve → idle timeout / stop / hand-over → drain → exit.
 */
import type { ServerResponse } from 'node:http';
import { chmodSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { exposeGc } from '../packages/config/heap.js';
import type { CachePaths, DaemonSettings } from '../packages/config/index.js';
import { removeRegistration, writeRegistration } from '../packages/config/registration.js';
import type { Indexer, IndexerThreads } from '../packages/indexer/api.js';
import type { Logger } from '../packages/log/index.js';
import { CodehiveError, PROTOCOL_VERSION, type BuildInfo, type HealthReply } from '../packages/protocol/index.js';
import type { Store } from '../packages/store/db.js';
import { listProjects, type ProjectRow } from '../packages/store/projects.js';
import { streamExport } from './export.js';
import { JobManager } from './jobs.js';
import { MemoryReleaser } from './memory-release.js';
import { ProjectResolver, type ChangeFeed } from './projects.js';
import type { SessionChannel } from './channel.js';
import { buildServer } from './server.js';
import { SessionRegistry } from './sessions.js';
import { StallWatch } from './stall-watch.js';
import { GcWatch } from './gc-watch.js';
import { buildStatus, EventLoopMonitor, statusReads, type DaemonStatus } from './status.js';
import { ToolRunner, type HandlerMap } from './tools.js';
import { ProjectWatchers } from './watch.js';
import { WholeGraphReads } from '../packages/tools/lib/whole-graph.js';

const CHECKPOINT_EVERY_MS = 30_000;
const DRAIN_LIMIT_MS = 30_000;
/** A session whose hold never arrived (client died right after attach) is dropped after this. */
const UNHELD_GRACE_MS = 15_000;

export interface DaemonDeps {
  paths: CachePaths;
  socketPath: string;
  settings: DaemonSettings;
  build: BuildInfo;
  store: Store;
  indexer: Indexer;
  handlers: HandlerMap;
  log: Logger;
}

export class Daemon {
  readonly paths: CachePaths;
  readonly socketPath: string;
  readonly settings: DaemonSettings;
  readonly build: BuildInfo;
  readonly store: Store;
  readonly log: Logger;
  readonly sessions = new SessionRegistry();
  /** Open session channels; closed at shutdown (an upgraded socket is no longer the HTTP server's to close). */
  readonly channels = new Set<SessionChannel>();
  readonly jobs: JobManager;
  readonly memory: MemoryReleaser;
  readonly projects: ProjectResolver;
  readonly tools: ToolRunner;
  /** The thread that runs reads over a whole snapshot (get_graph_schema, get_architecture). */
  readonly reads: WholeGraphReads;
  readonly watchers: ProjectWatchers;
  readonly startedAt = Date.now();
  /** Event-loop delay, exposed in the status (window since the previous status read). */
  readonly eventLoop = new EventLoopMonitor();
  /** Logs each stall of the event loop over STALL_LOG_MS with the work in flight. */
  private readonly stallWatch: StallWatch;
  private readonly gc = new GcWatch();
  /** Connections accepted on the socket since start: clients keep theirs alive, so it grows slowly. */
  connectionsAccepted = 0;
  draining = false;
  /** Called once shutdown has finished (the entry point exits the process). */
  onStopped: (() => void) | null = null;

  private readonly indexer: Indexer;
  private readonly shutdownController = new AbortController();
  private app: FastifyInstance | null = null;
  private timers: NodeJS.Timeout[] = [];
  private idleSince: number | null = Date.now();
  private stopping: Promise<void> | null = null;

  constructor(deps: DaemonDeps) {
    this.paths = deps.paths;
    this.socketPath = deps.socketPath;
    this.settings = deps.settings;
    this.build = deps.build;
    this.store = deps.store;
    this.log = deps.log;
    this.indexer = deps.indexer;
    this.jobs = new JobManager(deps.indexer, deps.log);
    this.watchers = new ProjectWatchers(this.jobs, this.settings, this.paths.dir, this.log);
    const feed: ChangeFeed = this.watchers;
    this.projects = new ProjectResolver(this.store, this.jobs, feed, this.settings, this.indexer);
    this.reads = WholeGraphReads.onThread(this.store, this.log);
    this.tools = new ToolRunner({
      store: this.store,
      reads: this.reads,
      settings: this.settings,
      log: this.log,
      sessions: this.sessions,
      jobs: this.jobs,
      projects: this.projects,
      handlers: deps.handlers,
      forget: (p: ProjectRow) => this.watchers.unwatch(p.id),
      shutdownSignal: this.shutdownController.signal,
    });
    this.stallWatch = new StallWatch(
      this.log,
      {
        tools: () => this.tools.inFlight(),
        jobs: () => this.jobs.list().map((j) => `${j.mode}:${j.progress?.phase ?? 'queued'}`),
      },
      this.gc,
    );
    this.sessions.on((event, s) => {
      const client = `${s.client.name}@${s.client.version}`;
      if (event === 'attach') this.log.info('session attach', { session: s.id, client, pid: s.pid, cwd: s.cwd });
      else this.log.info('session detach', { session: s.id, client, pid: s.pid, calls: s.calls });
      this.touch();
    });
    this.memory = new MemoryReleaser(() => this.jobs.busy, this.log, {
      beforeTrim: () => this.store.releaseMemory(),
      collectGarbage: exposeGc(),
    });
    this.jobs.onIdle(() => {
      this.touch();
      this.memory.schedule();
    });
    // A job is a write batch: checkpoint (PASSIVE) right after it so the WAL does not wait for the timer.
    this.jobs.onJobDone((root, report) => {
      this.memory.jobEnded(report?.read?.bytes ?? 0);
      if (report) this.analyze();
      this.checkpoint('after index job');
      // A project indexed for the first time starts being watched (and caught up) from here on.
      if (report && !this.draining) void this.watchers.open({ id: report.projectId, root }, { afterIndex: true });
    });
  }

  /** Listens on the socket (0600) and writes the registration file. The caller holds the start lock. */
  async listen(): Promise<void> {
    this.app = buildServer(this);
    this.app.server.on('connection', () => this.connectionsAccepted++);
    // Create the socket owner-only from the first instant, not chmod'ed after a window.
    const oldMask = process.umask(0o177);
    try {
      // A deep accept queue: many windows may fire dozens of calls at the same instant.
      await this.app.listen({ path: this.socketPath, backlog: 4096 });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(this.socketPath, 0o600);
    writeRegistration(this.paths.registration, {
      ...this.build,
      pid: process.pid,
      socketPath: this.socketPath,
      protocol: PROTOCOL_VERSION,
      startedAt: this.startedAt,
      cacheDir: this.paths.dir,
    });
    this.log.info('ready', { socket: this.socketPath, version: this.build.version, build: this.build.buildId });
    this.startTimers();
  }

  /** Work that must not delay the first answer: sweep orphans, watch and catch up every project. */
  async afterStart(): Promise<void> {
    // The indexer's sweep, which spares the snapshot a job is writing: sessions are served from `listen`
    // on, so a full index may have created one by now.
    const swept = await this.indexer.sweepOrphans();
    if (swept.length) this.log.info('swept orphan snapshots', { snapshots: swept.join(',') });
    for (const p of listProjects(this.store)) {
      if (this.draining) return;
      await this.watchers.open(p);
    }
  }

  private startTimers(): void {
    this.eventLoop.start();
    this.gc.start();
    this.stallWatch.start();
    const checkpoint = setInterval(() => this.checkpoint('timer'), CHECKPOINT_EVERY_MS);
    const idleTick = Math.max(200, Math.min(5_000, (this.settings.idleTimeoutSec * 1000) / 4));
    const idle = setInterval(() => this.checkIdle(), idleTick);
    checkpoint.unref();
    this.timers.push(checkpoint, idle);
  }

  private analyze(): void {
    try {
      this.store.analyze();
    } catch (err) {
      this.log.warn('analyze failed', { err: (err as Error).message });
    }
  }

  private checkpoint(reason: string): void {
    if (!this.store.db.open) return;
    try {
      this.store.checkpoint(reason);
    } catch (err) {
      this.log.warn('checkpoint failed', { err: (err as Error).message });
    }
  }

  private touch(): void {
    this.idleSince = this.isIdle() ? (this.idleSince ?? Date.now()) : null;
  }

  private isIdle(): boolean {
    return this.sessions.size === 0 && !this.jobs.busy && this.tools.active === 0;
  }

  private checkIdle(): void {
    const now = Date.now();
    for (const s of this.sessions.list()) {
      if (!s.held && now - s.since > UNHELD_GRACE_MS) this.sessions.detach(s.id);
    }
    if (!this.isIdle()) {
      this.idleSince = null;
      return;
    }
    this.idleSince ??= now;
    if (now - this.idleSince >= this.settings.idleTimeoutSec * 1000) {
      void this.shutdown(`idle for ${this.settings.idleTimeoutSec}s with no session`, true);
    }
  }

  indexerThreads(): IndexerThreads {
    return this.indexer.threads();
  }

  health(): HealthReply {
    return {
      ok: true,
      pid: process.pid,
      protocol: PROTOCOL_VERSION,
      startedAt: this.startedAt,
      draining: this.draining,
      cacheDir: this.paths.dir,
      ...this.build,
    };
  }

  async status(): Promise<DaemonStatus> {
    return buildStatus(this, await statusReads(this));
  }

  async exportGraph(query: Record<string, string>, res: ServerResponse): Promise<void> {
    await streamExport(this, query, res);
  }

  /**
   * Drains (refuses new calls, lets in-flight ones finish, bounded), stops jobs and watchers, closes the
   * server and the database, then removes the registration and socket. The database is closed before the
   * registration goes, so a successor never opens it while we still hold it.
   */
  shutdown(reason: string, drain: boolean): Promise<void> {
    this.stopping ??= this.doShutdown(reason, drain);
    return this.stopping;
  }

  private async doShutdown(reason: string, drain: boolean): Promise<void> {
    this.log.info('shutdown', { reason, drain, sessions: this.sessions.size, inflight: this.tools.active });
    this.draining = true;
    if (drain) {
      const deadline = Date.now() + DRAIN_LIMIT_MS;
      while (this.tools.active > 0 && Date.now() < deadline) await sleep(25);
    }
    this.shutdownController.abort();
    for (const c of this.channels) c.close();
    for (const t of this.timers) clearInterval(t);
    this.eventLoop.stop();
    this.stallWatch.stop();
    this.gc.stop();
    this.memory.close();
    await this.watchers.close();
    await this.jobs.cancelAll();
    await this.indexer.close().catch((err) => this.log.warn('indexer close failed', { err: (err as Error).message }));
    await this.reads.close().catch((err) => this.log.warn('read thread close failed', { err: (err as Error).message }));
    await this.app?.close().catch(() => undefined);
    try {
      this.store.close();
    } catch (err) {
      this.log.error('database close failed', { err });
    }
    // Socket before registration: a successor waits for our registration to go (or our pid to die) before it
    // binds, so by then nothing of ours can remove its socket.
    try {
      unlinkSync(this.socketPath);
    } catch {
      /* closing the server already removed it */
    }
    removeRegistration(this.paths.registration, process.pid);
    this.log.info('exit', { reason });
    this.onStopped?.();
  }
}

export function daemonError(message: string): CodehiveError {
  return new CodehiveError('INTERNAL', message);
}
