/**
 * Every CLI tool command (`codehive index|search|grep|callers|callees|snippet|changes|architecture|schema|
 * projects|index-status|delete-project`) run as a person would, through the same daemon: the human output's
 * key line, and `--json` parsed (it is the tool's data, the same structuredContent agents get).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { TOOL_OUTPUTS, type ToolName } from '../../packages/tools/definitions.js';
import { makeTestEnv, runCli, type TestEnv } from '../helpers/processes.js';
import { copyProject, git } from './helpers.js';

let t: TestEnv;
let p: ReturnType<typeof copyProject>;

beforeAll(() => {
  t = makeTestEnv();
  p = copyProject('tools/basic');
  git(p.root, 'init', '-q', '-b', 'main');
  git(p.root, 'add', '.');
  git(p.root, 'commit', '-q', '-m', 'initial');
});
afterAll(async () => {
  await t?.cleanup();
  p?.remove();
});

/** Runs a command twice (human, --json) from inside the project; returns both, checking exit codes and the JSON shape. */
async function both(tool: ToolName, args: string[], cwd = join(p.root, 'src')): Promise<{ human: string; json: Record<string, unknown> }> {
  const h = await runCli(t, args, cwd);
  expect(h.code, h.stderr).toBe(0);
  const j = await runCli(t, [...args, '--json'], cwd);
  expect(j.code, j.stderr).toBe(0);
  const json = JSON.parse(j.stdout) as Record<string, unknown>;
  const parsed = z.object(TOOL_OUTPUTS[tool]).strict().safeParse(json);
  expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
  return { human: h.stdout.split(p.root).join('<root>'), json };
}

describe.sequential('the CLI', () => {
  test('index (default path ., human and --json)', async () => {
    const { human, json } = await both('index_repository', ['index'], p.root);
    // The first index of a project is a full one whatever was asked; the second (--json) reuses it.
    expect(human).toMatch(/^indexed <root> \(full\) in \d+ ms\n {2}files 5: 5 parsed, 0 unchanged, 5 added/);
    expect(json).toMatchObject({ root: p.root, mode: 'incremental', files: { total: 5, parsed: 0, unchanged: 5 } });
    const full = await runCli(t, ['index', p.root, '--full', '--json'], '/');
    expect(JSON.parse(full.stdout)).toMatchObject({ mode: 'full', files: { total: 5, parsed: 5 } });
  });

  test('search', async () => {
    const { human, json } = await both('search_graph', ['search', 'parse', 'number']);
    expect(human).toContain('1 symbol for query "parse number" (showing 1-1)\nFunction src/util.ts#parseNumber  src/util.ts:2-4  (text: string): number  exported');
    expect((json.results as Array<{ qname: string }>).map((r) => r.qname)).toEqual(['src/util.ts#parseNumber']);
    const kinds = await runCli(t, ['search', '--kind', 'Method', '--limit', '1', '--json'], p.root);
    expect(JSON.parse(kinds.stdout)).toMatchObject({ shown: 1, truncated: 1, next_cursor: expect.any(String) });
  });

  test('grep', async () => {
    const { human, json } = await both('search_code', ['grep', 'this.start']);
    expect(human).toContain('src/server.ts:7  in src/server.ts#Server.listen');
    expect(json.hits).toEqual([{ file: 'src/server.ts', line: 7, symbol: 'src/server.ts#Server.listen', text: '    this.start(p);', before: ['    const p = parseNumber(port);'], after: ['  }'] }]);
    const re = await runCli(t, ['grep', 'format|parse', '--regex', '--file', 'src/main.ts', '--context', '0'], p.root);
    expect(re.stdout).toContain('src/main.ts:7  in src/main.ts#main  console.log(formatNumber(1));');
  });

  test('callers and callees', async () => {
    const callers = await both('trace_path', ['callers', 'src/util.ts#parseNumber']);
    expect(callers.human).toContain('callers (depth 2): 3 hops\n  ← Method src/server.ts#Server.listen  at src/server.ts:6');
    expect(callers.json).toMatchObject({ direction: 'callers', callers: { hops: 3 } });
    const callees = await both('trace_path', ['callees', 'main', '--depth', '1']);
    expect(callees.human).toContain('callees (depth 1): 4 hops');
    expect(callees.human).toContain('→ Function src/util.ts#formatNumber  at src/main.ts:7  (def src/util.ts:6-8)');
    expect((callees.json.callees as { tree: Array<{ qname: string }> }).tree.map((n) => n.qname)).toEqual([
      'src/server.ts#Server',
      'src/server.ts#Server.listen',
      'src/util.ts#formatNumber',
      'src/main.ts#helper',
    ]);
  });

  test('snippet, and an unknown symbol exits 1 with near matches', async () => {
    const { human, json } = await both('get_code_snippet', ['snippet', 'Server.start']);
    expect(human).toContain('10    start(p: number): void {');
    expect(json).toMatchObject({ ambiguous: false, start_line: 10, end_line: 12 });
    const bad = await runCli(t, ['snippet', 'parseNumbr'], p.root);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('codehive: no symbol "parseNumbr" in the graph. Did you mean: src/util.ts#parseNumber (Function)? Use search_graph to find symbols by words of their name.\n');
  });

  test('changes', async () => {
    writeFileSync(join(p.root, 'src/util.ts'), '/** Parses a number from text. */\nexport function parseNumber(text: string): number {\n  return Number(text.trim());\n}\n\nexport function formatNumber(n: number): string {\n  return n.toFixed(2);\n}\n');
    const { human, json } = await both('detect_changes', ['changes']);
    expect(human).toMatch(/^changes: working tree vs HEAD \([0-9a-f]{10}\) · 1 file · 1 symbol \(0 high, 1 medium, 0 low risk\)\nMEDIUM Function src\/util.ts#parseNumber/);
    expect((json.symbols as Array<{ qname: string; change: string }>).map((x) => [x.qname, x.change])).toEqual([['src/util.ts#parseNumber', 'modified']]);
    const base = await runCli(t, ['changes', '--base', 'HEAD', '--json'], p.root);
    expect(JSON.parse(base.stdout)).toMatchObject({ base: 'HEAD', files: [] });
  });

  test('architecture', async () => {
    const { human, json } = await both('get_architecture', ['architecture']);
    expect(human).toContain('architecture of basic: 5 files, 50 lines\nlanguages: typescript 5 files 50 lines');
    expect(json).toMatchObject({ files: 5, lines: 50, units_total: 2 });
    const scoped = await runCli(t, ['architecture', '--path', 'test'], p.root);
    expect(scoped.stdout).toContain('architecture of basic (under test/): 1 file, 6 lines');
  });

  test('schema', async () => {
    const { human, json } = await both('get_graph_schema', ['schema']);
    expect(human).toContain('graph schema of basic\nnode kinds: Function 7, File 5, Folder 2, Method 2, Class 1, Project 1');
    expect(json.node_kinds).toContainEqual({ kind: 'Function', count: 7 });
  });

  test('projects and index-status', async () => {
    const projects = await both('list_projects', ['projects'], '/');
    expect(projects.human).toMatch(/^1 project:\nbasic {2}<root> {2}ready {2}5 files, 10 symbols {2}indexed \d+s ago {2}\d+ changed since\n$/);
    expect(projects.json).toMatchObject({ total: 1, projects: [{ name: 'basic', root: p.root, state: 'ready' }] });
    const status = await both('index_status', ['index-status']);
    expect(status.human).toMatch(/^basic {2}<root> {2}ready\n {2}5 files \(50 lines\) · 10 symbols/);
    expect(status.json).toMatchObject({ state: 'ready', counts: { files: 5, symbols: 10 } });
  });

  test('delete-project (last: it removes the project)', async () => {
    const h = await runCli(t, ['delete-project', 'basic'], '/');
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout.split(p.root).join('<root>')).toMatch(/^deleted project basic \(<root>\): 5 files, 10 symbols, \d+ edges removed from the cache; the repository itself is untouched\n$/);
    await runCli(t, ['index', p.root], '/');
    const j = await runCli(t, ['delete-project', p.root, '--json'], '/');
    expect(JSON.parse(j.stdout)).toMatchObject({ deleted: true, files: 5 });
    const none = await runCli(t, ['projects'], '/');
    expect(none.stdout).toBe('no project is indexed yet; index one with index_repository {path: "."}\n');
    const gone = await runCli(t, ['search', 'x'], p.root);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`codehive: no indexed project contains ${p.root}; index it first with index_repository {"path": "${p.root}"}. No project is indexed yet.\n`);
  });
});
