/**
 * Parse workers free parsed trees' native memory when they go quiet: tree-sitter's trees live outside V8's
 * heap and are freed only when their wrappers are collected, which V8 alone does too seldom (the soak saw the
 * daemon's RSS climb 61 MB/min). A worker that parsed enough files runs a full GC once idle; a worker that
 * parsed a few does not (a GC per edit would be waste).
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

function project(name: string, files: number): string {
  const root = join(env.dir, name);
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < files; i++) {
    writeFileSync(join(root, `m${i}.ts`), `export class C${i} {\n  run(): number {\n    return helper${i}();\n  }\n}\nfunction helper${i}(): number {\n  return ${i};\n}\n`);
  }
  return root;
}

async function gcsAfterQuiet(): Promise<number> {
  // The worker waits 100 ms of quiet; give it ample time on a loaded machine, then read the count.
  const deadline = Date.now() + 5_000;
  const before = env.indexer.threads().parseWorkerGcs;
  while (Date.now() < deadline && env.indexer.threads().parseWorkerGcs === before) await new Promise((r) => setTimeout(r, 50));
  return env.indexer.threads().parseWorkerGcs;
}

describe('parse worker memory', () => {
  it('a few files parsed: no full GC', async () => {
    await env.indexer.index(project('small', 5), { mode: 'full' });
    await new Promise((r) => setTimeout(r, 500));
    expect(env.indexer.threads()).toMatchObject({ parseWorkers: 1, parsing: 0, parseWorkerGcs: 0 });
  });

  it('a full index of more files: the worker runs one full GC when it goes quiet', async () => {
    await env.indexer.index(project('big', 60), { mode: 'full' });
    expect(await gcsAfterQuiet()).toBe(1);
    // Quiet again with nothing parsed since: no further GC.
    await new Promise((r) => setTimeout(r, 500));
    expect(env.indexer.threads().parseWorkerGcs).toBe(1);
  });
});
