/**
 * Read answers are remembered until the next write: a repeated question is answered from memory, and any
 * write through the Store drops every memo, so an answer never outlives the data it was computed from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { QueryMemo } from '../../packages/store/memo.js';
import { harness, type Harness } from './context.js';
import { copyFixture, textOf } from './fixture.js';
import { seedGraph } from './seed.js';

describe('QueryMemo', () => {
  test('remembers, evicts the least recently used, honours keep', () => {
    const m = new QueryMemo(2);
    let computed = 0;
    const get = (k: string) => m.get(k, () => `${k}${++computed}`);
    expect(get('a')).toBe('a1');
    expect(get('a')).toBe('a1');
    expect(get('b')).toBe('b2');
    get('a'); // a is now the most recently used
    expect(get('c')).toBe('c3'); // evicts b
    expect(get('a')).toBe('a1');
    expect(get('b')).toBe('b4');
    expect(m.get('x', () => 1, () => false)).toBe(1);
    expect(m.get('x', () => 2)).toBe(2);
    expect(m.stats()).toMatchObject({ entries: 2 });
  });

  test('invalidate drops everything; a compute that invalidates is not stored', () => {
    const m = new QueryMemo();
    expect(m.get('k', () => 1)).toBe(1);
    m.invalidate();
    expect(m.get('k', () => 2)).toBe(2);
    expect(m.get('w', () => (m.invalidate(), 3))).toBe(3);
    expect(m.get('w', () => 4)).toBe(4);
  });
});

describe('memoised tool answers over a real store', () => {
  let h: Harness;
  let root: string;
  const t = async (name: 'search_graph' | 'trace_path' | 'get_graph_schema' | 'get_architecture', args: Record<string, unknown>) =>
    textOf(await h.call(name, args as never), root);

  beforeAll(() => {
    root = copyFixture('basic');
    h = harness({ cwd: join(root, 'src') });
    seedGraph(h.store, root);
  });
  afterAll(() => h.close());

  test('a repeated search is a hit with the same answer; a write makes the next one see the new graph', async () => {
    const first = await t('search_graph', { query: 'number' });
    const before = h.store.memo.stats();
    expect(await t('search_graph', { query: 'number' })).toBe(first);
    // Nothing was computed again (the project lookup and the search page were both remembered).
    expect(h.store.memo.stats().misses).toBe(before.misses);
    expect(h.store.memo.stats().hits).toBeGreaterThan(before.hits);

    h.store.write(() =>
      h.store.db.prepare(`UPDATE nodes SET name = 'parseDigits', words = 'parse digits', qname = replace(qname, 'parseNumber', 'parseDigits'), doc = NULL WHERE name = 'parseNumber'`).run(),
    );
    const after = await t('search_graph', { query: 'number' });
    expect(after).not.toBe(first);
    expect(after).not.toContain('parseNumber');
    expect(await t('search_graph', { query: 'digits' })).toContain('parseDigits');
  });

  test('get_architecture remembers its graph reads per path, still reads package.json live, and a write drops them', async () => {
    const whole = await t('get_architecture', {});
    expect(whole).toContain('most-called symbols:');
    const misses = h.store.memo.stats().misses;
    expect(await t('get_architecture', {})).toBe(whole);
    expect(h.store.memo.stats().misses).toBe(misses);
    // Another folder is another question.
    expect(await t('get_architecture', { path: 'src' })).not.toBe(whole);
    expect(h.store.memo.stats().misses).toBeGreaterThan(misses);

    // Entry points come from package.json on disk, which no write to the store announces.
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'basic-fixture', main: 'src/server.ts' }));
    const edited = await t('get_architecture', {});
    expect(edited).toContain('package.json main: src/server.ts');
    expect(edited).not.toContain('bin/fx.js');

    const unimported = (text: string) => Number(/files nothing imports \((\d+)/.exec(text)?.[1]);
    h.store.write(() => h.store.db.prepare(`DELETE FROM edges WHERE type = 'IMPORTS'`).run());
    expect(unimported(await t('get_architecture', {}))).toBeGreaterThan(unimported(edited));
  });

  test('trace_path and get_graph_schema are remembered per argument set and dropped by a write', async () => {
    const schema = await t('get_graph_schema', {});
    const callers = await t('trace_path', { symbol: 'formatNumber', direction: 'callers' });
    const callees = await t('trace_path', { symbol: 'formatNumber', direction: 'callees' });
    expect(callees).not.toBe(callers);
    const misses = h.store.memo.stats().misses;
    expect(await t('trace_path', { symbol: 'formatNumber', direction: 'callers' })).toBe(callers);
    expect(await t('get_graph_schema', {})).toBe(schema);
    expect(h.store.memo.stats().misses).toBe(misses);

    h.store.write(() => h.store.db.prepare(`DELETE FROM edges WHERE type = 'CALLS'`).run());
    expect(await t('get_graph_schema', {})).not.toBe(schema);
    expect(await t('trace_path', { symbol: 'formatNumber', direction: 'callers' })).not.toBe(callers);
  });
});
