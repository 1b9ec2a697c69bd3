/**
 * The watcher with real files in temp dirs and the real native backend (fs.watch per directory on Linux,
 * @parcel/watcher elsewhere). Conditions are awaited with generous timeouts; nothing asserts on speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWatchManager, nativeSubscribe, type SubscribeFn, type WatchManager, type WatchManagerOptions } from '../../packages/watcher/index.js';
import { cleanup, inotifyWatches, logLines, recorder, sleep, tempProject, testLogger, waitFor, write } from './helpers.js';

let managers: WatchManager[] = [];
let dirs: string[] = [];

function setup(files: Record<string, string> = { 'src/a.ts': 'export const a = 1;\n' }, opts: Partial<WatchManagerOptions> & { slowMs?: number } = {}) {
  const root = tempProject(files);
  const logDir = tempProject();
  dirs.push(root, logDir);
  const log = testLogger(logDir);
  const rec = recorder(opts.slowMs);
  const m = createWatchManager({ log, onBatch: rec.onBatch, debounceMs: 100, maxWaitMs: 1000, fenceDir: join(logDir, 'fence'), ...opts });
  managers.push(m);
  return { root, log, rec, m, fenceDir: join(logDir, 'fence') };
}

afterEach(async () => {
  await Promise.all(managers.map((m) => m.close()));
  managers = [];
  cleanup(...dirs);
  dirs = [];
});

describe('watcher', () => {
  it('an edit becomes one batch with that path', async () => {
    const { root, rec, m } = setup();
    expect((await m.watch(1, root)).state).toBe('watching');
    write(root, 'src/a.ts', 'export const a = 2;\n');
    await waitFor(() => rec.batches.length > 0, 'a batch');
    await sleep(400); // a second batch for the same edit would show up by now
    expect(rec.batches).toHaveLength(1);
    expect(rec.batches[0]).toMatchObject({ projectId: 1, root, paths: ['src/a.ts'], reason: 'events' });
    expect(m.pending(1)).toMatchObject({ paths: 0, rescan: false, since: null });
  });

  it('coalesces a 500-file burst into very few batches holding every path, one in flight at a time', async () => {
    const { root, rec, m } = setup({}, { slowMs: 300 });
    await m.watch(1, root);
    const expected: string[] = [];
    for (let i = 0; i < 500; i++) {
      const rel = `src/d${i % 10}/f${i}.ts`;
      expected.push(rel);
      write(root, rel, `export const v${i} = ${i};\n`);
    }
    const res = await m.flush(1, { timeoutMs: 30_000 });
    expect(res.complete).toBe(true);
    // A file inside a directory created during the burst may be reported only through the directory's own
    // event (the native watch on the new dir starts after the file was written): the dir path covers it.
    const covered = (p: string) => {
      const seen = rec.paths();
      return p.split('/').some((_, i, parts) => seen.has(parts.slice(0, i + 1).join('/')));
    };
    await waitFor(() => expected.every(covered), 'all 500 paths').catch((e) => {
      throw new Error(`${e.message}; missing ${expected.filter((p) => !covered(p)).slice(0, 5)}; batches ${JSON.stringify(rec.batches.map((b) => [b.reason, b.paths?.length, b.paths?.slice(0, 12)]))}`);
    });
    expect(rec.batches.length).toBeLessThanOrEqual(3);
    expect(rec.maxConcurrent).toBe(1);
  });

  it('ignored dirs cost no watches and produce no batch; irrelevant files produce no batch', async () => {
    const files: Record<string, string> = { 'src/a.ts': 'x', 'node_modules/p/index.js': 'x', '.git/HEAD': 'ref', 'dist/a.js': 'x', 'pkg/q/node_modules/r/i.js': 'x' };
    for (let i = 0; i < 20; i++) files[`node_modules/p${i}/lib/index.js`] = 'x';
    const { root, rec, m } = setup(files);
    const before = inotifyWatches();
    await m.watch(1, root);
    // root, src, pkg, pkg/q: everything else is under an ignored dir.
    if (process.platform === 'linux') expect(inotifyWatches() - before).toBe(4);
    write(root, 'node_modules/p/index.js', 'y');
    write(root, 'node_modules/new/index.js', 'y');
    write(root, 'pkg/q/node_modules/r/i.js', 'y');
    write(root, '.git/HEAD', 'ref2');
    write(root, 'dist/b.js', 'y');
    write(root, 'README.md', '# hi');
    write(root, 'src/data.json', '{}');
    await sleep(300);
    write(root, 'src/a.ts', 'sentinel');
    await waitFor(() => rec.paths().has('src/a.ts'), 'the sentinel edit');
    expect([...rec.paths()]).toEqual(['src/a.ts']);
  });

  it('hands over directory events: a dir moved out and one moved in', async () => {
    const { root, rec, m } = setup({ 'src/lib.v2/x.ts': 'x', 'src/keep.ts': 'k' });
    await m.watch(1, root);
    const outside = tempProject({ 'y.ts': 'y' });
    dirs.push(outside);
    renameSync(join(root, 'src/lib.v2'), join(outside, 'gone'));
    renameSync(outside, join(root, 'src/moved'));
    await m.flush(1);
    await waitFor(() => rec.paths().has('src/lib.v2') && rec.paths().has('src/moved'), 'both dir paths');
  });

  it('flush() hands over pending changes now instead of after the debounce', async () => {
    const { root, rec, m } = setup(undefined, { debounceMs: 60_000, maxWaitMs: 60_000 });
    await m.watch(1, root);
    write(root, 'src/a.ts', 'export const a = 3;\n');
    // No wait between the write and the flush: the fence must make the not-yet-delivered event count.
    const res = await m.flush(1);
    expect(res).toMatchObject({ complete: true, state: 'watching', pending: 0 });
    expect(rec.paths().has('src/a.ts')).toBe(true);
    write(root, 'src/b.ts', 'export const b = 1;\n');
    await waitFor(() => m.pending(1).paths === 1, 'one pending path');
    expect(m.pending(1).since).not.toBeNull();
    await m.flush(1);
    expect(rec.paths().has('src/b.ts')).toBe(true);
    expect(m.pending(1).paths).toBe(0);
  });

  it('fence files are kept while fences run and deleted together once they pause', async () => {
    const { root, rec, m, fenceDir } = setup(undefined, { debounceMs: 60_000, maxWaitMs: 60_000 });
    await m.watch(1, root);
    for (let i = 0; i < 5; i++) {
      write(root, `src/f${i}.ts`, `export const f${i} = ${i};\n`);
      await m.flush(1); // each flush still sees the edit made just before it
      expect(rec.paths().has(`src/f${i}.ts`)).toBe(true);
    }
    expect(readdirSync(fenceDir).length).toBeGreaterThan(0);
    await waitFor(() => readdirSync(fenceDir).length === 0, 'the fence dir swept');
  });

  it('under steady traffic fence files are still swept, not piled up until traffic stops', async () => {
    const { root, m, fenceDir } = setup(undefined, { debounceMs: 60_000, maxWaitMs: 60_000 });
    await m.watch(1, root);
    // Fences back to back for well over the sweep delay; the dir must have been emptied meanwhile.
    let fences = 0;
    let sawSwept = false;
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      await m.flush(1);
      fences++;
      if (fences > 5 && readdirSync(fenceDir).length < fences - 2) sawSwept = true;
    }
    expect(sawSwept).toBe(true);
  });

  it('a deleted project root stops its watcher cleanly', async () => {
    const { root, log, rec, m } = setup({ 'src/a.ts': 'x', 'src/deep/b.ts': 'y' }, { pollIntervalMs: 200 });
    await m.watch(1, root);
    rmSync(root, { recursive: true, force: true });
    await waitFor(() => m.state(1).state === 'stopped', 'state stopped');
    expect(m.state(1).warning).toMatch(/deleted/);
    const n = rec.batches.length;
    await sleep(700); // several poll intervals: no batches, no busy loop, no crash
    expect(rec.batches.length).toBe(n);
    expect(logLines(log, 'watch.stopped')).toHaveLength(1);
    expect(await m.flush(1)).toMatchObject({ complete: true, state: 'stopped' });
    // Re-created and watched again: a fresh watcher.
    mkdirSync(root, { recursive: true });
    expect((await m.watch(1, root)).state).toBe('watching');
  });

  it('a subscribe that fails (ENOSPC) degrades to polling with one warning', async () => {
    // Fault-injection seam: the real inotify limit is not exhausted on a shared machine.
    const failing: SubscribeFn = async () => {
      throw Object.assign(new Error("inotify_add_watch on '/x' failed: No space left on device"), { code: 'ENOSPC' });
    };
    const { root, log, rec, m } = setup(undefined, { subscribe: failing, pollIntervalMs: 150 });
    const status = await m.watch(1, root);
    expect(status.state).toBe('polling');
    expect(status.warning).toMatch(/ENOSPC/);
    expect(status.warning).toMatch(/max_user_watches/);
    await waitFor(() => rec.batches.length >= 3, 'three polling rescans');
    expect(rec.batches.every((b) => b.paths === null && b.reason === 'poll')).toBe(true);
    expect(logLines(log, 'watch.degraded')).toHaveLength(1);
    expect(rec.maxConcurrent).toBe(1);
  });

  it('a polling project resubscribes when the native watcher works again', async () => {
    let fail = true;
    const flaky: SubscribeFn = (dir, cb, o) => (fail ? Promise.reject(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' })) : nativeSubscribe(dir, cb, o));
    const { root, rec, m } = setup(undefined, { subscribe: flaky, pollIntervalMs: 100, resubscribeMs: 200 });
    expect((await m.watch(1, root)).warning).toMatch(/EMFILE/);
    fail = false;
    await waitFor(() => m.state(1).state === 'watching', 'resumed watching');
    expect(m.state(1).warning).toBeNull();
    // Let the last polling rescan finish, so the edit below is not folded into it.
    await waitFor(() => m.pending(1).inFlight === 0 && !m.pending(1).rescan, 'quiet');
    const n = rec.batches.length;
    write(root, 'src/a.ts', 'again');
    await waitFor(() => rec.paths().has('src/a.ts'), 'an event batch after resuming').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(rec.batches.slice(n))} ${JSON.stringify(m.pending(1))}`);
    });
  });

  it('a watcher error keeps the watch, rescans once now and polls', async () => {
    let report: ((err: Error | null, events: never[]) => unknown) | undefined;
    const spy: SubscribeFn = async (dir, cb, o) => {
      if (dir.includes('codehive-watch-')) report = cb as typeof report;
      return nativeSubscribe(dir, cb, o);
    };
    const { root, rec, m } = setup(undefined, { subscribe: spy, pollIntervalMs: 60_000 });
    await m.watch(1, root);
    report!(new Error('Event queue overflowed'), []);
    expect(m.state(1).state).toBe('polling');
    await waitFor(() => rec.batches.some((b) => b.paths === null && b.reason === 'watch-error'), 'a catch-up rescan');
    write(root, 'src/a.ts', 'still watched');
    await waitFor(() => rec.paths().has('src/a.ts'), 'events still delivered');
  });

  it('CODEHIVE_WATCH=0: off, watch() is a no-op', async () => {
    const { root, rec, m } = setup(undefined, { enabled: false });
    const before = inotifyWatches();
    expect((await m.watch(1, root)).state).toBe('off');
    expect(m.state(1)).toMatchObject({ state: 'off', root });
    write(root, 'src/a.ts', 'y');
    expect(await m.flush(1)).toMatchObject({ complete: true, state: 'off' });
    await sleep(300);
    expect(rec.batches).toHaveLength(0);
    if (process.platform === 'linux') expect(inotifyWatches()).toBe(before);
  });

  it('watch() is idempotent: one native subscription however many sessions ask', async () => {
    let subscribes = 0;
    const counting: SubscribeFn = (dir, cb, o) => {
      if (dir.includes('codehive-watch-')) subscribes++;
      return nativeSubscribe(dir, cb, o);
    };
    const { root, rec, m } = setup(undefined, { subscribe: counting });
    await Promise.all([m.watch(1, root), m.watch(1, root), m.watch(1, root)]);
    await m.watch(1, root);
    expect(subscribes).toBe(1);
    expect(m.list()).toHaveLength(1);
    write(root, 'src/a.ts', 'z');
    await m.flush(1);
    expect(rec.batches).toHaveLength(1);
    await m.unwatch(1);
    expect(m.state(1).state).toBe('stopped');
    write(root, 'src/a.ts', 'after unwatch');
    await sleep(300);
    expect(rec.batches).toHaveLength(1);
  });

  it('a failed batch is retried, not lost', async () => {
    const { root, m } = setup();
    const seen: Array<string[] | null> = [];
    let calls = 0;
    const m2 = createWatchManager({
      log: testLogger(root + '-log'),
      debounceMs: 50,
      onBatch: async (b) => {
        calls++;
        if (calls === 1) throw new Error('database is locked');
        seen.push(b.paths);
      },
    });
    managers.push(m2);
    dirs.push(root + '-log');
    mkdirSync(root + '-log', { recursive: true });
    await m.close();
    await m2.watch(1, root);
    write(root, 'src/a.ts', 'retry me');
    await waitFor(() => seen.length > 0, 'the retried batch');
    expect(seen[0]).toEqual(['src/a.ts']);
    expect(calls).toBe(2);
  });

  it('a root .gitignore change asks for a rescan and stops watching the newly ignored dir', async () => {
    const { root, rec, m } = setup({ 'src/a.ts': 'x', 'gen/out.ts': 'x' });
    await m.watch(1, root);
    write(root, '.gitignore', 'gen/\n');
    await m.flush(1);
    await waitFor(() => rec.batches.some((b) => b.paths === null && b.reason === 'ignore-rules'), 'a rescan batch');
    const n = rec.batches.length;
    await sleep(200);
    write(root, 'gen/out.ts', 'y');
    write(root, 'src/a.ts', 'sentinel');
    await waitFor(() => rec.paths().has('src/a.ts'), 'the sentinel');
    expect(rec.batches.slice(n).flatMap((b) => b.paths ?? [])).toEqual(['src/a.ts']);
    expect(existsSync(join(root, 'gen/out.ts'))).toBe(true);
  });

  it('a nested ignore file asks to look again under its directory', async () => {
    const { root, rec, m } = setup({ 'pkg/a/src/x.ts': 'x' });
    await m.watch(1, root);
    write(root, 'pkg/a/.gitignore', 'tmp/\n');
    await m.flush(1);
    await waitFor(() => rec.paths().has('pkg/a'), 'the dir path');
    unlinkSync(join(root, 'pkg/a/.gitignore'));
  });
  it('a git checkout of another branch is one coalesced batch with every changed path', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`src/m${i}.ts`] = `export const m${i} = ${i};\n`;
    const { root, rec, m } = setup(files, { slowMs: 200 });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: root, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'main');
    git('checkout', '-qb', 'other');
    for (let i = 0; i < 200; i++) write(root, i % 2 ? `src/m${i}.ts` : `src/n${i}.ts`, `export const changed${i} = 1;\n`);
    for (let i = 0; i < 200; i += 2) unlinkSync(join(root, `src/m${i}.ts`));
    git('add', '-A');
    git('commit', '-qm', 'other');
    git('checkout', '-q', 'main');
    await m.watch(1, root);
    git('checkout', '-q', 'other');
    await m.flush(1, { timeoutMs: 30_000 });
    const expected = Array.from({ length: 200 }, (_, i) => (i % 2 ? `src/m${i}.ts` : `src/n${i}.ts`)).concat(Array.from({ length: 100 }, (_, k) => `src/m${2 * k}.ts`));
    await waitFor(() => expected.every((p) => rec.paths().has(p)), 'every path of the checkout');
    expect(rec.batches.length).toBeLessThanOrEqual(2);
    expect([...rec.paths()].some((p) => p.startsWith('.git'))).toBe(false);
  });
});
