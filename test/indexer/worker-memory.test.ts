/**
 * A parse worker's memory after heavy work (its heap, and tree-sitter trees whose native memory waits on
 * V8's collection schedule) is returned by replacing the worker with a fresh one once the pool is quiet (the
 * soak saw the daemon's RSS climb 54-61 MB/min through re-indexes), as soon as an index job's parsing is over
 * or, for other work, once the pool is quiet. A worker that parsed a few files is kept warm for the next edit.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnv, type Env } from './helpers.js';

let env: Env;
beforeAll(() => {
  env = openEnv({ workers: 1 });
});
afterAll(async () => {
  await env.close();
});

function project(name: string, files: number, into = env): string {
  const root = join(into.dir, name);
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < files; i++) {
    writeFileSync(join(root, `m${i}.ts`), `export class C${i} {\n  run(): number {\n    return helper${i}();\n  }\n}\nfunction helper${i}(): number {\n  return ${i};\n}\n`);
  }
  return root;
}

const quiet = () => new Promise((r) => setTimeout(r, 1_200));

describe('parse worker memory', () => {
  it('a few files parsed: the worker stays', async () => {
    await env.indexer.index(project('small', 5), { mode: 'full' });
    await quiet();
    const threads = env.indexer.threads();
    expect(threads).toMatchObject({ parseWorkers: 1, parsing: 0, parseWorkersRecycled: 0 });
    // Each worker's reply carries its heap, for status: both threads answered, so both heaps are known.
    for (const h of [threads.parseHeap, threads.resolveHeap]) {
      expect(h.usedBytes).toBeGreaterThan(0);
      expect(h.totalBytes).toBeGreaterThanOrEqual(h.usedBytes);
    }
  });

  it('a full index of more files: the worker is replaced by a fresh one once the files are parsed', async () => {
    await env.indexer.index(project('big', 80), { mode: 'full' });
    // Ended as soon as the job's parsing was over, not only after the pool's quiet time; its standby was
    // started by the job once resolution was over (it warms up while the job writes).
    expect(env.indexer.threads()).toMatchObject({ parseWorkersRecycled: 1, parseWorkers: 1 });
    // The standby starts once the recycled worker has ended, and reports its heap once warmed up (the
    // recycled worker's heap no longer counts).
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && env.indexer.threads().parseHeap.totalBytes === 0) await new Promise((r) => setTimeout(r, 50));
    expect(env.indexer.threads().parseWorkers).toBe(1); // the fresh standby
    expect(env.indexer.threads().parseHeap.totalBytes).toBeGreaterThan(0);
    // Quiet again with nothing parsed since: the standby is kept (until the 30 s idle retirement).
    await quiet();
    expect(env.indexer.threads()).toMatchObject({ parseWorkers: 1, parseWorkersRecycled: 1 });
  });

  it('the standby parses the next edit', async () => {
    const root = join(env.dir, 'big');
    writeFileSync(join(root, 'm0.ts'), 'export function edited(): number {\n  return 0;\n}\n');
    const report = await env.indexer.index(root, { mode: 'incremental' });
    expect(report.files.changed).toBe(1);
    expect(env.indexer.threads()).toMatchObject({ parseWorkers: 1, parseWorkersRecycled: 1 });
  });
});

describe('parse workers at rest', () => {
  let two: Env;
  beforeAll(() => {
    two = openEnv({ workers: 2 });
  });
  afterAll(async () => {
    await two.close();
  });

  it('a job spread over both workers leaves one warm worker once the pool is quiet', async () => {
    // 40 files: two batches (24 + 16), each under the heavy-work limit, so neither worker is recycled.
    const root = project('spread', 40, two);
    let most = 0;
    const poll = setInterval(() => (most = Math.max(most, two.indexer.threads().parseWorkers)), 2);
    await two.indexer.index(root, { mode: 'full' }).finally(() => clearInterval(poll));
    expect(most).toBe(2);
    await quiet();
    expect(two.indexer.threads()).toMatchObject({ parseWorkers: 1, parseWorkersRecycled: 0 });
    // The one left parses the next edit; no new worker is started for it.
    writeFileSync(join(root, 'm1.ts'), 'export function edited(): number {\n  return 1;\n}\n');
    const report = await two.indexer.index(root, { mode: 'incremental' });
    expect(report.files.changed).toBe(1);
    expect(two.indexer.threads()).toMatchObject({ parseWorkers: 1, parseWorkersRecycled: 0 });
  });
});
