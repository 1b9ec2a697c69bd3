/**
 * The snapshot swap under load: while a full re-index builds the next snapshot (file rows during
 * resolution, then nodes/edges in short transactions, then the old snapshot's paced drop), a reader polling
 * between the writer's transactions must only ever see a complete graph — the old one until the publish,
 * the new one after — never a half-written snapshot. The same after an in-place (incremental) diff.
 */
import { appendFileSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSnapshotOf, openEnv, type Env, copyZodCorpus } from './helpers.js';

let env: Env;
let root: string;
beforeAll(() => {
  env = openEnv();
  root = copyZodCorpus(env.dir);
});
afterAll(async () => {
  await env.close();
});

interface Seen {
  snapshot: number;
  files: number;
  nodes: number;
  edges: number;
  calls: number;
}

function look(): Seen {
  const snapshot = liveSnapshotOf(env.store, root);
  const count = (sql: string) => (env.store.db.prepare(sql).get(snapshot) as { n: number }).n;
  return {
    snapshot,
    files: count(`SELECT count(*) AS n FROM files WHERE snapshot = ?`),
    nodes: count(`SELECT count(*) AS n FROM nodes WHERE snapshot = ?`),
    edges: count(`SELECT count(*) AS n FROM edges WHERE snapshot = ?`),
    calls: count(`SELECT count(*) AS n FROM edges WHERE snapshot = ? AND type = 'CALLS'`),
  };
}

/** Runs `job`, looking at the live graph between every turn of the event loop until it settles. */
async function watch(job: Promise<unknown>): Promise<Seen[]> {
  let done = false;
  void job.finally(() => (done = true)).catch(() => {});
  const seen: Seen[] = [];
  while (!done) {
    seen.push(look());
    await yieldToLoop();
  }
  await job;
  seen.push(look());
  return seen;
}

describe('snapshot swap under reads (zod v3)', () => {
  it('a full re-index shows the old graph until it publishes the whole new one', async () => {
    await env.indexer.index(root, { mode: 'full' });
    const before = look();
    appendFileSync(join(root, 'ZodError.ts'), '\nexport function addedForSwap(): ZodError { return new ZodError([]); }\n');
    const seen = await watch(env.indexer.index(root, { mode: 'full' }));
    const after = seen[seen.length - 1]!;
    expect(after.snapshot).not.toBe(before.snapshot);
    expect(after.nodes).toBe(before.nodes + 1);
    expect(seen.length).toBeGreaterThan(2); // the writer yielded: readers ran while it worked
    for (const s of seen) expect([before, after]).toContainEqual(s);
    // Once published, the live graph never goes back.
    const firstNew = seen.findIndex((s) => s.snapshot === after.snapshot);
    expect(seen.slice(firstNew).every((s) => s.snapshot === after.snapshot)).toBe(true);
  });

  it('an in-place diff is one transaction: readers see the graph before or after it', async () => {
    const before = look();
    appendFileSync(join(root, 'ZodError.ts'), '\nexport function addedInPlace(): ZodError { return addedForSwap(); }\n');
    const seen = await watch(env.indexer.index(root, { mode: 'incremental', changedPaths: ['ZodError.ts'] }));
    const after = seen[seen.length - 1]!;
    expect(after.snapshot).toBe(before.snapshot);
    expect(after.nodes).toBe(before.nodes + 1);
    expect(after.calls).toBe(before.calls + 1);
    for (const s of seen) expect([before, after]).toContainEqual(s);
  });
});
