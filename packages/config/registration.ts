/**
 * The registration file (`daemon.json` in the cache dir): who the running daemon is and where it listens.
 * Written by the daemon only after its socket listens, atomically (temp file + rename), so a reader sees
 * either nothing or a whole record. Clients read the socket path from here rather than recomputing it,
 * because two clients may see different TMPDIRs.
 */
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { BuildInfo } from '../protocol/index.js';

export interface Registration extends BuildInfo {
  pid: number;
  socketPath: string;
  protocol: number;
  startedAt: number;
  cacheDir: string;
}

export function readRegistration(file: string): Registration | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Registration;
    return typeof parsed.pid === 'number' && typeof parsed.socketPath === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export function writeRegistration(file: string, reg: Registration): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(reg, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes the registration file only if it still names `pid` (a successor may have replaced it). */
export function removeRegistration(file: string, pid: number): void {
  const current = readRegistration(file);
  if (current && current.pid !== pid) return;
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/** Whether `pid` is a live process. A zombie (exited, not yet reaped by its new parent) counts as dead. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; the command name before it may contain spaces, so split
    // after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') return true;
    // A zombie leader may still have threads (our parser workers) finishing their exit, holding its files
    // and sockets open: only when they are gone is the process really gone.
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return true; // no /proc (macOS): kill(0) is all we have
  }
}
