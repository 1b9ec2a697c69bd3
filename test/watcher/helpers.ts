/** Shared helpers for the watcher tests: temp projects, a batch recorder, and condition polling (no timing asserts). */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLogger, type Logger } from '../../packages/log/index.js';
import type { ChangeBatch } from '../../packages/watcher/index.js';

export function tempProject(files: Record<string, string> = {}): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-watch-')));
  for (const [rel, text] of Object.entries(files)) write(root, rel, text);
  return root;
}

export function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

export function testLogger(dir: string): Logger {
  return createLogger(join(dir, 'watch.log'), { tag: 'test', level: 'debug' });
}

export function logLines(log: Logger, match: string): string[] {
  try {
    return readFileSync(log.file, 'utf8').split('\n').filter((l) => l.includes(match));
  } catch {
    return [];
  }
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Records batches; `slowMs` makes each batch take a while, like a real index job. */
export function recorder(slowMs = 0) {
  const batches: ChangeBatch[] = [];
  let running = 0;
  let maxConcurrent = 0;
  return {
    batches,
    get maxConcurrent() {
      return maxConcurrent;
    },
    paths(): Set<string> {
      return new Set(batches.flatMap((b) => b.paths ?? []));
    },
    onBatch: async (b: ChangeBatch) => {
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      batches.push(b);
      if (slowMs) await sleep(slowMs);
      running--;
    },
  };
}

/** Number of inotify watches this process holds (Linux), read from /proc/self/fdinfo. */
export function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += (readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {
      /* fd closed meanwhile */
    }
  }
  return n;
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
