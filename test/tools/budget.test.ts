/**
 * The output budget, the bounded regex engine and index_repository's report. Big answers are cut at whole
 * results with a cursor that continues exactly where the cut was; a regex that backtracks for ever is
 * stopped by its time budget and the answer says it is partial.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { IndexReport } from '../../packages/indexer/api.js';
import { bytes, clipText, TEXT_BUDGET } from '../../packages/tools/lib/budget.js';
import { locateError, nestedQuantifier } from '../../packages/tools/lib/regex.js';
import { pathFilter } from '../../packages/tools/lib/glob.js';
import { harness, type Harness } from './context.js';
import { copyFixture, textOf, emptyProject } from './fixture.js';
import { seedGraph } from './seed.js';

describe('helpers', () => {
  test('clipText cuts at a line and says how much', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(90)}`).join('\n');
    const out = clipText(text, 2000);
    expect(bytes(out)).toBeLessThanOrEqual(2000);
    expect(out.split('\n').pop()).toMatch(/^… \[output cut at the 2 KB budget: \d+ more lines not shown; narrow the request\]$/);
  });
  test('nested quantifiers are found; safe patterns pass', () => {
    expect(nestedQuantifier('(a+)+')).toBe(0);
    expect(nestedQuantifier('x(?:\\w+\\s)*y')).toBe(1);
    expect(nestedQuantifier('((ab)*c)+')).toBe(0);
    expect(nestedQuantifier('(ab)+c*')).toBeNull();
    expect(nestedQuantifier('[(a+)]+')).toBeNull();
    expect(nestedQuantifier('(a{2,5})+')).toBeNull();
    expect(nestedQuantifier('(a{2,})+')).toBe(0);
  });
  test('syntax errors are located', () => {
    expect(locateError('ab)c')).toBe(2);
    expect(locateError('a(b')).toBe(1);
    expect(locateError('a[bc')).toBe(1);
    expect(locateError('a|*')).toBe(2);
  });
  test('globs: basename patterns, folders, paths', () => {
    const f = pathFilter('*.test.ts');
    expect([f('test/a.test.ts'), f('a.test.ts'), f('src/a.ts')]).toEqual([true, true, false]);
    const d = pathFilter('src/server');
    expect([d('src/server/a.ts'), d('src/server.ts'), d('src/serverx/a.ts')]).toEqual([true, false, false]);
    const g = pathFilter('src/**/*.ts');
    expect([g('src/a.ts'), g('src/x/y/a.ts'), g('lib/a.ts')]).toEqual([true, true, false]);
  });
});

describe('big answers', () => {
  let h: Harness;
  let root: string;
  beforeAll(() => {
    // Written here (git keeps no empty fixture dir).
    root = emptyProject('big');
    mkdirSync(join(root, 'src'));
    // 40 files × 30 functions with long signatures and doc comments: 1,200 symbols.
    for (let f = 0; f < 40; f++) {
      const body = Array.from({ length: 30 }, (_, i) => {
        const params = Array.from({ length: 8 }, (_, k) => `parameterNumber${k}: Record<string, Array<number>>`).join(', ');
        return `/** Handles request variant ${f}-${i} with a long description to make the doc line big. */\nexport function handleRequest${f}x${i}(${params}): Promise<void> {\n  return handleRequest${f}x${(i + 1) % 30}();\n}\n`;
      }).join('\n');
      writeFileSync(join(root, 'src', `mod${String(f).padStart(2, '0')}.ts`), body);
    }
    h = harness({ cwd: root });
    seedGraph(h.store, root);
  });
  afterAll(() => h.close());

  test('search_graph at its hard cap is cut to the budget and pages on without a gap', async () => {
    const first = await h.call('search_graph', { query: 'handle request', limit: 200 });
    expect(bytes(first.text)).toBeLessThanOrEqual(TEXT_BUDGET);
    const d1 = first.data as { shown: number; truncated: number; next_cursor: string; results: Array<{ qname: string }> };
    expect(d1.shown).toBeLessThan(200);
    expect(d1.truncated).toBe(1200 - d1.shown);
    expect(first.text).toContain(`truncated: ${d1.truncated} more symbols (page cut to fit the output budget) · next_cursor: ${d1.next_cursor}`);
    const second = await h.call('search_graph', { query: 'handle request', limit: 200, cursor: d1.next_cursor });
    const d2 = second.data as { offset: number; results: Array<{ qname: string }> };
    expect(d2.offset).toBe(d1.shown);
    const all = await h.call('search_graph', { query: 'handle request', limit: 200 });
    void all;
    expect(new Set([...d1.results, ...d2.results].map((r) => r.qname)).size).toBe(d1.results.length + d2.results.length);
  });

  test('default answers stay far under the budget', async () => {
    const sizes: Record<string, number> = {};
    sizes.search_graph = bytes((await h.call('search_graph', { query: 'handle request' })).text);
    sizes.search_code = bytes((await h.call('search_code', { pattern: 'handleRequest' })).text);
    sizes.trace_path = bytes((await h.call('trace_path', { symbol: 'handleRequest3x4', direction: 'both' })).text);
    sizes.get_architecture = bytes((await h.call('get_architecture', {})).text);
    sizes.get_code_snippet = bytes((await h.call('get_code_snippet', { symbol: 'handleRequest3x4' })).text);
    for (const [tool, n] of Object.entries(sizes)) expect(n, tool).toBeLessThan(12_000);
    console.log('default answer bytes (big fixture):', sizes);
  });

  test('a regex that backtracks for ever is stopped by the time budget, and says so', async () => {
    writeFileSync(join(root, 'src', 'aaa.ts'), 'a'.repeat(40) + '\n');
    seedGraph(h.store, root);
    const started = performance.now();
    const r = await h.call('search_code', { pattern: '(a|a)*b', regex: true, file_pattern: 'src/aaa.ts' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(textOf(r, root)).toContain('0+ hits for regex "(a|a)*b" (case-insensitive) in 1/1 files');
    expect(textOf(r, root)).toContain('note: search stopped after 2000 ms with 0 files not searched; narrow it with file_pattern');
  });
});

describe('index_repository', () => {
  test('forwards throttled progress and caps the skipped list', async () => {
    const root = copyFixture('basic');
    let h: Harness | undefined;
    // The report shape is the indexer's contract (packages/indexer/api.ts); the graph is the seeded one.
    const index = async (r: string, mode: 'full' | 'incremental', onProgress?: (p: { phase: 'parse'; done: number; total: number }) => void): Promise<IndexReport> => {
      for (let i = 0; i <= 1000; i++) onProgress?.({ phase: 'parse', done: i, total: 1000 });
      const p = seedGraph(h!.store, r);
      return {
        projectId: p.id,
        root: r,
        mode,
        durationMs: 42,
        files: { total: 30, parsed: 5, unchanged: 0, added: 5, changed: 0, removed: 0 },
        lines: 50,
        nodes: 22,
        edges: 30,
        calls: { resolved: 10, unresolved: 6 },
        skipped: Array.from({ length: 25 }, (_, i) => ({ path: `big${i}.js`, reason: 'too large (2.0 MiB > 1 MiB)' })),
        errors: [{ path: 'src/broken.ts', message: '1 syntax error' }],
        gitHead: null,
      };
    };
    h = harness({ cwd: root, index });
    const r = await h.call('index_repository', { path: '.' });
    expect(h.progress.length).toBe(101);
    expect(h.progress[100]).toEqual({ done: 1000, total: 1000, message: 'parse 1000/1000' });
    const text = textOf(r, root);
    expect(text.split('\n').slice(0, 6)).toEqual([
      'indexed <root> (incremental) in 42 ms',
      '  files 30: 5 parsed, 0 unchanged, 5 added, 0 changed, 0 removed · 50 lines',
      '  22 nodes · 30 edges · calls 10 resolved, 6 unresolved',
      'skipped 25 files:',
      '  big0.js  too large (2.0 MiB > 1 MiB)',
      '  big1.js  too large (2.0 MiB > 1 MiB)',
    ]);
    expect(text).toContain('  … 5 more skipped files\nindexed with errors 1 files:\n  src/broken.ts  1 syntax error\nindexed 0s ago');
    expect((r.data as { skipped_total: number }).skipped_total).toBe(25);
    h.close();
  });
});
