/**
 * Incremental equals from scratch, on a real corpus (zod's v3 sources from node_modules): after a scripted
 * series of edits, renames and deletes, the incrementally updated graph must equal a fresh full index of
 * the same tree, row for row (ids aside).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Indexer } from '../../packages/indexer/api.js';
import { createIndexer } from '../../packages/indexer/index.js';
import { readLiveIndex, type LiveIndexBuild } from '../../packages/indexer/write.js';
import { dump, edges, openEnv, settings, silentLog, type Env, copyZodCorpus } from './helpers.js';

let env: Env;
let root: string;
beforeAll(() => {
  env = openEnv();
  root = copyZodCorpus(env.dir);
});
afterAll(async () => {
  await env.close();
});

/**
 * Re-indexes incrementally (with the watcher's hint of changed paths when given: only those are re-statted
 * against what the indexer remembers), then checks the result against a from-scratch index in a second store.
 */
async function expectIncrementalEqualsScratch(changedPaths?: string[], indexer: Indexer = env.indexer): Promise<void> {
  const report = await indexer.index(root, { mode: 'incremental', ...(changedPaths ? { changedPaths } : {}) });
  expect(report.mode).toBe('incremental');
  const fresh = openEnv();
  try {
    await fresh.indexer.index(root, { mode: 'full' });
    const a = dump(env.store, root);
    const b = dump(fresh.store, root);
    expect(a.files).toEqual(b.files);
    expect(a.nodes).toEqual(b.nodes);
    expect(a.edges).toEqual(b.edges);
    expect(a.unresolved).toEqual(b.unresolved);
  } finally {
    await fresh.close();
  }
}

function edit(rel: string, fn: (src: string) => string): void {
  const p = join(root, rel);
  writeFileSync(p, fn(readFileSync(p, 'utf8')));
}

describe('incremental == from scratch (zod v3)', () => {
  it('indexes the corpus', async () => {
    const report = await env.indexer.index(root, { mode: 'full' });
    expect(report.files.total).toBeGreaterThan(10);
    expect(report.calls.resolved).toBeGreaterThan(100);
    // Nothing changed: an incremental run parses nothing.
    const again = await env.indexer.index(root, { mode: 'incremental' });
    expect(again.files.parsed).toBe(0);
    expect(await env.indexer.changedSince(report.projectId)).toEqual([]);
  });

  it('remembers the live index of the snapshot it wrote: equal to the one read back from the database', async () => {
    // Built after the job, from the rows written and the ids they got (write.ts LiveIndexBuild).
    type Internals = { cache: Map<number, { snapshot: number; graph?: LiveIndexBuild }> };
    await env.indexer.index(root, { mode: 'full' });
    const [entry] = [...(env.indexer as unknown as Internals).cache.values()];
    const built = await entry!.graph!.complete();
    expect(built.nodes.size).toBeGreaterThan(100);
    expect(built.edges.size).toBeGreaterThan(100);
    expect(built.unresolved.size).toBeGreaterThan(10);
    expect(built).toEqual(await readLiveIndex(env.store, entry!.snapshot));
  });

  it('after editing a body, renaming a called function, and adding a caller', async () => {
    // Rename a helper used across files: callers in unchanged files must lose their edges.
    edit('helpers/util.ts', (s) => s.replace(/\bassertNever\b/g, 'assertNeverRenamed'));
    edit('ZodError.ts', (s) => s.replace('export class ZodError', '/** Edited. */\nexport class ZodError'));
    writeFileSync(join(root, 'added.ts'), "import { ZodError } from './ZodError.js';\nexport function make(): ZodError {\n  return new ZodError([]);\n}\n");
    const project = (env.store.db.prepare(`SELECT id FROM projects WHERE root = ?`).get(root) as { id: number }).id;
    expect(await env.indexer.changedSince(project)).toEqual(['ZodError.ts', 'added.ts', 'helpers/util.ts']);
    await expectIncrementalEqualsScratch(['helpers/util.ts', 'ZodError.ts', 'added.ts']);
    expect(edges(env.store, root, 'CALLS')).toContain('added.ts#make:3 -> ZodError.ts#ZodError (import)');
  });

  it('after deleting a file and renaming (moving) another', async () => {
    rmSync(join(root, 'added.ts'));
    renameSync(join(root, 'errors.ts'), join(root, 'errors-moved.ts'));
    await expectIncrementalEqualsScratch(['added.ts', 'errors.ts', 'errors-moved.ts']);
    expect(edges(env.store, root, 'CALLS').some((e) => e.includes('added.ts'))).toBe(false);
  });

  it('after restoring the moved file and the old name', async () => {
    renameSync(join(root, 'errors-moved.ts'), join(root, 'errors.ts'));
    edit('helpers/util.ts', (s) => s.replace(/\bassertNeverRenamed\b/g, 'assertNever'));
    await expectIncrementalEqualsScratch();
  });

  it('with hints naming a new directory, an ignored file, a non-source file and a vanished path', async () => {
    mkdirSync(join(root, 'newdir'));
    writeFileSync(join(root, 'newdir/extra.ts'), "import { ZodError } from '../ZodError.js';\nexport const boom = () => new ZodError([]);\n");
    mkdirSync(join(root, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(root, 'node_modules/dep/index.ts'), 'export function hidden() {}\n');
    writeFileSync(join(root, 'notes.md'), '# not source\n');
    edit('types.ts', (s) => s + '\nexport function appendedHelper(): void {}\n');
    await expectIncrementalEqualsScratch(['newdir/extra.ts', 'node_modules/dep/index.ts', 'notes.md', 'gone.ts', 'types.ts']);
    expect(edges(env.store, root, 'CALLS')).toContain('newdir/extra.ts#boom:2 -> ZodError.ts#ZodError (import)');
    // Once the new directory is known, a hint inside it is enough.
    edit('newdir/extra.ts', (s) => s.replace('boom', 'bang'));
    await expectIncrementalEqualsScratch(['newdir/extra.ts']);
    rmSync(join(root, 'newdir'), { recursive: true });
    await expectIncrementalEqualsScratch(['newdir']);
  });

  it('after the resolve worker was retired (it forgot the facts and the graph: every file is sent again)', async () => {
    const resolver = (env.indexer as unknown as { resolver: { retireIdle(): Promise<void> } }).resolver;
    await resolver.retireIdle();
    edit('types.ts', (s) => s + '\nexport function afterRetire(): void { appendedHelper(); }\n');
    await expectIncrementalEqualsScratch(['types.ts']);
    // …and the next run builds on what that one sent (only the changed file, answered with a delta).
    edit('types.ts', (s) => s.replace('export function afterRetire(): void { appendedHelper(); }', ''));
    await expectIncrementalEqualsScratch(['types.ts']);
  });

  it('when the live index and the resolve worker disagree (never expected): the whole graph is diffed instead', async () => {
    edit('types.ts', (s) => s.replace('export function appendedHelper(): void {}', 'export function appendedHelper(): void {}\nexport function mismatch(): void { appendedHelper(); }'));
    await expectIncrementalEqualsScratch(['types.ts']);
    type Internals = { cache: Map<number, { graph?: LiveIndexBuild }>; log: { warn: (msg: string) => void } };
    const internals = env.indexer as unknown as Internals;
    const [entry] = [...internals.cache.values()];
    // Forget in memory the edges the next delta removes: it cannot be applied as it is.
    const live = await entry!.graph!.complete();
    const forgotten = [...live.edges.keys()].filter((k) => k.includes('types.ts#mismatch'));
    expect(forgotten.length).toBeGreaterThan(0);
    for (const k of forgotten) live.edges.delete(k);
    const warnings: string[] = [];
    const warn = internals.log.warn;
    internals.log.warn = (msg: string) => void warnings.push(msg);
    try {
      edit('types.ts', (s) => s.replace('\nexport function mismatch(): void { appendedHelper(); }', ''));
      await expectIncrementalEqualsScratch(['types.ts']);
    } finally {
      internals.log.warn = warn;
    }
    expect(warnings).toEqual(['resolve delta does not match the live graph; diffing the whole graph']);
  });

  it('a row lost behind its back is noticed by the next in-place write (row counts) and restored from the database', async () => {
    const snapshot = (env.store.db.prepare(`SELECT snapshot FROM projects WHERE root = ?`).get(root) as { snapshot: number }).snapshot;
    // An edge of a file the next change does not touch: no delta will name it, so only a check finds it gone.
    const lost = env.store.db
      .prepare(`SELECT e.id FROM edges e JOIN nodes s ON s.id = e.src WHERE e.snapshot = ? AND e.type = 'CALLS' AND s.file <> 'types.ts' LIMIT 1`)
      .get(snapshot) as { id: number };
    env.store.db.prepare(`DELETE FROM edges WHERE id = ?`).run(lost.id);
    type Internals = { log: { error: (msg: string) => void } };
    const internals = env.indexer as unknown as Internals;
    const errors: string[] = [];
    const error = internals.log.error;
    internals.log.error = (msg: string) => void errors.push(msg);
    try {
      edit('types.ts', (s) => s + '\nexport function noticed(): void {}\n');
      await expectIncrementalEqualsScratch(['types.ts']);
    } finally {
      internals.log.error = error;
    }
    expect(errors).toEqual(['an in-place write left the graph unlike its resolution']);
    edit('types.ts', (s) => s.replace('\nexport function noticed(): void {}\n', ''));
    await expectIncrementalEqualsScratch(['types.ts']);
  });

  it('after a restart (nothing in memory: the live graph is read back from the database)', async () => {
    const restarted = createIndexer(env.store, settings(), silentLog);
    try {
      edit('types.ts', (s) => s.replace('export function appendedHelper(): void {}', 'export function appendedHelper2(): void {}'));
      await expectIncrementalEqualsScratch(['types.ts'], restarted);
      edit('types.ts', (s) => s.replace('export function appendedHelper2(): void {}', ''));
      await expectIncrementalEqualsScratch(['types.ts'], restarted);
    } finally {
      await restarted.close();
    }
  });

  it('a change too large for one transaction (four copies of the corpus come and go) is written as a new snapshot', async () => {
    const snapshot = () => (env.store.db.prepare(`SELECT snapshot FROM projects WHERE root = ?`).get(root) as { snapshot: number }).snapshot;
    const copies = ['copy1', 'copy2', 'copy3', 'copy4'];
    const source = copyZodCorpus(join(env.dir, 'source'));
    for (const c of copies) cpSync(source, join(root, c), { recursive: true });
    const added = copies.flatMap((c) => (readdirSync(join(root, c), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => `${c}/${f}`));
    // ~9k new rows: the resolve worker answers with the whole graph instead of a delta.
    let before = snapshot();
    const factsOf = (snap: number) =>
      new Map((env.store.db.prepare(`SELECT path, facts FROM files WHERE snapshot = ?`).all(snap) as Array<{ path: string; facts: Buffer }>).map((r) => [r.path, r.facts]));
    const unchanged = factsOf(before);
    await expectIncrementalEqualsScratch(added);
    expect(snapshot()).not.toBe(before);
    // The unchanged files' facts, which the main thread no longer holds, were copied from the old snapshot.
    const copied = factsOf(snapshot());
    expect(unchanged.size).toBeGreaterThan(10);
    for (const [path, facts] of unchanged) expect(copied.get(path)?.equals(facts), path).toBe(true);
    // Without a delta (after a restart) the whole-graph diff is planned, found too large and not applied.
    const restarted = createIndexer(env.store, settings(), silentLog);
    try {
      before = snapshot();
      for (const c of copies) rmSync(join(root, c), { recursive: true });
      await expectIncrementalEqualsScratch(added, restarted);
      expect(snapshot()).not.toBe(before);
      // A small change still goes into the live snapshot.
      before = snapshot();
      edit('types.ts', (s) => s + '\nexport function smallChange(): void {}\n');
      await expectIncrementalEqualsScratch(['types.ts'], restarted);
      expect(snapshot()).toBe(before);
    } finally {
      await restarted.close();
    }
  });
});
