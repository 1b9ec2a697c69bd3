/**
 * Where codehive keeps its files and which knobs the environment sets. Every process (daemon, shim, CLI)
 * resolves these the same way, so they agree on one cache dir, one socket and one registration file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, mkdirSync, chmodSync, lstatSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodehiveError, type BuildInfo } from '../protocol/index.js';
import { leaveYoungGenerationToWorkers, limitHeapGrowth } from './heap.js';
import { limitJitInlining } from './jit.js';

/** Bytes Linux allows in sockaddr_un.sun_path including the NUL; macOS allows 104. */
const SUN_PATH_MAX = process.platform === 'darwin' ? 104 : 108;

export interface CachePaths {
  /** Canonical (realpath) cache dir, mode 0700. */
  dir: string;
  db: string;
  registration: string;
  startLock: string;
  daemonLog: string;
  shimLog: string;
}

/** The cache dir as configured: CODEHIVE_CACHE_DIR, else $XDG_CACHE_HOME/codehive, else ~/.cache/codehive. */
export function configuredCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CODEHIVE_CACHE_DIR) return env.CODEHIVE_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'codehive');
}

/** Creates the cache dir (0700) if needed and returns its canonical paths. */
export function cachePaths(env: NodeJS.ProcessEnv = process.env): CachePaths {
  const configured = configuredCacheDir(env);
  mkdirSync(configured, { recursive: true, mode: 0o700 });
  const dir = realpathSync(configured);
  // mkdir's mode is masked by umask and ignored for an existing dir; the cache holds source code, so force it.
  chmodSync(dir, 0o700);
  return pathsIn(dir);
}

/** Paths inside an already-canonical cache dir (does not touch the file system). */
export function pathsIn(dir: string): CachePaths {
  return {
    dir,
    db: join(dir, 'graph.db'),
    registration: join(dir, 'daemon.json'),
    startLock: join(dir, 'daemon.start'),
    daemonLog: join(dir, 'daemon.log'),
    shimLog: join(dir, 'shim.log'),
  };
}

/**
 * The socket path for a cache dir: a short owner-only dir (`$XDG_RUNTIME_DIR` or the OS temp dir, then
 * `codehive-<uid>/`), named by a hash of the cache dir's realpath so every spelling of one cache dir meets at
 * one socket. Throws PATH_TOO_LONG rather than letting bind fail with a baffling error.
 */
export function socketPathFor(cacheDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.CODEHIVE_SOCKET_DIR || join(env.XDG_RUNTIME_DIR || tmpdir(), `codehive-${uid()}`);
  const name = createHash('sha256').update(cacheDir).digest('hex').slice(0, 16) + '.sock';
  const path = join(base, name);
  if (Buffer.byteLength(path) >= SUN_PATH_MAX) {
    throw new CodehiveError(
      'PATH_TOO_LONG',
      `socket path ${path} is ${Buffer.byteLength(path)} bytes; Unix sockets allow ${SUN_PATH_MAX - 1}. ` +
        `Set CODEHIVE_SOCKET_DIR (or XDG_RUNTIME_DIR/TMPDIR) to a shorter directory, e.g. /tmp.`,
    );
  }
  return path;
}

/**
 * Creates (0700) and verifies the socket dir: a real directory, not a symlink, owned by us, not accessible to
 * group or others. Node cannot read a socket peer's uid, so this dir is what keeps other users out.
 */
export function ensureSocketDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) {
    throw new CodehiveError('UNSAFE_DIR', `socket dir ${dir} is not a plain directory; remove it and retry`);
  }
  if (st.uid !== uid()) {
    throw new CodehiveError('UNSAFE_DIR', `socket dir ${dir} is owned by uid ${st.uid}, not ${uid()}; remove it or set CODEHIVE_SOCKET_DIR`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

export interface DaemonSettings {
  /** PRAGMA mmap_size in bytes; 0 turns memory-mapped I/O off. */
  mmapSize: number;
  /** Seconds the daemon lingers with no session and no job before it exits. */
  idleTimeoutSec: number;
  /** Whether indexed projects are watched for changes. */
  watch: boolean;
  /**
   * Read-your-writes fence: every query first makes sure the watcher has seen edits saved before it (an
   * event-loop turn on Linux, ~50 ms with @parcel/watcher elsewhere). Off: queries apply only changes already
   * seen (an edit saved a moment before may show in the next answer instead).
   */
  fence: boolean;
  /** Files larger than this are skipped by the indexer. */
  maxFileBytes: number;
  /** Parser worker threads. */
  workers: number;
  /** PRAGMA journal_size_limit in bytes: the WAL is truncated to this after a checkpoint resets it. */
  journalSizeLimit: number;
  /** When set, only repositories under these roots may be indexed or read. */
  allowedRoots: string[] | null;
}

const DEFAULT_MMAP = 64 * 1024 * 1024;

/**
 * The environment a daemon process starts with (each value unless the user chose one). Read by glibc at
 * process start, so whoever spawns the daemon sets them.
 * - MALLOC_ARENA_MAX is left to glibc (8 per core: an arena for each of the daemon's 14-17 threads). With 2,
 *   threads beyond the first two shared arenas by turns, and when both parse workers drew the same one they
 *   spent a full index of effect waiting on its lock (futex waits 7-9 % of each worker's samples under
 *   `perf`, runs 2.4-2.7 s against 2.0-2.1): 16 cold full indexes, alternated, 2,166 against 2,066 ms. The
 *   ~100 MB it once saved were freed memory the trims now return (bench/memory.ts, 6 re-indexes: 164-200
 *   against 165-177 MB after each trim, 315-338 against 298-322 MB right after each index).
 * - MALLOC_MMAP_THRESHOLD_=131072: the messages between threads during a full index are buffers of tens of
 *   MB. glibc raises its mmap threshold to the size of each such buffer freed, so the next ones came from the
 *   arenas and stayed there: 6 back-to-back full indexes of effect ended at 495-518 MB, with a fixed
 *   threshold at 423-433 MB (bench/memory.ts), same index speed.
 */
export function daemonProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ ?? '131072' };
}

/**
 * Node flags a spawned daemon starts with (V8 reads these only at start-up; run-time ones: applyDaemonV8Flags).
 * --max-semi-space-size=4 (MB; V8 grows it to 16), for the main thread (applyDaemonV8Flags unsets it before
 * any worker starts, so each worker's own limit holds: heap.ts): a young-generation collection copies what survives, and
 * the main thread's catch-up after a restart (the live index read back, a whole graph unpacked and keyed)
 * keeps most of what it allocates; with 16 MB semi-spaces those scavenges held the event loop 20-38 ms
 * each while 16 sessions were calling (.scratch/restart.mjs with a long-task preload: 7-8 stretches over
 * 25 ms after start-up per run, 1-2 with 4 MB; first-second loop max 27-44 -> 18-20 ms).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * The V8 flags a daemon process sets on itself, first thing (heap.ts, jit.ts): called by the daemon and by
 * the benchmarks that stand in for it, so both run the same V8.
 */
export function applyDaemonV8Flags(): void {
  limitHeapGrowth();
  limitJitInlining();
  leaveYoungGenerationToWorkers();
}

/** Reads the daemon's settings from the environment; any invalid value is a CONFIG_INVALID error. */

export function daemonSettings(env: NodeJS.ProcessEnv = process.env): DaemonSettings {
  return {
    mmapSize: intSetting(env, 'CODEHIVE_SQLITE_MMAP_SIZE', DEFAULT_MMAP, 0, 2 ** 40, 'bytes (0 turns mmap off)'),
    idleTimeoutSec: intSetting(env, 'CODEHIVE_IDLE_TIMEOUT', 600, 0, 10 * 365 * 86400, 'seconds'),
    watch: boolSetting(env, 'CODEHIVE_WATCH', true),
    fence: boolSetting(env, 'CODEHIVE_FENCE', true),
    maxFileBytes: intSetting(env, 'CODEHIVE_MAX_FILE_BYTES', 1024 * 1024, 1, 2 ** 31, 'bytes'),
    workers: intSetting(env, 'CODEHIVE_WORKERS', defaultWorkers(), 1, 64, 'threads'),
    journalSizeLimit: intSetting(env, 'CODEHIVE_JOURNAL_SIZE_LIMIT', 64 * 1024 * 1024, 0, 2 ** 40, 'bytes'),
    allowedRoots: listSetting(env, 'CODEHIVE_ALLOWED_ROOTS'),
  };
}

function defaultWorkers(): number {
  // Leave a core to the main thread (it writes rows and answers queries) on machines that have one to spare.
  const cores = availableParallelism();
  return Math.max(1, Math.min(8, cores > 2 ? cores - 1 : cores));
}

function intSetting(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  if (!/^\d+$/.test(raw.trim())) {
    throw new CodehiveError('CONFIG_INVALID', `${name}=${JSON.stringify(raw)} is not a whole number of ${unit}; unset it for the default (${dflt})`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new CodehiveError('CONFIG_INVALID', `${name}=${raw} is out of range [${min}, ${max}] ${unit}; unset it for the default (${dflt})`);
  }
  return value;
}

function boolSetting(env: NodeJS.ProcessEnv, name: string, dflt: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return dflt;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new CodehiveError('CONFIG_INVALID', `${name}=${JSON.stringify(env[name])} must be 1 or 0`);
}

function listSetting(env: NodeJS.ProcessEnv, name: string): string[] | null {
  const raw = env[name];
  if (!raw) return null;
  return raw.split(':').filter(Boolean).map((p) => {
    try {
      return realpathSync(p);
    } catch {
      throw new CodehiveError('CONFIG_INVALID', `${name} names ${p}, which does not exist`);
    }
  });
}

let cachedBuild: BuildInfo | undefined;

/**
 * This build's identity, written by scripts/build-info.mjs. CODEHIVE_BUILD_OVERRIDE (JSON) replaces it so
 * tests can run two "versions" of the same code side by side.
 */
export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  if (env.CODEHIVE_BUILD_OVERRIDE) return JSON.parse(env.CODEHIVE_BUILD_OVERRIDE) as BuildInfo;
  if (!cachedBuild) {
    const file = new URL('../../build-info.json', import.meta.url);
    try {
      cachedBuild = JSON.parse(readFileSync(file, 'utf8')) as BuildInfo;
    } catch {
      cachedBuild = { version: '0.0.0-dev', buildId: 'dev', builtAt: 0 };
    }
  }
  return cachedBuild;
}
