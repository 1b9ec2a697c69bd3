/**
 * The indexer's contract with the daemon. The daemon's job manager (daemon/jobs.ts) is the only caller: it
 * runs at most one index job per project at a time.
 */
export type IndexMode = 'full' | 'incremental';

export interface IndexProgress {
  phase: 'scan' | 'parse' | 'resolve' | 'write';
  done: number;
  total: number;
}

export interface IndexOptions {
  mode: IndexMode;
  signal?: AbortSignal;
  onProgress?: (p: IndexProgress) => void;
  /**
   * Relative paths known to have changed (from the watcher). A hint that narrows the scan; the indexer still
   * decides by size/mtime/hash. Absent: scan the whole tree.
   */
  changedPaths?: string[];
}

export interface SkippedFile {
  path: string;
  /** e.g. `too large (5.0 MiB > 1 MiB)`, `binary (NUL byte)`, `unreadable: ENOENT`, `symlink loop` */
  reason: string;
}

export interface IndexReport {
  projectId: number;
  root: string;
  /** How the run went: `full` when asked for, and when nothing reusable was stored (a first index, facts of another extractor version). */
  mode: IndexMode;
  durationMs: number;
  files: { total: number; parsed: number; unchanged: number; added: number; changed: number; removed: number };
  /**
   * What the parse workers read and hashed this run: files parsed, plus files whose mtime changed but whose
   * content did not (a checkout rewrites them). How much memory the run churned. (Absent in reports stored
   * before it existed.)
   */
  read?: { files: number; bytes: number };
  lines: number;
  nodes: number;
  edges: number;
  calls: { resolved: number; unresolved: number };
  skipped: SkippedFile[];
  /** Files indexed despite syntax errors or invalid UTF-8. */
  errors: Array<{ path: string; message: string }>;
  gitHead: string | null;
  /** The extractor's FACTS_VERSION that produced the stored facts (stored with the report). */
  factsVersion?: number;
}

export interface Indexer {
  /** Indexes `root` (a realpath) into its project, creating the project if needed. */
  index(root: string, opts: IndexOptions): Promise<IndexReport>;
  /**
   * Relative paths whose size or mtime differ from the live snapshot, plus added and removed files (a cheap
   * scan, no parsing): the freshness ("N files changed since") of an answer.
   */
  changedSince(projectId: number): Promise<string[]>;
  /** The indexer's threads right now (status shows them). */
  threads(): IndexerThreads;
  /**
   * Drops the snapshots no project points at and no running index is writing (what a daemon killed
   * mid-index left); returns their ids.
   */
  sweepOrphans(): Promise<number[]>;
  close(): Promise<void>;
}

export interface IndexerThreads {
  /** Parse workers alive (they are ended after 30 s idle), and how many are parsing. */
  parseWorkers: number;
  parsing: number;
  /** Parse workers replaced by fresh ones after heavy work (each returns the memory its parsing left). */
  parseWorkersRecycled: number;
  /** 1 while the resolve worker (which keeps facts between runs) is alive. */
  resolveWorkers: number;
  /** V8 heaps of the live workers as of their last replies: used and committed bytes. */
  parseHeap: { usedBytes: number; totalBytes: number };
  resolveHeap: { usedBytes: number; totalBytes: number };
}
