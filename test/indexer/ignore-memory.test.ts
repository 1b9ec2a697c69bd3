/**
 * The watcher's ignore rules live as long as the project is watched and are asked about every event's path.
 * What they remember must stay bounded however many different paths come (editors' swap files, temp files,
 * renames), and forgetting must not change a verdict.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exposeGc } from '../../packages/config/heap.js';
import { MAX_PATHS_REMEMBERED, watchIgnore } from '../../packages/indexer/ignore-rules.js';

const root = mkdtempSync(join(tmpdir(), 'codehive-ignore-'));
mkdirSync(join(root, 'src/gen'), { recursive: true });
writeFileSync(join(root, '.gitignore'), '*.log\n/tmp/\n');
writeFileSync(join(root, 'src/.gitignore'), 'gen/\n*.swp\n');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the watcher ignore rules', () => {
  it('remember a bounded number of paths, and forgetting changes no verdict', () => {
    const rules = watchIgnore(root);
    const gc = exposeGc();
    let n = 0;
    let wrong = 0;
    // New names in new directories, as a busy tree makes them; every verdict is checked, not just the memory.
    const ask = (rounds: number) => {
      for (let i = 0; i < rounds; i++, n++) {
        const dir = `src/d${n % 5_000}`;
        if (rules.test(`${dir}/file-${n}.ts`)) wrong++;
        if (!rules.test(`${dir}/.file-${n}.ts.swp`)) wrong++;
        if (!rules.test(`src/gen/out-${n}.ts`)) wrong++;
        if (!rules.test(`tmp/t-${n}.ts`)) wrong++;
        if (!rules.test(`logs/run-${n}.log`)) wrong++;
      }
    };
    const heapAfter = (rounds: number) => {
      ask(rounds);
      gc();
      return process.memoryUsage().heapUsed;
    };
    // Five paths a round.
    const warm = heapAfter(2 * MAX_PATHS_REMEMBERED);
    const later = heapAfter(4 * MAX_PATHS_REMEMBERED);
    expect(wrong).toBe(0);
    // Remembering every path, these 200k more held ~22 MB here; bounded, the heap stays where it was.
    expect(later - warm).toBeLessThan(8 * 1024 * 1024);
  });
});
