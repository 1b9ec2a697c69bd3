/**
 * A census of codehive daemon processes, read from /proc: shared by the soak test and the test suite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { pidAlive } from '../../packages/config/registration.js';

/** Pids of live codehive daemons whose environment names this cache dir. */
export function daemonPids(cacheDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('daemon/run.js')) continue;
      if (!pidAlive(Number(name))) continue; // a zombie whose threads have all exited
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (environ.includes(`CODEHIVE_CACHE_DIR=${cacheDir}`)) pids.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}
