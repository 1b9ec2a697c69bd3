/**
 * The stall watch (daemon/stall-watch.ts) logs a blocked event loop with the work in flight, once per second
 * at most. The stalls here are real: the test blocks its own loop.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createLogger } from '../../packages/log/index.js';
import { STALL_LOG_MS, StallWatch } from '../../daemon/stall-watch.js';
import { GcWatch } from '../../daemon/gc-watch.js';

const dir = mkdtempSync(join(tmpdir(), 'codehive-stall-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* holding the loop */
  }
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a stall is logged with the tools and jobs in flight; stalls within a second share one line', async () => {
  const file = join(dir, 'daemon.log');
  const log = createLogger(file, { tag: 'test' });
  const gc = new GcWatch();
  const watch = new StallWatch(log, { tools: () => ({ search_code: 2 }), jobs: () => ['full:write'] }, gc);
  gc.start();
  watch.start();
  await pause(50);
  block(STALL_LOG_MS + 150);
  await pause(50);
  block(STALL_LOG_MS + 150);
  await pause(50);
  watch.stop();
  gc.stop();
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('event loop stalled'));
  expect(watch.stalls).toBe(2);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/WARN/);
  expect(lines[0]).toMatch(/search_code/);
  expect(lines[0]).toMatch(/full:write/);
  const ms = Number(/ms=(\d+)/.exec(lines[0]!)?.[1]);
  expect(ms).toBeGreaterThanOrEqual(STALL_LOG_MS + 100);
});
