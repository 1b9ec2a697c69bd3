/**
 * Every tool through the real shim (`codehive mcp`) with the MCP SDK client, on fixture projects indexed by
 * the real indexer in a real daemon: exact answers, paging to the end, truncation markers, ambiguity, each
 * error case, structuredContent (validated by the SDK against outputSchema, and strictly against
 * TOOL_OUTPUTS), progress notifications, and cancellation.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TOOL_OUTPUTS, TOOLS } from '../../packages/tools/definitions.js';
import { connectMcp, daemonPids, makeTestEnv, waitFor, type McpSession, type TestEnv } from '../helpers/processes.js';
import { call, copyProject, git, pageAll, tempProject, type Answer } from './helpers.js';

let t: TestEnv;
let s: McpSession;
let basic: ReturnType<typeof copyProject>;
let mono: ReturnType<typeof copyProject>;
let roots: Record<string, string>;
const c = (name: string, args: Record<string, unknown> = {}) => call(s, name, args, { roots });

beforeAll(async () => {
  // Both under one temp dir, so the projects (ordered by root) always list in the same order.
  basic = copyProject('tools/basic');
  mono = copyProject('tools/mono', 'mono', dirname(basic.root));
  roots = { [basic.root]: '<basic>', [mono.root]: '<mono>' };
  // detect_changes needs history: the basic project is a git repository with one commit.
  git(basic.root, 'init', '-q', '-b', 'main');
  git(basic.root, 'add', '.');
  git(basic.root, 'commit', '-q', '-m', 'initial');
  t = makeTestEnv();
  s = await connectMcp(t, join(basic.root, 'src'));
  // The SDK client validates structuredContent against outputSchema once it has seen the tool list.
  const { tools } = await s.client.listTools();
  expect(tools.map((x) => x.name).sort()).toEqual(TOOLS.map((x) => x.name).sort());
  for (const x of tools) expect(x.outputSchema?.type, x.name).toBe('object');
});

/** Records every message the client receives from the shim, in arrival order, until stopped. */
function recordWire(session: McpSession) {
  const messages: Array<{ method?: string; params?: unknown; result?: unknown }> = [];
  const transport = session.transport;
  const inner = transport.onmessage!;
  transport.onmessage = (m, extra) => {
    messages.push(m as (typeof messages)[number]);
    inner(m, extra);
  };
  return { messages, stop: () => void (transport.onmessage = inner) };
}

afterAll(async () => {
  await s?.close();
  await t?.cleanup();
  basic?.remove();
});

describe('indexing', () => {
  test('index_repository sends progress notifications when the client asks, then answers with counts', async () => {
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const wire = recordWire(s);
    const r = await call(s, 'index_repository', { path: basic.root, mode: 'full' }, { roots, onprogress: (p) => progress.push(p) });
    wire.stop();
    expect(r.isError).toBe(false);
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.message).toMatch(/^\w+ \d+\/\d+$/);
    // What the shim sent, in arrival order: progress up to done, then the answer. The SDK client (1.x) may drop
    // a notification that arrives in the same read as the response (it dispatches notifications a microtask
    // late, after the response retired the token: typescript-sdk#2580), so the last one is checked on the wire.
    const sent = wire.messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params as { progress: number; total?: number });
    expect(sent.length).toBeGreaterThanOrEqual(progress.length);
    expect(sent.at(-1)!.progress).toBe(sent.at(-1)!.total);
    expect(wire.messages.findIndex((m) => m.result !== undefined)).toBe(wire.messages.length - 1);
    expect(r.text).toMatchInlineSnapshot(`
      "indexed <basic> (full) in <n> ms
        files 5: 5 parsed, 0 unchanged, 5 added, 0 changed, 0 removed · 50 lines
        18 nodes · 32 edges · calls 10 resolved, 6 unresolved
      indexed <ago> · 0 files changed since · watch off"
    `);
    expect(r.data!.files).toEqual({ total: 5, parsed: 5, unchanged: 0, added: 5, changed: 0, removed: 0 });
  });

  test('a second project', async () => {
    const r = await c('index_repository', { path: mono.root });
    expect(r.text).toMatchInlineSnapshot(`
      "indexed <mono> (full) in <n> ms
        files 3: 3 parsed, 0 unchanged, 3 added, 0 changed, 0 removed · 17 lines
        12 nodes · 17 edges · calls 3 resolved, 0 unresolved
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('list_projects and index_status', async () => {
    expect((await c('list_projects')).text).toMatchInlineSnapshot(`
      "2 projects:
      basic  <basic>  ready  5 files, 10 symbols  indexed <ago>  0 changed since
      mono  <mono>  ready  3 files, 3 symbols  indexed <ago>  0 changed since"
    `);
    // project defaults to the one containing the session's cwd (basic/src).
    expect((await c('index_status')).text).toMatchInlineSnapshot(`
      "basic  <basic>  ready
        5 files (50 lines) · 10 symbols · 32 edges · calls 10 resolved, 6 unresolved
        indexed <ago> at git <sha12> · last index full <n> ms
      indexed <ago> · 0 files changed since · watch off"
    `);
    expect((await c('index_status', { project: 'mono' })).text).toMatchInlineSnapshot(`
      "mono  <mono>  ready
        3 files (17 lines) · 3 symbols · 17 edges · calls 3 resolved, 0 unresolved
        indexed <ago> at git (not a git repository) · last index full <n> ms
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('get_graph_schema', async () => {
    expect((await c('get_graph_schema')).text).toMatchInlineSnapshot(`
      "graph schema of basic
      node kinds: Function 7, File 5, Folder 2, Method 2, Class 1, Project 1
        properties: kind, name, qname (path#Outer.inner), file, start/end line and column, signature, exported, doc (first line)
      edge types: CALLS 10, DEFINES 8, CONTAINS 7, IMPORTS 5, DEFINES_METHOD 2
        CALLS: caller → callee; line of the call, strategy, confidence 0..1
        DEFINES: file → top-level symbol
        CONTAINS: folder → file or folder
        IMPORTS: file → file; data: imported names
        DEFINES_METHOD: class/interface → member
      CALLS by strategy: import 5 (conf 1), same-file 2 (conf 1), type-annotation 2 (conf 0.85), this-class 1 (conf 0.95)
      unresolved call sites: external 5, dynamic 1  (kept, never guessed; trace_path counts them)
      files by language: typescript 5
      indexed <ago> · 0 files changed since · watch off"
    `);
  });
});

describe('search_graph', () => {
  test('ranked query, exact answer', async () => {
    expect((await c('search_graph', { query: 'number' })).text).toMatchInlineSnapshot(`
      "3 symbols for query "number" (showing 1-3)
      Function src/util.ts#formatNumber  src/util.ts:6-8  (n: number): string  exported
      Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported  — Parses a number from text.
      Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('pages to the end with next_cursor; the pages add up to the unpaged answer', async () => {
    const all = await c('search_graph', { kind: 'Function' });
    const results = all.data!.results as Array<{ qname: string }>;
    expect(all.data!.next_cursor).toBeNull();
    const pages = await pageAll(s, 'search_graph', { kind: 'Function', limit: 3 }, roots);
    expect(pages.length).toBe(Math.ceil(results.length / 3));
    expect(pages.flatMap((p) => (p.data!.results as Array<{ qname: string }>).map((r) => r.qname))).toEqual(results.map((r) => r.qname));
    expect(pages[0]!.text).toMatchInlineSnapshot(`
      "7 symbols for kind Function (showing 1-3)
      Function src/jobs.ts#start  src/jobs.ts:3-6  (): void  exported
      Function src/jobs.ts#run  src/jobs.ts:8-10  (): void
      Function src/main.ts#main  src/main.ts:4-9  (): void  exported
      truncated: 4 more symbols · next_cursor: <cursor>
      indexed <ago> · 0 files changed since · watch off"
    `);
    expect(pages.at(-1)!.text).not.toContain('truncated');
  });

  test('a cursor from another query is refused', async () => {
    const first = await c('search_graph', { kind: 'Function', limit: 1 });
    const r = await c('search_graph', { kind: 'Method', limit: 1, cursor: first.data!.next_cursor });
    expect(r.isError).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`"BAD_REQUEST: cursor belongs to a different query (arguments changed); repeat the query without cursor"`);
  });

  test('invalid name_pattern regex says where it fails', async () => {
    const r = await c('search_graph', { name_pattern: 'parse(Number' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`
      "BAD_REQUEST: name_pattern is not a valid regular expression: /parse(Number/: Unterminated group
        parse(Number
             ^ here (column 6)"
    `);
  });
});

describe('search_code', () => {
  test('hits with enclosing symbol and context', async () => {
    expect((await c('search_code', { pattern: 'parseNumber' })).text).toMatchInlineSnapshot(`
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
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('pages to the end', async () => {
    const pages = await pageAll(s, 'search_code', { pattern: 'number', context_lines: 0, limit: 2 }, roots);
    expect(pages.map((p) => p.text).join('\n---\n')).toMatchInlineSnapshot(`
      "9 hits for text "number" (case-insensitive) in 5/5 files (showing 1-2)
      src/main.ts:2  import { formatNumber } from './util.js';
      src/main.ts:7  in src/main.ts#main  console.log(formatNumber(1));
      truncated: 7 more hits · next_cursor: <cursor>
      indexed <ago> · 0 files changed since · watch off
      ---
      9 hits for text "number" (case-insensitive) in 5/5 files (showing 3-4)
      src/server.ts:1  import { parseNumber } from './util.js';
      src/server.ts:6  in src/server.ts#Server.listen  const p = parseNumber(port);
      truncated: 5 more hits · next_cursor: <cursor>
      indexed <ago> · 0 files changed since · watch off
      ---
      9 hits for text "number" (case-insensitive) in 5/5 files (showing 5-6)
      src/server.ts:10  in src/server.ts#Server.start  start(p: number): void {
      src/util.ts:1  /** Parses a number from text. */
      truncated: 3 more hits · next_cursor: <cursor>
      indexed <ago> · 0 files changed since · watch off
      ---
      9 hits for text "number" (case-insensitive) in 5/5 files (showing 7-8)
      src/util.ts:2  in src/util.ts#parseNumber  export function parseNumber(text: string): number {
      src/util.ts:3  in src/util.ts#parseNumber  return Number(text);
      truncated: 1 more hits · next_cursor: <cursor>
      indexed <ago> · 0 files changed since · watch off
      ---
      9 hits for text "number" (case-insensitive) in 5/5 files (showing 9-9)
      src/util.ts:6  in src/util.ts#formatNumber  export function formatNumber(n: number): string {
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('invalid and catastrophic regexes are errors that say where', async () => {
    const bad = await c('search_code', { pattern: 'foo(bar', regex: true });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatchInlineSnapshot(`
      "BAD_REQUEST: pattern is not a valid regular expression: /foo(bar/i: Unterminated group
        foo(bar
           ^ here (column 4)"
    `);
    const slow = await c('search_code', { pattern: '(a+)+$', regex: true });
    expect(slow.isError).toBe(true);
    expect(slow.text).toMatchInlineSnapshot(`"BAD_REQUEST: pattern repeats a group that itself repeats (column 1: (a+)+$), which can backtrack for ever; rewrite it without nested quantifiers, e.g. (ab)+ or \\w+ instead of (\\w+)+"`);
  });
});

describe('trace_path and get_code_snippet', () => {
  test('callees of main, depth 3', async () => {
    expect((await c('trace_path', { symbol: 'main', direction: 'callees', depth: 3 })).text).toMatchInlineSnapshot(`
      "Function src/main.ts#main  src/main.ts:4-9  (): void  exported
      callees (depth 3): 6 hops · 5 unresolved call sites (?)
        ? 1 unresolved call: console.log src/main.ts:7 (external)
        → Class src/server.ts#Server  at src/main.ts:5  (def src/server.ts:4-13)
        → Method src/server.ts#Server.listen  at src/main.ts:6  (def src/server.ts:5-8)
          → Function src/util.ts#parseNumber  at src/server.ts:6  (def src/util.ts:2-4)
            ? 1 unresolved call: Number src/util.ts:3 (external)
          → Method src/server.ts#Server.start  at src/server.ts:7  (def src/server.ts:10-12)
            ? 1 unresolved call: console.log src/server.ts:11 (external)
        → Function src/util.ts#formatNumber  at src/main.ts:7  (def src/util.ts:6-8)
          ? 1 unresolved call: n.toFixed src/util.ts:7 (dynamic)
        → Function src/main.ts#helper  at src/main.ts:8  (def src/main.ts:11-13)
          ? 1 unresolved call: dynamicCall src/main.ts:12 (external)
      legend: ~ low-confidence edge (bound by name or confidence < 0.7), ? call site the indexer could not resolve
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('callers of parseNumber', async () => {
    expect((await c('trace_path', { symbol: 'src/util.ts#parseNumber' })).text).toMatchInlineSnapshot(`
      "Function src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported
      callers (depth 2): 3 hops
        ← Method src/server.ts#Server.listen  at src/server.ts:6
          ← Function src/main.ts#main  at src/main.ts:6
          ← Function test/server.test.ts#testListen  at test/server.test.ts:5
      indexed <ago> · 0 files changed since · watch off"
    `);
  });

  test('limit cuts hops with a marker', async () => {
    const r = await c('trace_path', { symbol: 'main', direction: 'callees', depth: 3, limit: 2 });
    expect(r.text).toMatchInlineSnapshot(`
      "Function src/main.ts#main  src/main.ts:4-9  (): void  exported
      callees (depth 3): 2 hops · 1 unresolved call site (?)
        ? 1 unresolved call: console.log src/main.ts:7 (external)
        → Class src/server.ts#Server  at src/main.ts:5  (def src/server.ts:4-13)
        → Method src/server.ts#Server.listen  at src/main.ts:6  (def src/server.ts:5-8)
      truncated: 4 more callees hops not shown (limit 2); raise limit (max 500) or lower depth
      legend: ~ low-confidence edge (bound by name or confidence < 0.7), ? call site the indexer could not resolve
      indexed <ago> · 0 files changed since · watch off"
    `);
    expect((r.data!.callees as { truncated: number }).truncated).toBeGreaterThan(0);
  });

  test('an ambiguous name answers with the candidates (not an error)', async () => {
    const r = await c('trace_path', { symbol: 'start' });
    expect(r.isError).toBe(false);
    expect(r.data!.ambiguous).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`
      "ambiguous: 2 symbols are named "start"; call again with one qualified name:
        Function src/jobs.ts#start  src/jobs.ts:3-6  (): void  exported
        Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
      indexed <ago> · 0 files changed since · watch off"
    `);
    const snip = await c('get_code_snippet', { symbol: 'start' });
    expect(snip.isError).toBe(false);
    expect((snip.data!.candidates as Array<{ qname: string }>).map((x) => x.qname)).toEqual(['src/jobs.ts#start', 'src/server.ts#Server.start']);
  });

  test('an unknown symbol is an error with near matches', async () => {
    const r = await c('trace_path', { symbol: 'parseNumbr' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`"UNKNOWN_SYMBOL: no symbol "parseNumbr" in the graph. Did you mean: src/util.ts#parseNumber (Function)? Use search_graph to find symbols by words of their name."`);
    const snip = await c('get_code_snippet', { symbol: 'Server.stop' });
    expect(snip.isError).toBe(true);
    expect(snip.text).toMatchInlineSnapshot(`"UNKNOWN_SYMBOL: no symbol "Server.stop" in the graph. Did you mean: src/server.ts#Server.listen (Method), src/server.ts#Server.start (Method)? Use search_graph to find symbols by words of their name."`);
  });

  test('snippet by member path, with context', async () => {
    expect((await c('get_code_snippet', { symbol: 'Server.start', context_lines: 1 })).text).toMatchInlineSnapshot(`
      "Method src/server.ts#Server.start  src/server.ts:10-12  (p: number): void
       9  
      10    start(p: number): void {
      11      console.log('start', p);
      12    }
      13  }
      indexed <ago> · 0 files changed since · watch off"
    `);
  });
});

describe('get_architecture', () => {
  test('basic', async () => {
    expect((await c('get_architecture')).text).toMatchInlineSnapshot(`
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
      indexed <ago> · 0 files changed since · watch off"
    `);
  });
  test('a workspace with an import cycle between packages', async () => {
    expect((await c('get_architecture', { project: mono.root })).text).toMatchInlineSnapshot(`
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
      indexed <ago> · 0 files changed since · watch off"
    `);
  });
  test('a path outside the project is refused', async () => {
    const r = await c('get_architecture', { path: '../..' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`"BAD_REQUEST: path ../.. is outside the project root <basic>"`);
  });
});

describe('errors', () => {
  test('unknown project lists the known projects', async () => {
    const r = await c('search_graph', { project: 'nope', query: 'x' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`"UNKNOWN_PROJECT: no project named nope. Known projects: <basic>, <mono>"`);
  });

  test('invalid arguments name the argument', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['search_graph', { limit: 0 }],
      ['search_graph', { limti: 5 }],
      ['trace_path', { symbol: 'main', depth: 9 }],
      ['trace_path', { symbol: 'main', direction: 'up' }],
      ['index_repository', {}],
      ['search_code', { pattern: 'x', context_lines: 'two' }],
    ];
    const out: string[] = [];
    for (const [name, args] of cases) {
      const r = await c(name, args);
      expect(r.isError, name).toBe(true);
      out.push(r.text);
    }
    expect(out.join('\n')).toMatchInlineSnapshot(`
      "BAD_REQUEST: invalid arguments for search_graph: limit: Number must be greater than or equal to 1
      BAD_REQUEST: invalid arguments for search_graph: (arguments): Unrecognized key(s) in object: 'limti'
      BAD_REQUEST: invalid arguments for trace_path: depth: Number must be less than or equal to 6
      BAD_REQUEST: invalid arguments for trace_path: direction: Invalid enum value. Expected 'callers' | 'callees' | 'both', received 'up'
      BAD_REQUEST: invalid arguments for index_repository: path: Required
      BAD_REQUEST: invalid arguments for search_code: context_lines: Expected number, received string"
    `);
  });

  test('an unknown tool names the real ones', async () => {
    const r = await c('search_everything', {});
    expect(r.isError).toBe(true);
    expect(r.text).toMatchInlineSnapshot(`"UNKNOWN_TOOL: unknown tool "search_everything"; tools are: index_repository, index_status, list_projects, delete_project, search_graph, search_code, trace_path, get_code_snippet, get_graph_schema, get_architecture, detect_changes"`);
  });
});

describe('detect_changes', () => {
  test('a changed, an added and a deleted function in the working tree; then base..HEAD', async () => {
    const util = join(basic.root, 'src/util.ts');
    writeFileSync(
      util,
      '/** Parses a number from text. */\nexport function parseNumber(text: string): number {\n  return Number(text.trim());\n}\n\nexport function sum(a: number, b: number): number {\n  return a + b;\n}\n',
    );
    writeFileSync(join(basic.root, 'src/extra.ts'), "import { sum } from './util.js';\n\nexport function total(): number {\n  return sum(1, 2);\n}\n");
    await c('index_repository', { path: basic.root });
    const wt = await c('detect_changes');
    expect(wt.text).toMatchInlineSnapshot(`
      "changes: working tree vs HEAD (<sha10>) · 2 files · 3 symbols (0 high, 2 medium, 1 low risk) · 1 deleted
      HIGH   deleted formatNumber  (src/util.ts, was line 6) · 1 unresolved call site still names it: src/main.ts:7
      MEDIUM Function src/util.ts#parseNumber  src/util.ts:2-4  modified L3 · 3 callers (1 direct) · exported · reached by tests
             callers: src/server.ts#Server.listen, src/main.ts#main, test/server.test.ts#testListen
      MEDIUM Function src/util.ts#sum  src/util.ts:6-8  added · 1 caller (1 direct) · exported · no test reaches it
             callers: src/extra.ts#total
      LOW    Function src/extra.ts#total  src/extra.ts:3-5  added · 0 callers · exported · no test reaches it
      top-level code changed (imports, module statements):
        src/extra.ts L1-2
      indexed <ago> · 0 files changed since · watch off"
    `);
    git(basic.root, 'add', '.');
    git(basic.root, 'commit', '-q', '-m', 'change parseNumber, add sum and total, delete formatNumber');
    const base = await c('detect_changes', { base: 'HEAD~1' });
    expect(base.text).toMatchInlineSnapshot(`
      "changes: HEAD~1 (<sha10>)..HEAD (<sha10>) · 2 files · 3 symbols (0 high, 2 medium, 1 low risk) · 1 deleted
      HIGH   deleted formatNumber  (src/util.ts, was line 6) · 1 unresolved call site still names it: src/main.ts:7
      MEDIUM Function src/util.ts#parseNumber  src/util.ts:2-4  modified L3 · 3 callers (1 direct) · exported · reached by tests
             callers: src/server.ts#Server.listen, src/main.ts#main, test/server.test.ts#testListen
      MEDIUM Function src/util.ts#sum  src/util.ts:6-8  added · 1 caller (1 direct) · exported · no test reaches it
             callers: src/extra.ts#total
      LOW    Function src/extra.ts#total  src/extra.ts:3-5  added · 0 callers · exported · no test reaches it
      top-level code changed (imports, module statements):
        src/extra.ts L1-2
      note: lines are mapped onto the indexed working tree; uncommitted edits on top of HEAD can shift them
      indexed <ago> · 0 files changed since · watch off"
    `);
    const bad = await c('detect_changes', { base: 'no-such-branch' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatchInlineSnapshot(`"BAD_REQUEST: base "no-such-branch" is not a commit in <basic>; pass a branch, tag or commit (e.g. main, HEAD~1)"`);
  });
});

describe('delete_project', () => {
  test('deletes one project and all its data; the other stays', async () => {
    const r = await c('delete_project', { project: 'mono' });
    expect(r.text).toMatchInlineSnapshot(`"deleted project mono (<mono>): 3 files, 3 symbols, 17 edges removed from the cache; the repository itself is untouched"`);
    expect((await c('list_projects')).text).toMatchInlineSnapshot(`
      "1 project:
      basic  <basic>  ready  6 files, 11 symbols  indexed <ago>  0 changed since"
    `);
    const again = await c('get_architecture', { project: mono.root });
    expect(again.isError).toBe(true);
    expect(again.text).toMatchInlineSnapshot(`"UNKNOWN_PROJECT: <mono> is not inside an indexed project; index it with index_repository {"path": "<mono>"}. Known projects: <basic>"`);
  });
});

describe('cancellation', () => {
  let big: ReturnType<typeof tempProject>;
  beforeAll(() => {
    big = tempProject('bigtree');
    // ~1,200 files: enough that an index or a regex scan is still running when the abort lands.
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(big.root, `m${d}`), { recursive: true });
      for (let f = 0; f < 40; f++) {
        const body = Array.from({ length: 40 }, (_, i) => `export function f${d}_${f}_${i}(x: number): number {\n  return g${i}(x) + ${i};\n}\n`).join('');
        writeFileSync(join(big.root, `m${d}`, `f${f}.ts`), body);
      }
    }
  });
  afterAll(() => big?.remove());

  test('an aborted index_repository is rejected and, with nobody else waiting for it, its job stops; the daemon stays healthy', async () => {
    const pid = daemonPids(t.cacheDir);
    const controller = new AbortController();
    let progressSeen = 0;
    const pending = call(s, 'index_repository', { path: big.root }, {
      onprogress: () => {
        if (++progressSeen === 2) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(pending).rejects.toThrow(/abort/i);
    // The daemon is the same process and answers at once on the other projects.
    expect(daemonPids(t.cacheDir)).toEqual(pid);
    expect((await c('search_graph', { name_pattern: 'parseNumber' })).data!.total).toBe(1);
    // The only caller withdrew, so the job was cancelled: the project is left without a graph (state new),
    // not half-written and not stuck "indexing".
    let status: Answer | undefined;
    await waitFor(async () => !/indexing/.test((status = await call(s, 'index_status', { project: big.root }, { roots: { [big.root]: '<big>' } })).text), 60_000, 'the cancelled job to end');
    expect(status!.text).toContain('<big>  new');
    expect(status!.text).toContain('no graph yet');
    expect(readFileSync(join(t.cacheDir, 'daemon.log'), 'utf8')).toContain('job cancelled');
    const again = await call(s, 'index_repository', { path: big.root }, { roots: { [big.root]: '<big>' } });
    expect(again.isError).toBe(false);
    expect(again.data!.files).toMatchObject({ total: 1200 });
  });

  test('an aborted search_code regex scan is rejected; the daemon answers the next call', async () => {
    const controller = new AbortController();
    const pending = call(s, 'search_code', { project: big.root, pattern: '(x|y|z)\\w*\\d\\d\\d\\d\\d\\d', regex: true }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(/abort/i);
    const r = await c('search_code', { pattern: 'parseNumber', context_lines: 0 });
    expect(r.data!.total).toBe(3);
  });
});

test('every tool was called and its data declared in TOOL_OUTPUTS', () => {
  expect(Object.keys(TOOL_OUTPUTS).sort()).toEqual(TOOLS.map((x) => x.name).sort());
});

