/**
 * The Linux backend (packages/watcher/dir-watch.ts) on real directories: what it reports for files and
 * directories created, moved and deleted, what it never watches, and the ordering a fence relies on.
 */
import { mkdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dirWatchSubscribe } from '../../packages/watcher/dir-watch.js';
import type { Subscription, WatchEvent } from '../../packages/watcher/types.js';
import { cleanup, inotifyWatches, tempProject, waitFor, write } from './helpers.js';

const subs: Subscription[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(subs.splice(0).map((s) => s.unsubscribe()));
  cleanup(...dirs.splice(0));
});

async function watched(files: Record<string, string>, ignore: string[] = []) {
  const root = tempProject(files);
  dirs.push(root);
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  subs.push(await dirWatchSubscribe(root, (err, evs) => (err ? errors.push(err) : events.push(...evs)), { ignore }));
  const seen = (rel: string, type: WatchEvent['type']) => events.some((e) => e.path === join(root, rel) && e.type === type);
  return { root, events, errors, seen };
}

describe.runIf(process.platform === 'linux')('dir-watch: one fs.watch per directory', () => {
  it('reports files created, changed and deleted anywhere in the tree, with absolute paths', async () => {
    const w = await watched({ 'src/deep/a.ts': 'a' });
    write(w.root, 'src/deep/b.ts', 'b');
    write(w.root, 'src/deep/a.ts', 'a2');
    unlinkSync(join(w.root, 'src/deep/a.ts'));
    await waitFor(() => w.seen('src/deep/b.ts', 'create') && w.seen('src/deep/a.ts', 'update') && w.seen('src/deep/a.ts', 'delete'), 'the three events');
    expect(w.errors).toEqual([]);
  });

  it('a directory moved into the tree is one event, and what is written in it later is seen', async () => {
    const w = await watched({ 'src/a.ts': 'a' });
    const outside = tempProject({ 'pkg/inner/x.ts': 'x' });
    dirs.push(outside);
    renameSync(join(outside, 'pkg'), join(w.root, 'src/pkg'));
    await waitFor(() => w.seen('src/pkg', 'create'), 'the moved-in directory');
    expect(w.events.some((e) => e.path.startsWith(join(w.root, 'src/pkg') + '/'))).toBe(false);
    write(w.root, 'src/pkg/inner/y.ts', 'y');
    await waitFor(() => w.seen('src/pkg/inner/y.ts', 'create'), 'a file in the moved-in tree');
  });

  it('a directory renamed within the tree reports the new path afterwards, never the old one', async () => {
    const w = await watched({ 'src/old/sub/a.ts': 'a' });
    renameSync(join(w.root, 'src/old'), join(w.root, 'src/new'));
    await waitFor(() => w.seen('src/old', 'delete') && w.seen('src/new', 'create'), 'the rename');
    const before = w.events.length;
    write(w.root, 'src/new/sub/a.ts', 'a2');
    await waitFor(() => w.seen('src/new/sub/a.ts', 'update'), 'an edit under the new path');
    expect(w.events.slice(before).filter((e) => e.path.includes('/src/old'))).toEqual([]);
  });

  it('a directory deleted and made again is watched again', async () => {
    const w = await watched({ 'src/lib/a.ts': 'a' });
    rmSync(join(w.root, 'src/lib'), { recursive: true });
    await waitFor(() => w.seen('src/lib', 'delete'), 'the deleted directory');
    mkdirSync(join(w.root, 'src/lib'));
    await waitFor(() => w.seen('src/lib', 'create'), 'the new directory');
    write(w.root, 'src/lib/b.ts', 'b');
    await waitFor(() => w.seen('src/lib/b.ts', 'create'), 'a file in it');
  });

  it('ignored directories cost no watch and report nothing, even when created later', async () => {
    const before = inotifyWatches();
    const w = await watched({ 'src/a.ts': 'a', 'node_modules/p/i.js': 'i', 'src/node_modules/q/i.js': 'i' }, ['**/node_modules', '**/node_modules/**']);
    expect(inotifyWatches() - before).toBe(2); // the root and src
    write(w.root, 'node_modules/p/j.js', 'j');
    mkdirSync(join(w.root, 'src/generated/node_modules/r'), { recursive: true });
    await waitFor(() => w.seen('src/generated', 'create'), 'the new, watched directory');
    write(w.root, 'src/generated/node_modules/r/k.js', 'k');
    write(w.root, 'src/b.ts', 'b');
    await waitFor(() => w.seen('src/b.ts', 'create'), 'a later event');
    expect(w.events.filter((e) => e.path.includes('node_modules/'))).toEqual([]);
    expect(inotifyWatches() - before).toBe(3); // + src/generated
  });

  it('the root deleted is a delete event for the root', async () => {
    const w = await watched({ 'src/a.ts': 'a' });
    rmSync(w.root, { recursive: true });
    await waitFor(() => w.events.some((e) => e.path === w.root && e.type === 'delete'), 'the root delete');
  });

  it('a big tree is watched whole, without holding the event loop for the whole walk', async () => {
    const root = tempProject();
    dirs.push(root);
    for (let i = 0; i < 60; i++) for (let j = 0; j < 50; j++) mkdirSync(join(root, `d${i}`, `e${j}`), { recursive: true });
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const before = inotifyWatches();
    subs.push(await dirWatchSubscribe(root, () => undefined, {}));
    clearInterval(ticker);
    expect(inotifyWatches() - before).toBe(1 + 60 + 60 * 50);
    // 3,061 watches take tens of milliseconds; timers ran in between the walk's slices.
    expect(turns).toBeGreaterThan(0);
  });

  it('a missing root rejects the subscribe', async () => {
    const root = tempProject();
    dirs.push(root);
    await expect(dirWatchSubscribe(join(root, 'nope'), () => undefined, {})).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('events of two subscriptions arrive in the order they happened: a fence seen means every earlier edit was seen', async () => {
    const project = await watched({ 'src/a.ts': 'a' });
    const fenceDir = tempProject();
    dirs.push(fenceDir);
    const late: number[] = [];
    let fencesSeen = 0;
    subs.push(
      await dirWatchSubscribe(
        fenceDir,
        (_err, evs) => {
          for (const e of evs) {
            const i = Number(/f(\d+)$/.exec(e.path)?.[1]);
            if (e.type !== 'create' || Number.isNaN(i)) continue;
            fencesSeen++;
            if (!project.seen(`src/e${i}.ts`, 'create')) late.push(i);
          }
        },
        {},
      ),
    );
    for (let i = 0; i < 50; i++) {
      write(project.root, `src/e${i}.ts`, String(i));
      write(fenceDir, `f${i}`, '');
    }
    await waitFor(() => fencesSeen === 50, 'every fence');
    expect(late).toEqual([]);
  });
});
