/**
 * Opening the one database. Only the daemon calls `openStore`: it owns every connection to the file, so no
 * other process can map, checkpoint or truncate it underneath (the SIGBUS this project exists to end).
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { isNativeModuleNotBuilt, nativeModuleNotBuilt } from '../config/native-modules.js';
import { CodehiveError } from '../protocol/index.js';
import { Checkpointer, type CheckpointReply } from './checkpointer.js';
import { QueryMemo } from './memo.js';
import { MIGRATE_1_TO_2_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

export type Db = Database.Database;

export interface StoreOptions {
  /** PRAGMA mmap_size in bytes (0 = off). */
  mmapSize: number;
  /** PRAGMA journal_size_limit in bytes. */
  journalSizeLimit: number;
  /** How long a statement waits on a lock before SQLITE_BUSY. Only our own connections can hold one. */
  busyTimeoutMs?: number;
}

export interface CheckpointResult {
  at: number;
  /** 1 when the checkpoint could not finish because a reader or writer held it back. */
  busy: number;
  /** Frames in the WAL. */
  logFrames: number;
  /** Frames copied back into the database. */
  checkpointedFrames: number;
  reason: string;
  /** How long the checkpoint held the calling thread. */
  ms: number;
}

export interface SqliteInfo {
  version: string;
  journalMode: string;
  mmapSize: number;
  dbBytes: number;
  walBytes: number;
  lastCheckpoint: CheckpointResult | null;
  checkpoints: number;
  /** The longest any checkpoint held the daemon's thread. */
  slowestCheckpointMs: number;
}

export class Store {
  readonly db: Db;
  readonly path: string;
  /** Read answers remembered until the next write (see memo.ts). */
  readonly memo = new QueryMemo();
  private lastCheckpoint: CheckpointResult | null = null;
  private readonly statements = new Map<string, Database.Statement>();
  private checkpointCount = 0;
  private slowestCheckpointMs = 0;
  private checkpointer: Checkpointer | undefined;

  private constructor(db: Db, path: string) {
    this.db = db;
    this.path = path;
  }

  static open(path: string, opts: StoreOptions): Store {
    let db: Db;
    try {
      db = new Database(path);
    } catch (err) {
      if (isNativeModuleNotBuilt(err)) throw nativeModuleNotBuilt('better-sqlite3', err);
      throw new CodehiveError('INTERNAL', `cannot open the database ${path}: ${(err as Error).message}`);
    }
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL cannot corrupt the database; a crash loses nothing committed (only the last fsync window
    // of a power loss). Good enough for a cache we can rebuild, and much faster than FULL.
    db.pragma('synchronous = NORMAL');
    db.pragma(`mmap_size = ${opts.mmapSize}`);
    db.pragma(`journal_size_limit = ${opts.journalSizeLimit}`);
    // We checkpoint ourselves (PASSIVE, after write batches); SQLite's auto-checkpoint would also be PASSIVE
    // but runs inside a committing write, where we cannot observe its result.
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('foreign_keys = OFF');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -32000');
    const store = new Store(db, path);
    store.migrate();
    // The statistics live in the database and the daemon refreshes them after every index job: only a database
    // that never had any is analyzed here. At every open, ANALYZE held a restarted daemon 9-25 ms (the more,
    // the colder its page cache) before its socket opened, while every session waited to reconnect.
    if (!store.hasStatistics()) store.analyze();
    return store;
  }

  private migrate(): void {
    const version = this.schemaVersion();
    if (version !== null && version > SCHEMA_VERSION) {
      throw new CodehiveError(
        'INCOMPATIBLE_VERSION',
        `the database ${this.path} was written by a newer codehive (schema ${version}, this build knows ${SCHEMA_VERSION}); upgrade codehive or use another CODEHIVE_CACHE_DIR`,
      );
    }
    this.db.transaction(() => {
      if (version === 1) this.db.exec(MIGRATE_1_TO_2_SQL);
      this.db.exec(SCHEMA_SQL);
      if (version !== SCHEMA_VERSION) {
        this.db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
      }
    }).immediate();
    // FTS5 merges its index segments inside the committing write by default ("automerge"); merging large
    // ones held the event loop 30-50 ms in one transaction. The indexer merges after each job instead, in
    // short paced steps (mergeSearchIndexPaced in packages/indexer/write.ts). Stored in the FTS config table.
    // usermerge 2: those merges combine any level holding two segments (with the default 4, and crisis
    // merges at 16 during a big write, levels were left with 2-3 segments each that no merge ever combined).
    this.db.exec(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('automerge', 0); INSERT INTO nodes_fts(nodes_fts, rank) VALUES('usermerge', 2)`);
  }

  /** The schema version the database was written with; null for a new database. */
  private schemaVersion(): number | null {
    const hasMeta = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
    if (!hasMeta) return null;
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    return row ? Number(row.value) : null;
  }

  /**
   * A prepared statement, compiled once per SQL text and reused: preparing costs more than running a small
   * query, and the daemon runs the same few queries thousands of times a second.
   */
  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two writers never
   * deadlock on an upgrade from a read lock.
   */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } finally {
      // Also after a rollback: it changed nothing, but dropping the memos costs little.
      this.memo.invalidate();
    }
  }

  /**
   * Refreshes the query planner's statistics (bounded sampling: a few ms whatever the size). Without them
   * SQLite picked e.g. the (snapshot, kind) index for "symbols named X" and walked every symbol of the
   * project; with them it uses (snapshot, name). Run after the graph changed.
   */
  analyze(): void {
    this.db.pragma('analysis_limit = 1000');
    this.db.exec('ANALYZE');
  }

  /** Whether ANALYZE ever ran on this database (its statistics table exists). */
  hasStatistics(): boolean {
    return this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`).get() !== undefined;
  }

  /**
   * A PASSIVE checkpoint: copies what it can from the WAL without waiting on readers and never truncates
   * the database file. TRUNCATE/RESTART are never used on a live database. On the checkpoint thread when
   * the daemon started one (`checkpointOffThread`), else right here.
   */
  checkpoint(reason: string): void {
    if (this.checkpointer) return this.checkpointer.request(reason);
    const t0 = performance.now();
    const row = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    this.record({ reason, ok: true, ...row[0], ms: performance.now() - t0 });
  }

  /**
   * From now on checkpoints run on a thread with its own connection: after a full index of a large project
   * one copies tens of MB and held the event loop for 40+ ms.
   */
  checkpointOffThread(onError: (message: string) => void): void {
    this.checkpointer ??= new Checkpointer(this.path, (r) => (r.ok ? this.record(r) : onError(r.error ?? 'unknown error')));
  }

  private record(r: CheckpointReply): void {
    const ms = Math.round(r.ms * 10) / 10;
    this.lastCheckpoint = { at: Date.now(), busy: r.busy ?? 0, logFrames: r.log ?? 0, checkpointedFrames: r.checkpointed ?? 0, reason: r.reason, ms };
    this.checkpointCount++;
    this.slowestCheckpointMs = Math.max(this.slowestCheckpointMs, ms);
  }

  info(): SqliteInfo {
    const version = (this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    return {
      version,
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      mmapSize: Number(this.db.pragma('mmap_size', { simple: true })),
      dbBytes: fileSize(this.path),
      walBytes: fileSize(`${this.path}-wal`),
      lastCheckpoint: this.lastCheckpoint,
      checkpoints: this.checkpointCount,
      slowestCheckpointMs: this.slowestCheckpointMs,
    };
  }

  /**
   * Empties this connection's page cache (`PRAGMA shrink_memory`, ~1.5 ms for a full one). The cache fills up
   * to cache_size with the pages writes and WAL reads go through and keeps them for the connection's life:
   * ~31 MB of the daemon's RSS after a few effect re-indexes, growth that looked like a leak to the soak
   * (outside-heap memory climbing 61 → 75 MB over a daemon's lifetime). Reads of the database file come from
   * the memory map, so the pages are cheap to get again.
   */
  releaseMemory(): void {
    this.db.pragma('shrink_memory');
  }

  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('\n');
  }

  close(): void {
    if (!this.db.open) return;
    // The thread's connection closes as the thread stops; the last checkpoint runs here.
    void this.checkpointer?.close();
    this.checkpointer = undefined;
    try {
      this.checkpoint('close');
    } catch {
      /* closing anyway */
    }
    this.db.close();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
