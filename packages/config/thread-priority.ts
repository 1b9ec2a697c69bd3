/**
 * Background threads (parsing, resolving, checkpoints) run at a lower CPU priority than the daemon's main
 * thread. On a 2-core machine shared with agents, editors and builds, an index job's workers otherwise
 * compete with the thread that answers queries, and the event loop's delay grows with the machine's load.
 *
 * On Linux the nice value is per thread and setpriority(PRIO_PROCESS, 0) applies to the calling thread, so a
 * worker calling this lowers only itself. Raising one's own nice value needs no privilege.
 */
import { setPriority } from 'node:os';

/** 10 of 19: still scheduled promptly on an idle machine, but yields to normal-priority threads. */
export const BACKGROUND_NICE = 10;

export function lowerThisThreadPriority(): void {
  if (process.platform !== 'linux') return; // elsewhere it would lower the whole process
  try {
    setPriority(BACKGROUND_NICE);
  } catch {
    /* a sandbox may forbid it: run at normal priority */
  }
}
