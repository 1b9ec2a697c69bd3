/**
 * Every tool on a real fixture project (real Store, real files), asserting the exact answers: results,
 * ranking, paging to the end, truncation markers, ambiguity, error messages, freshness.
 */
import { createHook } from 'node:async_hooks';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CodehiveError } from '../../packages/protocol/index.js';
import { harness, type Harness } from './context.js';
import { copyFixture, textOf } from './fixture.js';
import { seedGraph } from './seed.js';

let h: Harness;
let root: string;
const t = async (name: Parameters<Harness['call']>[0], args: Record<string, unknown>) => textOf(await h.call(name, args as never), root);
const err = async (name: Parameters<Harness['call']>[0], args: Record<string, unknown>) => {
  try {
    await h.call(name, args as never);
  } catch (e) {
    expect(e).toBeInstanceOf(CodehiveError);
    return `${(e as CodehiveError).code}: ${(e as Error).message.split(root).join('<root>')}`;
  }
  throw new Error('expected an error');
};

beforeAll(() => {
  root = copyFixture('basic');
  h = harness({ cwd: join(root, 'src') });
  seedGraph(h.store, root);
});
afterAll(() => h.close());

describe('projects', () => {
  test('list_projects', async () => {
    expect(await t('list_projects', {})).toMatchInlineSnapshot(`
      "1 project:
      basic  <root>  ready  5 files, 10 symbols  indexed 0s ago  0 changed since"
    `);
  });
  test('index_status', async () => {
    expect(await t('index_status', {})).toMatchInlineSnapshot(`
      "basic  <root>  ready
        5 files (50 lines) · 10 symbols · 30 edges · calls 10 resolved, 6 unresolved
        indexed 0s ago at git (not a git repository) · last index full 5 ms
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('unknown project lists the known ones', async () => {
    expect(await err('index_status', { project: 'nope' })).toMatchInlineSnapshot(`"UNKNOWN_PROJECT: no project named nope. Known projects: <root>"`);
  });
  test('get_graph_schema', async () => {
    expect(await t('get_graph_schema', {})).toMatchInlineSnapshot(`
      "graph schema of basic
      node kinds: Function 7, File 5, Folder 2, Method 2, Class 1
        properties: kind, name, qname (path#Outer.inner), file, start/end line and column, signature, exported, doc (first line)
      edge types: CALLS 10, DEFINES 8, CONTAINS 5, IMPORTS 5, DEFINES_METHOD 2
        CALLS: caller → callee; line of the call, strategy, confidence 0..1
        DEFINES: file → top-level symbol
        CONTAINS: folder → file or folder
        IMPORTS: file → file; data: imported names
        DEFINES_METHOD: class/interface → member
      CALLS by strategy: import 5 (conf 1), same-file 2 (conf 1), unique-name 2 (conf 0.5), this-class 1 (conf 0.95)
      unresolved call sites: not-found 4, external 2  (kept, never guessed; trace_path counts them)
      files by language: typescript 5
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
});

describe('search_graph', () => {
  test('ranked full-text, exact name first', async () => {
    expect(await t('search_graph', { query: 'parse number' })).toMatchInlineSnapshot(`
      "1 symbol for query "parse number" (showing 1-1)
      Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported  — Parses a number from text.
      indexed 0s ago · 0 files changed since · watch off"
    `);
    expect(await t('search_graph', { query: 'number' })).toMatchInlineSnapshot(`
      "3 symbols for query "number" (showing 1-3)
      Function src/util.ts#formatNumber  src/util.ts:6-8  (n: number): string  exported
      Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported  — Parses a number from text.
      Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('camelCase query is split like names; falls back to any word and says so', async () => {
    expect(await t('search_graph', { query: 'parseServer' })).toMatchInlineSnapshot(`
      "5 symbols for query "parseServer" (showing 1-5)
      note: no symbol matches every word; showing symbols that match any of: parse server
      Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported  — Parses a number from text.
      Class src/server.ts#Server  src/server.ts:4-13  exported  — A tiny server.
      Method src/server.ts#Server.listen  src/server.ts:5-8  (port: string): void
      Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      Function test/server.test.ts#testListen  test/server.test.ts:3-6  (): void  exported
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('filters: kind, exported, file glob, exact name, regex', async () => {
    expect(await t('search_graph', { kind: 'Method' })).toMatchInlineSnapshot(`
      "2 symbols for kind Method (showing 1-2)
      Method src/server.ts#Server.listen  src/server.ts:5-8  (port: string): void
      Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      indexed 0s ago · 0 files changed since · watch off"
    `);
    expect(await t('search_graph', { exported: true, file_pattern: 'src/util.ts' })).toMatchInlineSnapshot(`
      "2 symbols for file src/util.ts, exported (showing 1-2)
      Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported  — Parses a number from text.
      Function src/util.ts#formatNumber  src/util.ts:6-8  (n: number): string  exported
      indexed 0s ago · 0 files changed since · watch off"
    `);
    expect(await t('search_graph', { name_pattern: 'start' })).toMatchInlineSnapshot(`
      "2 symbols for name = start (showing 1-2)
      Function src/jobs.ts#start  src/jobs.ts:3-6  (): void  exported
      Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      indexed 0s ago · 0 files changed since · watch off"
    `);
    expect(await t('search_graph', { name_pattern: '^(parse|format)' })).toMatchInlineSnapshot(`
      "2 symbols for name ~ ^(parse|format) (showing 1-2)
      Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported  — Parses a number from text.
      Function src/util.ts#formatNumber  src/util.ts:6-8  (n: number): string  exported
      indexed 0s ago · 0 files changed since · watch off"
    `);
    expect(await t('search_graph', { file_pattern: '*.test.ts' })).toMatchInlineSnapshot(`
      "1 symbol for file *.test.ts (showing 1-1)
      Function test/server.test.ts#testListen  test/server.test.ts:3-6  (): void  exported
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('pages to the end with cursors and explicit truncation', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await h.call('search_graph', { limit: 4, ...(cursor ? { cursor } : {}) });
      const d = r.data as { results: Array<{ qname: string }>; next_cursor: string | null; truncated: number; total: number };
      seen.push(...d.results.map((x) => x.qname));
      expect(d.total).toBe(10);
      expect(d.truncated).toBe(Math.max(0, 10 - seen.length));
      if (d.next_cursor) expect(r.text).toContain(`truncated: ${d.truncated} more symbols · next_cursor: ${d.next_cursor}`);
      else expect(r.text).not.toContain('truncated');
      cursor = d.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(10);
    expect(seen).toMatchInlineSnapshot(`
      [
        "src/jobs.ts#start",
        "src/jobs.ts#run",
        "src/main.ts#main",
        "src/main.ts#helper",
        "src/server.ts#Server",
        "src/server.ts#Server.listen",
        "src/server.ts#Server.start",
        "src/util.ts#parseNumber",
        "src/util.ts#formatNumber",
        "test/server.test.ts#testListen",
      ]
    `);
  });
  test('a cursor from another query is refused', async () => {
    const r = await h.call('search_graph', { limit: 1 });
    const cursor = (r.data as { next_cursor: string }).next_cursor;
    expect(await err('search_graph', { limit: 1, kind: 'Method', cursor })).toMatchInlineSnapshot(`"BAD_REQUEST: cursor belongs to a different query (arguments changed); repeat the query without cursor"`);
    expect(await err('search_graph', { cursor: 'garbage' })).toMatchInlineSnapshot(`"BAD_REQUEST: cursor is not one this tool issued; repeat the query without cursor"`);
  });
  test('bad regex and catastrophic regex are refused with where', async () => {
    expect(await err('search_graph', { name_pattern: 'par[se' })).toMatchInlineSnapshot(`
      "BAD_REQUEST: name_pattern is not a valid regular expression: /par[se/: Unterminated character class
        par[se
           ^ here (column 4)"
    `);
    expect(await err('search_graph', { name_pattern: '(\\w+\\s?)+$' })).toMatchInlineSnapshot(`"BAD_REQUEST: name_pattern repeats a group that itself repeats (column 1: (\\w+\\s?)+$), which can backtrack for ever; rewrite it without nested quantifiers, e.g. (ab)+ or \\w+ instead of (\\w+)+"`);
  });
  test('no match says what to try', async () => {
    expect(await t('search_graph', { query: 'zebra', kind: 'Class' })).toMatchInlineSnapshot(`
      "0 symbols for query "zebra", kind Class
      no match; try without kind, or search_code for text
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
});

describe('search_code', () => {
  test('text hits with enclosing symbol and context', async () => {
    expect(await t('search_code', { pattern: 'parseNumber' })).toMatchInlineSnapshot(`
      "3 hits for text "parseNumber" in 5/5 files (showing 1-3)
      src/server.ts:1
      > 1  import { parseNumber } from './util.js';
        2  
      src/server.ts:6  in src/server.ts#Server.listen
        5    listen(port: string): void {
      > 6      const p = parseNumber(port);
        7      this.start(p);
      src/util.ts:2  in src/util.ts#parseNumber
        1  /** Parses a number from text. */
      > 2  export function parseNumber(text: string): number {
        3    return Number(text);
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('regex, no context, file glob', async () => {
    expect(await t('search_code', { pattern: 'console\\.\\w+\\(', regex: true, context_lines: 0, file_pattern: 'src/**' })).toMatchInlineSnapshot(`
      "2 hits for regex "console\\\\.\\\\w+\\\\(" (case-insensitive) in 4/4 files (showing 1-2)
      src/main.ts:7  in src/main.ts#main  console.log(formatNumber(1));
      src/server.ts:11  in src/server.ts#Server.start  console.log('start', p);
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('reads the files without an async fs request per file', async () => {
    // Each promise-based fs call (and FileHandle) holds native memory until V8 collects it; per file, with
    // many sessions searching, that churn re-dirtied tens of MB of malloc's freed pages after every trim.
    const requests = new Map<string, number>();
    const hook = createHook({
      init(_id, type) {
        if (type.startsWith('FSREQ') || type === 'FILEHANDLE') requests.set(type, (requests.get(type) ?? 0) + 1);
      },
    }).enable();
    let searched: number;
    try {
      const r = await h.call('search_code', { pattern: 'number', context_lines: 0 });
      searched = (r.data as { files_searched: number }).files_searched;
    } finally {
      hook.disable();
    }
    expect(searched).toBe(5);
    expect(Object.fromEntries(requests)).toEqual({});
  });
  test('paging over hits to the end', async () => {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await h.call('search_code', { pattern: 'number', context_lines: 0, limit: 3, ...(cursor ? { cursor } : {}) });
      const d = r.data as { hits: Array<{ file: string; line: number }>; next_cursor: string | null; total: number };
      all.push(...d.hits.map((x) => `${x.file}:${x.line}`));
      cursor = d.next_cursor ?? undefined;
    } while (cursor);
    expect(all).toMatchInlineSnapshot(`
      [
        "src/main.ts:2",
        "src/main.ts:7",
        "src/server.ts:1",
        "src/server.ts:6",
        "src/server.ts:10",
        "src/util.ts:1",
        "src/util.ts:2",
        "src/util.ts:3",
        "src/util.ts:6",
      ]
    `);
  });
  test('invalid and catastrophic regexes', async () => {
    expect(await err('search_code', { pattern: 'foo(bar', regex: true })).toMatchInlineSnapshot(`
      "BAD_REQUEST: pattern is not a valid regular expression: /foo(bar/i: Unterminated group
        foo(bar
           ^ here (column 4)"
    `);
    expect(await err('search_code', { pattern: '*x', regex: true })).toMatchInlineSnapshot(`
      "BAD_REQUEST: pattern is not a valid regular expression: /*x/i: Nothing to repeat
        *x
        ^ here (column 1)"
    `);
    expect(await err('search_code', { pattern: '(a*)*b', regex: true })).toMatchInlineSnapshot(`"BAD_REQUEST: pattern repeats a group that itself repeats (column 1: (a*)*b), which can backtrack for ever; rewrite it without nested quantifiers, e.g. (ab)+ or \\w+ instead of (\\w+)+"`);
  });
});

describe('trace_path', () => {
  test('callers with low-confidence and unresolved marks', async () => {
    expect(await t('trace_path', { symbol: 'src/server.ts#Server.listen' })).toMatchInlineSnapshot(`
      "Method src/server.ts#Server.listen  src/server.ts:5-8  (port: string): void
      callers (depth 2): 3 hops · 2 low-confidence (~)
        ← Function src/main.ts#main  at src/main.ts:6 ~ unique-name 0.5
          ← Function src/jobs.ts#start  at src/jobs.ts:5
        ← Function test/server.test.ts#testListen  at test/server.test.ts:5 ~ unique-name 0.5
      legend: ~ low-confidence edge (bound by name or confidence < 0.7), ? call site the indexer could not resolve
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('callees to depth 3 with unresolved call sites', async () => {
    expect(await t('trace_path', { symbol: 'main', direction: 'callees', depth: 3 })).toMatchInlineSnapshot(`
      "Function src/main.ts#main  src/main.ts:4-9  (): void  exported
      callees (depth 3): 6 hops · 1 low-confidence (~) · 5 unresolved call sites (?)
        ? 1 unresolved call: console.log src/main.ts:7 (external)
        → Class src/server.ts#Server  at src/main.ts:5  (def src/server.ts:4-13)
        → Method src/server.ts#Server.listen  at src/main.ts:6  (def src/server.ts:5-8) ~ unique-name 0.5
          → Function src/util.ts#parseNumber  at src/server.ts:6  (def src/util.ts:2-4)
            ? 1 unresolved call: Number src/util.ts:3 (not-found)
          → Method src/server.ts#Server.start  at src/server.ts:7  (def src/server.ts:10-12)
            ? 1 unresolved call: console.log src/server.ts:11 (external)
        → Function src/util.ts#formatNumber  at src/main.ts:7  (def src/util.ts:6-8)
          ? 1 unresolved call: n.toFixed src/util.ts:7 (not-found)
        → Function src/main.ts#helper  at src/main.ts:8  (def src/main.ts:11-13)
          ? 1 unresolved call: dynamicCall src/main.ts:12 (not-found)
      legend: ~ low-confidence edge (bound by name or confidence < 0.7), ? call site the indexer could not resolve
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('both directions, limit cut is stated', async () => {
    expect(await t('trace_path', { symbol: 'parseNumber', direction: 'both', limit: 2 })).toMatchInlineSnapshot(`
      "Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported
      callers (depth 2): 1 hop
        ← Method src/server.ts#Server.listen  at src/server.ts:6
      truncated: 2 more callers hops not shown (limit 1 per direction); raise limit (max 500) or lower depth
      callees (depth 2): 0 hops · 1 unresolved call site (?)
        ? 1 unresolved call: Number src/util.ts:3 (not-found)
      legend: ~ low-confidence edge (bound by name or confidence < 0.7), ? call site the indexer could not resolve
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('ambiguous name lists candidates (not an error)', async () => {
    const r = await h.call('trace_path', { symbol: 'start' });
    expect(r.isError).toBeUndefined();
    expect((r.data as { ambiguous: boolean }).ambiguous).toBe(true);
    expect(textOf(r, root)).toMatchInlineSnapshot(`
      "ambiguous: 2 symbols are named "start"; call again with one qualified name:
        Function src/jobs.ts#start  src/jobs.ts:3-6  (): void  exported
        Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('unknown symbol suggests near matches', async () => {
    expect(await err('trace_path', { symbol: 'parseNumbr' })).toMatchInlineSnapshot(`"UNKNOWN_SYMBOL: no symbol "parseNumbr" in the graph. Did you mean: src/util.ts#parseNumber (Function)? Use search_graph to find symbols by words of their name."`);
    expect(await err('trace_path', { symbol: 'src/nope.ts#Server.listen' })).toMatchInlineSnapshot(`"UNKNOWN_SYMBOL: no symbol "src/nope.ts#Server.listen" in the graph. Did you mean: src/server.ts#Server.listen (Method), test/server.test.ts#testListen (Function)? Use search_graph to find symbols by words of their name."`);
  });
});

describe('get_code_snippet', () => {
  test('by member path, with context', async () => {
    expect(await t('get_code_snippet', { symbol: 'Server.start', context_lines: 1 })).toMatchInlineSnapshot(`
      "Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
       9  
      10    start(p: number): void {
      11      console.log('start', p);
      12    }
      13  }
      indexed 0s ago · 0 files changed since · watch off"
    `);
  });
  test('says when the file changed since indexing', async () => {
    appendFileSync(join(root, 'src/util.ts'), '\n// edited\n');
    expect(await t('get_code_snippet', { symbol: 'formatNumber' })).toMatchInlineSnapshot(`
      "Function src/util.ts#formatNumber  src/util.ts:6-8  (n: number): string  exported
      note: src/util.ts changed on disk since it was indexed; lines may have moved
      6  export function formatNumber(n: number): string {
      7    return n.toFixed(2);
      8  }
      indexed 0s ago · 1 file changed since · watch off · may miss recent edits"
    `);
  });
});

describe('get_architecture', () => {
  test('whole project', async () => {
    expect(await t('get_architecture', {})).toMatchInlineSnapshot(`
      "architecture of basic: 5 files, 50 lines
      languages: typescript 5 files 50 lines
      folders by size:
        src  4 files  44 lines
        test  1 file  6 lines
      entry points:
        package.json bin fx: bin/fx.js (not indexed)
        package.json main: dist/main.js → src/main.ts (source, mapped)
      files nothing imports (1; tests, .d.ts and config files left out):
        src/jobs.ts  10 lines
      most-called symbols:
        Class src/server.ts#Server  src/server.ts:4  2 calls from 2 files
        Method src/server.ts#Server.listen  src/server.ts:5  2 calls from 2 files
        Function src/jobs.ts#run  src/jobs.ts:8  1 call from 1 file
        Function src/main.ts#helper  src/main.ts:11  1 call from 1 file
        Function src/main.ts#main  src/main.ts:4  1 call from 1 file
        Method src/server.ts#Server.start  src/server.ts:10  1 call from 1 file
        Function src/util.ts#formatNumber  src/util.ts:6  1 call from 1 file
        Function src/util.ts#parseNumber  src/util.ts:2  1 call from 1 file
      imports between units (1 pair):
        test → src  1
      import cycles between units: none
      indexed 0s ago · 1 file changed since · watch off · may miss recent edits"
    `);
  });
  test('path outside and empty path', async () => {
    expect(await err('get_architecture', { path: '../x' })).toMatchInlineSnapshot(`"BAD_REQUEST: path ../x is outside the project root <root>"`);
    expect(await err('get_architecture', { path: 'lib' })).toMatchInlineSnapshot(`"NOT_FOUND: no indexed file under "lib" in <root>; pass a folder relative to the project root, e.g. "src""`);
  });
});

describe('monorepo', () => {
  test('packages, cycles, top-level calls', async () => {
    const mono = copyFixture('mono');
    seedGraph(h.store, mono);
    const r = await h.call('get_architecture', {}, mono);
    expect(textOf(r, mono)).toMatchInlineSnapshot(`
      "architecture of mono: 3 files, 17 lines
      languages: typescript 3 files 17 lines
      packages and folders by size:
        packages/b (package)  1 file  9 lines
        packages/a (package)  1 file  5 lines
        (root)  1 file  3 lines
      entry points:
        packages/a/package.json main: src/index.ts
        packages/b/package.json exports .: ./src/index.ts
      files nothing imports (1; tests, .d.ts and config files left out):
        tools.ts  3 lines
      most-called symbols:
        Function packages/a/src/index.ts#ay  packages/a/src/index.ts:3  2 calls from 2 files
        Function packages/b/src/index.ts#bee  packages/b/src/index.ts:3  1 call from 1 file
      imports between units (3 pairs):
        (root) → packages/a  1
        packages/a → packages/b  1
        packages/b → packages/a  1
      import cycles between units: 1
        packages/a ↔ packages/b
      indexed 0s ago · 0 files changed since · watch off"
    `);
    rmSync(mono, { recursive: true, force: true });
  });
});

describe('delete_project', () => {
  test('deletes, then the project is unknown', async () => {
    const other = copyFixture('basic');
    const p = seedGraph(h.store, other);
    const r = await h.call('delete_project', { project: other });
    expect(textOf(r, other)).toMatchInlineSnapshot(`"deleted project basic (<root>): 5 files, 10 symbols, 30 edges removed from the cache; the repository itself is untouched"`);
    expect(h.store.db.prepare('SELECT COUNT(*) AS n FROM nodes WHERE snapshot = ?').get(p.snapshot)).toEqual({ n: 0 });
    await expect(h.call('index_status', { project: other })).rejects.toThrow(/not inside an indexed project/);
  });
});
