/**
 * A read-your-writes fence. "Take what the watcher has seen" right after an edit could miss an edit saved a
 * moment earlier whose event is still on its way (in the kernel's queue, or in @parcel/watcher's batching:
 * 50 ms once it has delivered anything in the last 500 ms). The fence closes that gap without sleeping
 * blindly:
 *
 *   write a uniquely named file into a private fence dir that is watched through the same backend (on Linux
 *   one inotify descriptor for every subscription, one ordered kernel queue), then wait for its event.
 *   Events queued before our write are read before it.
 *
 * With the Linux backend (dir-watch.ts, `ordered`) they have been handed over by the time the fence's event
 * arrives, and a fence costs an event-loop turn. With @parcel/watcher they arrive in the same native round or
 * an earlier one, a few turns apart; its other backends (FSEvents, Windows) keep per-subscription streams,
 * where the fence is a best-effort delay. If the fence dir cannot be watched, `pass()` degrades to a fixed wait.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from '../log/index.js';
import type { SubscribeFn, Subscription } from './types.js';

export interface Fence {
  /** Resolves once every file-system event that happened before the call has been delivered (bounded). */
  pass(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Wait used when the fence itself cannot be watched: a little over @parcel/watcher's native batching. */
const FALLBACK_WAIT_MS = 75;
/** After a fence's event, how long other subscriptions' events of the same round get to arrive. */
const POST_FENCE_MS = 4;
/** Fence files are deleted this long after the first one not yet deleted. */
const SWEEP_AFTER_MS = 2_000;

export function createFence(subscribe: SubscribeFn, log: Logger, dir?: string): Fence {
  let ready: Promise<Subscription | null> | null = null;
  let fenceDir = '';
  let ownsDir = false;
  let seq = 0;
  const waiters = new Map<string, () => void>();
  // Fence files are deleted in batches, not one by one: @parcel/watcher hands over an event
  // at once when it has delivered nothing for 500 ms, and otherwise only after 50 ms of quiet. Deleting each
  // fence file right away made a delivery of its own, so the next query's fence always waited the 50 ms.
  // (With the ordered Linux backend the batching only saves an unlink and an event per fence.)
  const litter: string[] = [];
  let sweepTimer: NodeJS.Timeout | undefined;
  const sweep = () => {
    for (const f of litter.splice(0)) {
      try {
        unlinkSync(f);
      } catch {
        /* already gone */
      }
    }
  };
  // At most SWEEP_AFTER_MS after the first unswept fence, busy or not: postponing the sweep until fences
  // paused let a daemon under steady traffic pile up a file per fence for as long as the traffic lasted.
  // (Under steady traffic fences come less than 500 ms apart and wait the 50 ms anyway.)
  const sweepLater = () => {
    if (sweepTimer) return;
    sweepTimer = setTimeout(() => {
      sweepTimer = undefined;
      sweep();
    }, SWEEP_AFTER_MS);
    sweepTimer.unref();
  };

  const start = (): Promise<Subscription | null> => {
    ready ??= (async () => {
      try {
        if (dir) {
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          fenceDir = dir;
        } else {
          fenceDir = mkdtempSync(join(tmpdir(), 'codehive-fence-'));
          ownsDir = true;
        }
        return await subscribe(
          fenceDir,
          (err, events) => {
            if (err) return;
            for (const e of events) {
              const done = waiters.get(basename(e.path));
              if (done) {
                waiters.delete(basename(e.path));
                done();
              }
            }
          },
          {},
        );
      } catch (err) {
        log.warn('watch.fence_unavailable', { dir: fenceDir, error: (err as Error).message });
        return null;
      }
    })();
    return ready;
  };

  return {
    async pass(timeoutMs) {
      const sub = await start();
      if (!sub) return sleep(Math.min(FALLBACK_WAIT_MS, timeoutMs));
      const name = `${process.pid}-${++seq}.fence`;
      const file = join(fenceDir, name);
      let timer: NodeJS.Timeout | undefined;
      const seen = new Promise<boolean>((resolve) => {
        waiters.set(name, () => resolve(true));
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        writeFileSync(file, '');
      } catch (err) {
        waiters.delete(name);
        clearTimeout(timer);
        log.debug('watch.fence_write_failed', { error: (err as Error).message });
        return sleep(Math.min(FALLBACK_WAIT_MS, timeoutMs));
      }
      const ok = await seen;
      clearTimeout(timer);
      waiters.delete(name);
      litter.push(file);
      sweepLater();
      if (!ok) log.debug('watch.fence_timeout', { timeoutMs });
      // Continue in the check phase, not inside libuv's inotify read: it reads until the queue is empty, so a
      // caller that starts the next fence at once would have its event read in the same loop, and back-to-back
      // fences never let the event loop reach its timers (seen: the 2 s fence sweep never ran).
      await new Promise((r) => setImmediate(r));
      if (subscribe.ordered) return;
      // Other subscriptions' events of the same native round reach JavaScript through their own async
      // handles, signalled by the watcher thread one after another: one of them can land in the next event-loop
      // turn, later still if that thread was preempted between the two (seen once under a full test run on
      // 2 cores with a 1 ms wait: an unlink applied one batch late). Two turns and a few ms cover that.
      await new Promise((r) => setImmediate(r));
      await sleep(POST_FENCE_MS);
    },
    async close() {
      clearTimeout(sweepTimer);
      sweepTimer = undefined;
      sweep();
      const sub = ready ? await ready : null;
      ready = null;
      for (const done of waiters.values()) done();
      waiters.clear();
      try {
        await sub?.unsubscribe();
      } catch {
        /* the dir may be gone */
      }
      if (ownsDir && fenceDir) rmSync(fenceDir, { recursive: true, force: true });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
