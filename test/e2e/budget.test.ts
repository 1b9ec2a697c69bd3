/**
 * Token budget on a real corpus: rxjs@7.8.1's `src/` (fetched once with `npm pack` into `.bench-cache/` by
 * bench/corpora.ts), copied to a temp git repository, indexed through the shim. Every tool's default answer
 * (typical arguments, no limit given) must respect the documented budget (docs/tools.md, "Budget"):
 *
 *   the text content of an answer is at most 32 KB (32,768 bytes of UTF-8, ≈ 8k tokens at ~4 bytes a token),
 *   and so is its structuredContent serialised as compact JSON (a host may show the model either one).
 *
 * Answers with more results than the default page must say so with the truncation marker and a cursor.
 * The sizes are printed (text bytes, ≈ tokens, and the structuredContent JSON bytes) for docs/tools.md.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { corpusByName, ensureCorpus } from '../../bench/corpora.js';
import { TEXT_BUDGET } from '../../packages/tools/lib/budget.js';
import { connectMcp, makeTestEnv, type McpSession, type TestEnv } from '../helpers/processes.js';
import { call, git, tempProject, type Answer } from './helpers.js';

let t: TestEnv;
let s: McpSession;
let rx: ReturnType<typeof tempProject>;
const sizes: Array<{ call: string; text: number; json: number }> = [];

beforeAll(async () => {
  const { root: corpus } = await ensureCorpus(corpusByName('rxjs'));
  rx = tempProject('rxjs');
  cpSync(corpus, rx.root, { recursive: true });
  git(rx.root, 'init', '-q', '-b', 'main');
  git(rx.root, 'add', '.');
  git(rx.root, 'commit', '-q', '-m', 'rxjs 7.8.1 src');
  t = makeTestEnv();
  s = await connectMcp(t, rx.root);
  await s.client.listTools();
}, 180_000);

afterAll(async () => {
  await s?.close();
  await t?.cleanup();
  rx?.remove();
  if (sizes.length) {
    const rows = sizes.map((x) => `${x.call.padEnd(58)} ${String(x.text).padStart(6)} B  ≈${String(Math.round(x.text / 4)).padStart(5)} tok   data ${String(x.json).padStart(6)} B`);
    process.stdout.write(`\ndefault answer sizes on rxjs@7.8.1 src/ (text bytes, ≈ tokens at 4 bytes each, structuredContent JSON bytes):\n${rows.join('\n')}\n`);
  }
});

/** Calls a tool with typical arguments and checks the budget rule; records the sizes. */
async function within(name: string, args: Record<string, unknown> = {}): Promise<Answer> {
  const a = await call(s, name, args);
  expect(a.isError, a.raw).toBe(false);
  const text = Buffer.byteLength(a.raw, 'utf8');
  sizes.push({ call: `${name} ${JSON.stringify(args)}`.replace(rx.root, '<rxjs>'), text, json: Buffer.byteLength(JSON.stringify(a.data)) });
  expect(text, `${name} text bytes`).toBeLessThanOrEqual(TEXT_BUDGET);
  expect(sizes.at(-1)!.json, `${name} structuredContent JSON bytes`).toBeLessThanOrEqual(TEXT_BUDGET);
  return a;
}

/** A paged answer with more results than the default page: marker and cursor, in the text and the data. */
function expectTruncated(a: Answer, noun: string): void {
  const d = a.data as { truncated: number; next_cursor: string | null; shown: number; total: number };
  expect(d.truncated).toBeGreaterThan(0);
  expect(d.next_cursor).toBeTypeOf('string');
  expect(d.shown + d.truncated).toBe(d.total);
  expect(a.raw).toContain(`truncated: ${d.truncated} more ${noun}`);
  expect(a.raw).toContain(`next_cursor: ${d.next_cursor}`);
}

test('TEXT_BUDGET is the documented 32 KB', () => {
  expect(TEXT_BUDGET).toBe(32 * 1024);
  expect(readFileSync(join(import.meta.dirname, '../../docs/tools.md'), 'utf8')).toContain('`text` never exceeds 32 KB (≈ 8k tokens)');
});

test('index, then every read tool with typical arguments stays within the budget', async () => {
  const idx = await within('index_repository', { path: rx.root });
  expect((idx.data!.files as { total: number }).total).toBeGreaterThan(200);
  await within('index_status');
  await within('list_projects');
  await within('get_graph_schema');
  await within('get_architecture');

  // Default pages: 20 symbols, 30 hits; rxjs has far more, so both page with a marker and a cursor.
  const q = await within('search_graph', { query: 'subscribe' });
  expect((q.data!.results as unknown[]).length).toBe(20);
  expectTruncated(q, 'symbols');
  expectTruncated(await within('search_graph', { kind: 'Function' }), 'symbols');
  expectTruncated(await within('search_graph', { name_pattern: '^create' }), 'symbols');
  const code = await within('search_code', { pattern: 'subscribe' });
  expect((code.data!.hits as unknown[]).length).toBe(30);
  expectTruncated(code, 'hits');
  expectTruncated(await within('search_code', { pattern: 'return operate\\(\\(source, subscriber\\)', regex: true }), 'hits');
  await within('search_code', { pattern: 'new Observable(' });

  // The most-called helpers: wide call trees, cut by the default limit (50 hops) with a marker.
  const callers = await within('trace_path', { symbol: 'internal/util/isFunction.ts#isFunction' });
  expect((callers.data!.callers as { truncated: number }).truncated).toBeGreaterThan(0);
  expect(callers.raw).toMatch(/truncated: ≥?\d+ more callers hops not shown \(limit 50\)/);
  await within('trace_path', { symbol: 'operate', direction: 'both' });
  // A name that hundreds of unresolved (dynamic) call sites end in: subscriber.next(…).
  await within('trace_path', { symbol: 'internal/Subscriber.ts#Subscriber.next' });
  await within('trace_path', { symbol: 'Subscription.unsubscribe', direction: 'both', depth: 3 });
  await within('trace_path', { symbol: 'Observable.subscribe', direction: 'callees', depth: 6 });

  // Snippets: a big class, and a function.
  await within('get_code_snippet', { symbol: 'internal/Observable.ts#Observable' });
  await within('get_code_snippet', { symbol: 'mergeInternals' });
});

test('detect_changes on a change to the most-called helpers stays within the budget', async () => {
  for (const f of ['internal/util/isFunction.ts', 'internal/util/lift.ts', 'internal/operators/OperatorSubscriber.ts']) {
    const p = join(rx.root, f);
    writeFileSync(p, readFileSync(p, 'utf8').replace(/\{\n/, '{\n  // touched\n'));
  }
  await call(s, 'index_repository', { path: rx.root });
  const r = await within('detect_changes');
  expect((r.data!.symbols as unknown[]).length).toBeGreaterThan(0);
  await within('detect_changes', { depth: 4 });
});

test('delete_project', async () => {
  await within('delete_project', { project: rx.root });
});
