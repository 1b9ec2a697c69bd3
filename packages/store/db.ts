/**
 * Opening the one database. Only the daemon calls `openStore`: it owns every connection to the file, so no
 * other process can map, checkpoint or truncate it underneath (the SIGBUS this project exists to end).
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { CodehiveError } from '../protocol/index.js';
import { QueryMemo } from './memo.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

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
}

export interface SqliteInfo {
  version: string;
  journalMode: string;
  mmapSize: number;
  dbBytes: number;
  walBytes: number;
  lastCheckpoint: CheckpointResult | null;
  checkpoints: number;
}

export class Store {
  readonly db: Db;
  readonly path: string;
  /** Read answers remembered until the next write (see memo.ts). */
  readonly memo = new QueryMemo();
  private lastCheckpoint: CheckpointResult | null = null;
  private readonly statements = new Map<string, Database.Statement>();
  private checkpointCount = 0;

  private constructor(db: Db, path: string) {
    this.db = db;
    this.path = path;
  }

  static open(path: string, opts: StoreOptions): Store {
    let db: Db;
    try {
      db = new Database(path);
    } catch (err) {
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
    store.analyze();
    return store;
  }

  private migrate(): void {
    this.db.exec(SCHEMA_SQL);
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    if (!row) {
      this.db.prepare(`INSERT INTO meta(key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    } else if (Number(row.value) > SCHEMA_VERSION) {
      throw new CodehiveError(
        'INCOMPATIBLE_VERSION',
        `the database ${this.path} was written by a newer codehive (schema ${row.value}, this build knows ${SCHEMA_VERSION}); upgrade codehive or use another CODEHIVE_CACHE_DIR`,
      );
    }
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

  /**
   * A PASSIVE checkpoint: copies what it can from the WAL without waiting on readers and never truncates
   * the database file. TRUNCATE/RESTART are never used on a live database.
   */
  checkpoint(reason: string): CheckpointResult {
    const row = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    const r = row[0] ?? { busy: 0, log: 0, checkpointed: 0 };
    this.lastCheckpoint = { at: Date.now(), busy: r.busy, logFrames: r.log, checkpointedFrames: r.checkpointed, reason };
    this.checkpointCount++;
    return this.lastCheckpoint;
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
    };
  }

  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('\n');
  }

  close(): void {
    if (!this.db.open) return;
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
