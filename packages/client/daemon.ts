/**
 * Finding or starting the daemon, race-free: probe; take the start lock; probe again; spawn detached; wait
 * for /health with backoff; fail fast with the log tail if the child dies first. Version hand-over happens
 * here too: a newer client asks an older daemon to drain and exit, then starts its own.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildInfo, cachePaths, DAEMON_NODE_FLAGS, daemonProcessEnv, socketPathFor, type CachePaths } from '../config/index.js';
import { pidAlive, readRegistration } from '../config/registration.js';
import { logTail, type Logger } from '../log/index.js';
import {
  CodehiveError,
  PROTOCOL_VERSION,
  ROUTES,
  compareBuilds,
  type BuildInfo,
  type HealthReply,
  type ShutdownRequest,
} from '../protocol/index.js';
import { isConnectionError, requestJson, resetConnections } from './http.js';

const DAEMON_ENTRY = fileURLToPath(new URL('../../daemon/run.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface DaemonEndpoint {
  socketPath: string;
  health: HealthReply;
  paths: CachePaths;
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  log: Logger;
  /** Never spawn (status, stop): report absence instead. */
  noSpawn?: boolean;
}

/** GET /health on a socket; null when nothing answers there. */
export async function probe(socketPath: string, timeoutMs = 2000): Promise<HealthReply | null> {
  try {
    return await requestJson<HealthReply>(socketPath, ROUTES.health, { timeoutMs });
  } catch (err) {
    if (isConnectionError(err)) {
      resetConnections(socketPath);
      return null;
    }
    throw err;
  }
}

/** Where the daemon for this cache dir listens: the registration file's word first, else the computed path. */
export function candidateSockets(paths: CachePaths, env: NodeJS.ProcessEnv): string[] {
  const fromReg = readRegistration(paths.registration)?.socketPath;
  const computed = socketPathFor(paths.dir, env);
  return fromReg && fromReg !== computed ? [fromReg, computed] : [computed];
}

async function findRunning(paths: CachePaths, env: NodeJS.ProcessEnv): Promise<DaemonEndpoint | null> {
  for (const socketPath of candidateSockets(paths, env)) {
    const health = await probe(socketPath);
    if (health && health.cacheDir === paths.dir) return { socketPath, health, paths };
  }
  return null;
}

type Verdict = 'use' | 'replace' | 'incompatible';

/** What a client of build `mine` does with a daemon of build `theirs`. Never both sides "replace". */
export function judgeDaemon(mine: BuildInfo, theirs: HealthReply): Verdict {
  if (theirs.buildId === mine.buildId && theirs.protocol === PROTOCOL_VERSION) return 'use';
  const order = compareBuilds(mine, theirs);
  if (order > 0) return 'replace';
  return theirs.protocol === PROTOCOL_VERSION ? 'use' : 'incompatible';
}

/** Returns a live, compatible daemon for this cache dir, starting one if needed. */
export async function ensureDaemon(opts: EnsureOptions): Promise<DaemonEndpoint> {
  const env = opts.env ?? process.env;
  const paths = cachePaths(env);
  const running = await findRunning(paths, env);
  if (running && !running.health.draining) {
    const verdict = judgeDaemon(buildInfo(env), running.health);
    if (verdict === 'use') return running;
    if (verdict === 'incompatible') throw incompatible(running.health, env);
  }
  if (opts.noSpawn) {
    throw new CodehiveError('DAEMON_UNAVAILABLE', `no codehive daemon is running for ${paths.dir}`);
  }
  return withStartLock(paths, opts.log, async () => {
    // Someone may have started (or replaced) it while we waited for the lock.
    const again = await findRunning(paths, env);
    if (again && !again.health.draining) {
      const verdict = judgeDaemon(buildInfo(env), again.health);
      if (verdict === 'use') return again;
      if (verdict === 'incompatible') throw incompatible(again.health, env);
      await handOver(again, opts.log);
    } else if (again) {
      await waitForExit(again.health.pid, 35_000);
    }
    return spawnDaemon(paths, env, opts.log);
  });
}

function incompatible(h: HealthReply, env: NodeJS.ProcessEnv): CodehiveError {
  const mine = buildInfo(env);
  return new CodehiveError(
    'INCOMPATIBLE_VERSION',
    `the running codehive daemon (v${h.version}, protocol ${h.protocol}, pid ${h.pid}) is newer than this client ` +
      `(v${mine.version}, protocol ${PROTOCOL_VERSION}) and speaks another protocol; upgrade this codehive, or run \`codehive stop\` to replace the daemon`,
  );
}

/** Asks an older daemon to drain and exit, and waits until it has. */
async function handOver(old: DaemonEndpoint, log: Logger): Promise<void> {
  const mine = buildInfo();
  log.info('handover', { oldPid: old.health.pid, oldVersion: old.health.version, oldBuild: old.health.buildId, newBuild: mine.buildId });
  const req: ShutdownRequest = { reason: `replaced by newer build ${mine.version}+${mine.buildId}`, drain: true, ifBuildId: old.health.buildId };
  try {
    await requestJson(old.socketPath, ROUTES.shutdown, { body: req, timeoutMs: 5000 });
  } catch (err) {
    if (!isConnectionError(err)) throw err;
  }
  await waitForExit(old.health.pid, 35_000);
  resetConnections(old.socketPath);
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) {
      throw new CodehiveError('DAEMON_UNAVAILABLE', `the old daemon (pid ${pid}) did not exit within ${timeoutMs / 1000}s; stop it with \`kill ${pid}\``);
    }
    await sleep(50);
  }
}

async function withStartLock<T>(paths: CachePaths, log: Logger, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  // Loaded only when a daemon must be started: a shim attaching to a running one never needs it.
  const { default: lockfile } = await import('proper-lockfile');
  try {
    release = await lockfile.lock(paths.dir, {
      lockfilePath: paths.startLock + '.lock',
      realpath: false,
      // A start takes seconds; a lock older than this belongs to a client that died mid-start.
      stale: 30_000,
      update: 5_000,
      retries: { retries: 600, factor: 1.2, minTimeout: 20, maxTimeout: 250 },
      onCompromised: (err) => log.warn('start lock compromised', { err }),
    });
  } catch (err) {
    throw new CodehiveError('DAEMON_UNAVAILABLE', `could not take the start lock ${paths.startLock}.lock: ${(err as Error).message}`);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Spawns the daemon detached (stdio to its log) and waits for it to answer /health. Caller holds the lock. */
async function spawnDaemon(paths: CachePaths, env: NodeJS.ProcessEnv, log: Logger): Promise<DaemonEndpoint> {
  const out = openSync(paths.daemonLog, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, DAEMON_ENTRY], {
      detached: true,
      stdio: ['ignore', out, out],
      // The daemon must not inherit our cwd's fate (an unmounted dir) nor hold it busy.
      cwd: paths.dir,
      env: { ...daemonProcessEnv(env), CODEHIVE_START_LOCK_HELD: '1' },
    });
  } finally {
    closeSync(out);
  }
  child.unref();
  log.info('spawned daemon', { pid: child.pid });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let delay = 10; ; delay = Math.min(delay * 1.5, 200)) {
    if (exited) {
      const { code, signal } = exited;
      const tail = logTail(paths.daemonLog, 15);
      throw new CodehiveError(
        'DAEMON_UNAVAILABLE',
        `the codehive daemon exited during start-up (${signal ?? `code ${code}`}). Last lines of ${paths.daemonLog}:\n${tail}`,
      );
    }
    const reg = readRegistration(paths.registration);
    if (reg && reg.pid === child.pid) {
      const health = await probe(reg.socketPath);
      if (health) return { socketPath: reg.socketPath, health, paths };
    }
    if (Date.now() > deadline) {
      throw new CodehiveError(
        'DAEMON_UNAVAILABLE',
        `the codehive daemon (pid ${child.pid}) did not answer within ${START_TIMEOUT_MS / 1000}s. Last lines of ${paths.daemonLog}:\n${logTail(paths.daemonLog, 15)}`,
      );
    }
    await sleep(delay);
  }
}

/** The daemon for this cache dir if one runs (no spawning). */
export async function runningDaemon(env: NodeJS.ProcessEnv = process.env): Promise<DaemonEndpoint | null> {
  const paths = cachePaths(env);
  return findRunning(paths, env);
}

export { DAEMON_ENTRY };
