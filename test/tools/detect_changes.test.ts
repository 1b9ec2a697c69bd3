/**
 * detect_changes on a real git repository in a temp dir: commits that change, add and delete functions,
 * the working tree (with an untracked file) and base..HEAD, plus the refusals (bad base, not a repo).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CodehiveError } from '../../packages/protocol/index.js';
import { harness, type Harness } from './context.js';
import { copyFixture, emptyProject, textOf } from './fixture.js';
import { seedGraph } from './seed.js';

let h: Harness;
let root: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: root, encoding: 'utf8' });

beforeAll(() => {
  root = copyFixture('basic');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  h = harness({ cwd: root });
  seedGraph(h.store, root);
});
afterAll(() => h.close());

test('clean working tree: no changes', async () => {
  const r = await h.call('detect_changes', {});
  expect(textOf(r, root).replace(/[0-9a-f]{10}\)/g, 'SHA)')).toMatchInlineSnapshot(`
    "changes: working tree vs HEAD (SHA) · 0 files · 0 symbols (0 high, 0 medium, 0 low risk)
    no changes
    indexed 0s ago · 0 files changed since · watch off"
  `);
});

test('working tree: a changed, an added and a deleted function, an untracked file', async () => {
  const util = join(root, 'src/util.ts');
  const src = readFileSync(util, 'utf8')
    .replace('return Number(text);', 'return Number(text.trim());')
    .replace(/\nexport function formatNumber[\s\S]*?\n}\n/, '\n');
  writeFileSync(util, src + '\nexport function sum(a: number, b: number): number {\n  return a + b;\n}\n');
  writeFileSync(join(root, 'src/extra.ts'), "import { sum } from './util.js';\n\nexport function total(): number {\n  return sum(1, 2);\n}\n");
  seedGraph(h.store, root);
  const r = await h.call('detect_changes', {});
  expect(textOf(r, root).replace(/[0-9a-f]{10}\)/g, 'SHA)')).toMatchInlineSnapshot(`
    "changes: working tree vs HEAD (SHA) · 2 files · 3 symbols (0 high, 2 medium, 1 low risk) · 1 deleted
    HIGH   deleted formatNumber  (src/util.ts, was line 6) · 1 unresolved call site still names it: src/main.ts:7
    MEDIUM Function src/util.ts#parseNumber  src/util.ts:2-4  modified L3 · 3 callers (1 direct) · exported · reached by tests
           callers: src/server.ts#Server.listen, src/main.ts#main, test/server.test.ts#testListen
    MEDIUM Function src/util.ts#sum  src/util.ts:7-9  added · 1 caller (1 direct) · exported · no test reaches it
           callers: src/extra.ts#total
    LOW    Function src/extra.ts#total  src/extra.ts:3-5  added · 0 callers · exported · no test reaches it
    top-level code changed (imports, module statements):
      src/util.ts L6
      src/extra.ts L1-2
    indexed 0s ago · 0 files changed since · watch off"
  `);
  const d = r.data as { symbols: Array<{ qname: string; risk: string; change: string; tested: boolean }> };
  expect(d.symbols.map((s) => [s.qname, s.change, s.risk, s.tested])).toMatchInlineSnapshot(`
    [
      [
        "src/util.ts#parseNumber",
        "modified",
        "medium",
        true,
      ],
      [
        "src/util.ts#sum",
        "added",
        "medium",
        false,
      ],
      [
        "src/extra.ts#total",
        "added",
        "low",
        false,
      ],
    ]
  `);
});

test('base..HEAD after committing the same changes', async () => {
  git('add', '.');
  git('commit', '-q', '-m', 'change, add, delete');
  const r = await h.call('detect_changes', { base: 'HEAD~1', depth: 1 });
  expect(textOf(r, root).replace(/[0-9a-f]{10}\)/g, 'SHA)')).toMatchInlineSnapshot(`
    "changes: HEAD~1 (SHA)..HEAD (SHA) · 2 files · 3 symbols (0 high, 2 medium, 1 low risk) · 1 deleted
    HIGH   deleted formatNumber  (src/util.ts, was line 6) · 1 unresolved call site still names it: src/main.ts:7
    MEDIUM Function src/util.ts#parseNumber  src/util.ts:2-4  modified L3 · 1 caller (1 direct) · exported · reached by tests
           callers: src/server.ts#Server.listen
    MEDIUM Function src/util.ts#sum  src/util.ts:7-9  added · 1 caller (1 direct) · exported · no test reaches it
           callers: src/extra.ts#total
    LOW    Function src/extra.ts#total  src/extra.ts:3-5  added · 0 callers · exported · no test reaches it
    top-level code changed (imports, module statements):
      src/extra.ts L1-2
      src/util.ts L6
    note: lines are mapped onto the indexed working tree; uncommitted edits on top of HEAD can shift them
    indexed 0s ago · 0 files changed since · watch off"
  `);
});

test('base is validated before it reaches git', async () => {
  for (const base of ['--output=/tmp/x', 'a b', 'main..HEAD', 'nope']) {
    const e = await h.call('detect_changes', { base }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(CodehiveError);
    expect((e as CodehiveError).code).toBe('BAD_REQUEST');
  }
  await expect(h.call('detect_changes', { base: 'nope' })).rejects.toThrow(/base "nope" is not a commit/);
});

test('a project outside git is refused clearly', async () => {
  const plain = copyFixture('mono');
  seedGraph(h.store, plain);
  await expect(h.call('detect_changes', {}, plain)).rejects.toThrow(/not in a git repository/);
});

test('a large diff takes turns with other calls, and reports its progress', async () => {
  // A repository without commits: every file is untracked, every function changed. 40 files × 30 functions,
  // each calling the one before it, so every walk goes up to the depth.
  const big = emptyProject('big');
  mkdirSync(join(big, 'src'));
  for (let f = 0; f < 40; f++) {
    const fns = Array.from({ length: 30 }, (_, i) => `export function f${f}_${i}(x: number): number {\n  return ${i ? `f${f}_${i - 1}(x)` : 'x'};\n}\n`);
    writeFileSync(join(big, 'src', `m${f}.ts`), fns.join('\n'));
  }
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: big });
  const bh = harness({ cwd: big });
  try {
    seedGraph(bh.store, big);
    const during: string[] = [];
    let settled = false;
    const running = bh.call('detect_changes', {}).then((r) => (during.push('detect_changes answered'), (settled = true), r));
    // Once it reports progress (it is mapping or walking), another call starts. Answered before the diff is
    // done only if the diff yields the event loop between slices: all at once, it would hold the loop.
    while (!bh.progress.length && !settled) await new Promise((r) => setImmediate(r));
    await bh.call('search_graph', { query: 'f1_2' }).then(() => during.push('search_graph answered'));
    const r = await running;
    expect(during).toEqual(['search_graph answered', 'detect_changes answered']);
    expect((r.data as { symbols_total: number }).symbols_total).toBe(1200);
    expect(bh.progress.map((p) => p.message)).toContain('walked the callers of 1000 of 1200 changed symbols');
    // MCP progress only increases.
    const values = bh.progress.map((p) => p.done);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  } finally {
    bh.close();
  }
});
