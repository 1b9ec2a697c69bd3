/**
 * The tools over the real indexer's graph (packages/indexer), on the same fixture the exact tests use: the
 * contract between the two (qualified names, line ranges, CALLS with strategy/confidence, unresolved call
 * sites) holds end to end.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { daemonSettings } from '../../packages/config/index.js';
import type { Indexer } from '../../packages/indexer/api.js';
import { namingIndexesKept } from '../../packages/tools/lib/calls.js';
import { harness, silentLog, type Harness } from './context.js';
import { copyFixture, textOf } from './fixture.js';

let h: Harness;
let root: string;
let indexer: Indexer;

beforeAll(async () => {
  root = copyFixture('basic');
  const { createIndexer } = await import('../../packages/indexer/index.js');
  h = harness({
    cwd: root,
    index: (r, mode, onProgress) => indexer.index(r, { mode, onProgress }),
  });
  indexer = createIndexer(h.store, { ...daemonSettings({}), workers: 1 }, silentLog);
  await h.call('index_repository', { path: root, mode: 'full' });
});
afterAll(async () => {
  await indexer?.close();
  h?.close();
});

test('symbols, snippet and code search from the real graph', async () => {
  const s = await h.call('search_graph', { query: 'parse number' });
  expect((s.data as { results: Array<{ qname: string }> }).results[0]?.qname).toBe('src/util.ts#parseNumber');
  const snip = textOf(await h.call('get_code_snippet', { symbol: 'src/util.ts#parseNumber' }), root);
  expect(snip).toContain('2  export function parseNumber(text: string): number {');
  const code = await h.call('search_code', { pattern: 'this.start', context_lines: 0 });
  expect((code.data as { hits: Array<{ symbol: string }> }).hits.map((x) => x.symbol)).toEqual(['src/server.ts#Server.listen']);
});

test('call tree from the real graph', async () => {
  const callers = await h.call('trace_path', { symbol: 'src/util.ts#parseNumber' });
  const tree = (callers.data as { callers: { tree: Array<{ qname: string; call_lines: number[] }> } }).callers.tree;
  expect(tree.map((n) => [n.qname, n.call_lines])).toEqual([['src/server.ts#Server.listen', [6]]]);
});

test('full re-indexes do not pile up caches of replaced snapshots', async () => {
  // A callers trace builds a by-name index of the snapshot's unresolved calls; each full re-index makes a new
  // snapshot. The old snapshots' indexes were kept (up to 8): megabytes each on a real project, a slow climb
  // in the soak's heap.
  const snapshots = new Set<number>();
  for (let i = 0; i < 3; i++) {
    await h.call('index_repository', { path: root, mode: 'full' });
    snapshots.add((h.store.db.prepare(`SELECT snapshot FROM projects`).get() as { snapshot: number }).snapshot);
    await h.call('trace_path', { symbol: 'src/util.ts#parseNumber', direction: 'callers' });
  }
  expect(snapshots.size).toBe(3);
  expect(namingIndexesKept(h.store.db)).toBe(1);
});
