/**
 * Real watcher + real indexer on a small fixture project: an edit is queryable after flush(), a rename moves
 * the callers' CALLS edges, a deleted file's symbols are gone. Skipped until packages/indexer/index.ts exists.
 */
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonSettings, type DaemonSettings } from '../../packages/config/index.js';
import type { Indexer } from '../../packages/indexer/api.js';
import type { Logger } from '../../packages/log/index.js';
import { Store } from '../../packages/store/db.js';
import { createWatchManager, type WatchManager } from '../../packages/watcher/index.js';
import { cleanup, tempProject, testLogger, write } from './helpers.js';

const hasIndexer = existsSync(new URL('../../packages/indexer/index.ts', import.meta.url));
type CreateIndexer = (store: Store, settings: DaemonSettings, log: Logger) => Indexer;

let closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

describe.skipIf(!hasIndexer)('watcher + indexer', () => {
  it('edits, renames and deletes are visible to queries after flush()', async () => {
    const root = tempProject({
      'package.json': '{"name":"fixture","type":"module"}\n',
      'src/util.ts': 'export function helper(x: number): number {\n  return x + 1;\n}\n',
      'src/main.ts': "import { helper } from './util.js';\n\nexport function run(): number {\n  return helper(1);\n}\n",
    });
    const cache = tempProject();
    mkdirSync(join(cache, 'fence'), { recursive: true });
    closers.push(() => cleanup(root, cache));
    const log = testLogger(cache);
    const settings = { ...daemonSettings({}), workers: 1 };
    const store = Store.open(join(cache, 'graph.db'), { mmapSize: 0, journalSizeLimit: settings.journalSizeLimit });
    closers.push(() => store.close());
    const spec = '../../packages/indexer/index.js';
    const { createIndexer } = (await import(spec)) as { createIndexer: CreateIndexer };
    const indexer = createIndexer(store, settings, log);
    closers.push(() => indexer.close());

    const full = await indexer.index(root, { mode: 'full' });
    const projectId = full.projectId;
    const watchers: WatchManager = createWatchManager({
      log,
      fenceDir: join(cache, 'fence'),
      onBatch: async (b) => {
        await indexer.index(b.root, { mode: 'incremental', changedPaths: b.paths ?? undefined });
      },
    });
    closers.push(() => watchers.close());
    expect((await watchers.watch(projectId, root)).state).toBe('watching');

    const live = `SELECT snapshot FROM projects WHERE id = ${projectId}`;
    const names = (file: string) =>
      (store.db.prepare(`SELECT name FROM nodes WHERE snapshot = (${live}) AND file = ? AND kind = 'Function' ORDER BY name`).all(file) as Array<{ name: string }>).map((r) => r.name);
    const callsFrom = (caller: string) =>
      (store.db
        .prepare(
          `SELECT d.name FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst
           WHERE e.snapshot = (${live}) AND e.type = 'CALLS' AND s.name = ? ORDER BY d.name`,
        )
        .all(caller) as Array<{ name: string }>).map((r) => r.name);
    expect(names('src/util.ts')).toEqual(['helper']);
    expect(callsFrom('run')).toEqual(['helper']);

    // Add a function: no wait between the write and the flush (read-your-writes).
    write(root, 'src/util.ts', 'export function helper(x: number): number {\n  return x + 1;\n}\n\nexport function added(): string {\n  return "new";\n}\n');
    expect((await watchers.flush(projectId)).complete).toBe(true);
    expect(names('src/util.ts')).toEqual(['added', 'helper']);

    // Rename: the caller's CALLS edge follows.
    write(root, 'src/util.ts', 'export function increment(x: number): number {\n  return x + 1;\n}\n\nexport function added(): string {\n  return "new";\n}\n');
    write(root, 'src/main.ts', "import { increment } from './util.js';\n\nexport function run(): number {\n  return increment(1);\n}\n");
    expect((await watchers.flush(projectId)).complete).toBe(true);
    expect(names('src/util.ts')).toEqual(['added', 'increment']);
    expect(callsFrom('run')).toEqual(['increment']);

    // Delete a file: its symbols are gone.
    unlinkSync(join(root, 'src/util.ts'));
    expect((await watchers.flush(projectId)).complete).toBe(true);
    expect(names('src/util.ts')).toEqual([]);
    expect(existsSync(join(root, 'src/main.ts'))).toBe(true);
  });
});
