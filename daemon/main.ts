/**
 * `codehive daemon`: the daemon process entry. Normally spawned detached by a shim or the CLI, which hold the
 * start lock for it (CODEHIVE_START_LOCK_HELD=1); started by hand, it takes the lock itself.
 *
 * Start-up order matters: settings (a bad value is a clear error, not a silent default) → socket dir → is a
 * daemon already serving this cache dir? → wait for a predecessor that is still shutting down → open the
 * database → listen → register. The stale socket is removed only under the start lock after a refused connect.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { applyDaemonV8Flags, buildInfo, cachePaths, daemonSettings, ensureSocketDir, socketPathFor, type CachePaths } from '../packages/config/index.js';
import { mallocTrimAvailable } from '../packages/config/glibc-malloc.js';
import { pidAlive, readRegistration } from '../packages/config/registration.js';
import { createIndexer } from '../packages/indexer/index.js';
import { createLogger, type Logger } from '../packages/log/index.js';
import { asCodehiveError, CodehiveError } from '../packages/protocol/index.js';
import { probe } from '../packages/client/daemon.js';
import { Store } from '../packages/store/db.js';
import { HANDLERS } from '../packages/tools/handlers/index.js';
import { Daemon } from './daemon.js';

/** Exit code for a configuration error (EX_CONFIG), so a spawner can tell it from a crash. */
const EXIT_CONFIG = 78;

export async function runDaemon(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  applyDaemonV8Flags();
  // Everything the daemon creates (database, WAL, logs, registration) is for its owner only.
  process.umask(0o077);
  const paths = cachePaths(env);
  const log = createLogger(paths.daemonLog, { tag: `daemon:${process.pid}` });
  log.info('starting', { pid: process.pid, node: process.version, cacheDir: paths.dir, ...buildInfo(env) });
  let daemon: Daemon | null = null;
  try {
    const settings = daemonSettings(env);
    const socketPath = socketPathFor(paths.dir, env);
    ensureSocketDir(dirname(socketPath));
    const release = env.CODEHIVE_START_LOCK_HELD === '1' ? null : await takeStartLock(paths);
    try {
      await clearTheWay(paths, socketPath, log);
      const store = Store.open(paths.db, { mmapSize: settings.mmapSize, journalSizeLimit: settings.journalSizeLimit });
      log.info('database open', { path: paths.db, mmapSize: settings.mmapSize, journalSizeLimit: settings.journalSizeLimit });
      store.checkpointOffThread((message) => log.warn('checkpoint failed', { err: message }));
      const indexer = createIndexer(store, settings, log);
      daemon = new Daemon({ paths, socketPath, settings, build: buildInfo(env), store, indexer, handlers: HANDLERS, log });
      daemon.onStopped = () => process.exit(0);
      // koffi and libc's bindings (~6 ms quiet) load before the socket opens: loaded by the first status read
      // or trim, they held a restarted daemon's loop 25-30 ms while 16 sessions reconnected.
      mallocTrimAvailable();
      await daemon.listen();
    } finally {
      await release?.();
    }
  } catch (err) {
    const e = asCodehiveError(err);
    log.error('start failed', { code: e.code, err: e.code === 'INTERNAL' ? err : e.message });
    // stderr goes to the daemon log too; the spawning client shows its tail to the user.
    process.stderr.write(`codehive daemon: ${e.message}\n`);
    process.exit(e.code === 'CONFIG_INVALID' ? EXIT_CONFIG : 1);
  }
  installSignalHandlers(daemon, log);
  void daemon.afterStart().catch((err) => log.error('after-start work failed', { err }));
}

async function takeStartLock(paths: CachePaths): Promise<() => Promise<void>> {
  return lockfile.lock(paths.dir, {
    lockfilePath: paths.startLock + '.lock',
    realpath: false,
    stale: 30_000,
    update: 5_000,
    retries: { retries: 200, factor: 1.2, minTimeout: 20, maxTimeout: 250 },
  });
}

/**
 * Makes sure no other daemon owns this cache dir before we open the database:
 *  - a daemon answering on the socket → refuse to start (it serves everyone already);
 *  - a registered daemon still alive but not answering (shutting down) → wait for it to exit;
 *  - a socket file nobody answers on → stale: remove it (we hold the start lock and the connect was refused).
 */
async function clearTheWay(paths: CachePaths, socketPath: string, log: Logger): Promise<void> {
  const reg = readRegistration(paths.registration);
  for (const sock of new Set([socketPath, reg?.socketPath].filter((s): s is string => Boolean(s)))) {
    const health = await probe(sock);
    if (health && health.pid !== process.pid) {
      throw new CodehiveError('BUSY', `a codehive daemon (pid ${health.pid}) already serves ${paths.dir} on ${sock}`);
    }
  }
  if (reg && reg.pid !== process.pid && isCodehiveDaemon(reg.pid)) {
    log.info('waiting for the previous daemon to exit', { pid: reg.pid });
    const deadline = Date.now() + 40_000;
    while (pidAlive(reg.pid) && isCodehiveDaemon(reg.pid)) {
      if (Date.now() > deadline) {
        throw new CodehiveError('BUSY', `the previous codehive daemon (pid ${reg.pid}) is alive but not answering; stop it with \`kill ${reg.pid}\``);
      }
      await sleep(50);
    }
  }
  if (existsSync(socketPath)) {
    log.info('removing stale socket', { socket: socketPath });
    unlinkSync(socketPath);
  }
}

/** Whether `pid` is a live codehive daemon (guards against pid reuse after a reboot or crash). */
function isCodehiveDaemon(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daemon/run.js');
  } catch {
    // No /proc (macOS): a live pid named by the registration is assumed to be ours, which only costs a wait.
    return true;
  }
}

function installSignalHandlers(daemon: Daemon, log: Logger): void {
  const stop = (why: string) => {
    void daemon.shutdown(why, true).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => undefined);
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception', { err });
    void daemon.shutdown('uncaught exception', false).then(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err }));
}
