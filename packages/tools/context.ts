/**
 * What a tool handler gets from the daemon. Handlers are pure functions of (context, validated args) → a
 * ToolResult; the same handler serves MCP (through the shim) and the CLI.
 */
import type { DaemonSettings } from '../config/index.js';
import type { IndexMode, IndexProgress, IndexReport } from '../indexer/api.js';
import type { Logger } from '../log/index.js';
import type { ToolResult } from '../protocol/index.js';
import type { Store } from '../store/db.js';
import type { ProjectRow } from '../store/projects.js';
import type { ToolArgs, ToolName } from './definitions.js';
import type { WholeGraphReads } from './lib/whole-graph.js';

/** How current an answer is; every tool answer carries it. */
export interface Freshness {
  indexedAt: number | null;
  /** Files changed on disk and not yet in the graph (0 when the watcher and read-your-writes are caught up). */
  pendingChanges: number;
  /** `watching`, `polling` (watch limit hit), `off` (CODEHIVE_WATCH=0), `stopped`. */
  watch: string;
  /** True when the answer may miss recent edits. */
  stale: boolean;
  /** A full re-index is running: the answer comes from the graph published before it (queries do not wait). */
  reindexing?: boolean;
}

export interface ToolContext {
  store: Store;
  /** Reads that walk a whole snapshot, off the event loop in the daemon (lib/whole-graph.ts). */
  reads: WholeGraphReads;
  settings: DaemonSettings;
  log: Logger;
  /** Aborted when the caller cancels (MCP cancellation, client disconnect) or the daemon shuts down. */
  signal: AbortSignal;
  /** The working directory of the calling session (or CLI invocation). */
  cwd: string;
  /** MCP roots announced by the client, if any. */
  roots: string[];
  /**
   * The project named by `arg` (root path or name), or the one containing the session's cwd/roots. Before
   * returning, applies changes already seen on disk (read-your-writes). Throws UNKNOWN_PROJECT listing the
   * known projects.
   */
  project(arg?: string): Promise<ProjectRow>;
  /**
   * The same lookup as `project`, as stored right now: no read-your-writes wait and no graph required (for
   * index_status and delete_project, which must work while a first index runs or after it failed).
   */
  findProject(arg?: string): ProjectRow;
  /** Progress of the index job running for the project, or null. */
  job(project: ProjectRow): { mode: IndexMode; startedAt: number; progress: IndexProgress | null } | null;
  /** Runs (or joins) an index job for `root` (any spelling; canonicalised by the daemon). */
  index(root: string, mode: IndexMode, onProgress?: (p: IndexProgress) => void): Promise<IndexReport>;
  /** Deletes a project and its data (cancelling its jobs and watcher first). */
  deleteProject(project: ProjectRow): Promise<void>;
  /** Freshness of a project's graph as of now. */
  freshness(project: ProjectRow): Promise<Freshness>;
  /** Sends an MCP progress notification when the caller asked for progress. */
  progress(done: number, total?: number, message?: string): void;
}

export type ToolHandler<N extends ToolName> = (ctx: ToolContext, args: ToolArgs<N>) => Promise<ToolResult>;
