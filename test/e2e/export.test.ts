/**
 * `codehive export [project] --format jsonl` end to end: the CLI against a real daemon. The record format
 * (docs/tools.md, "export"): a project line, one line per node and per edge, and an `end` line with the
 * counts; and it streams: while a reader of a ~70k-record export pauses, the daemon's memory does not grow
 * by the size of the graph, and a reader that stops early leaves the daemon healthy.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openRequest } from '../../packages/client/http.js';
import { readRegistration } from '../../packages/config/registration.js';
import { ROUTES } from '../../packages/protocol/index.js';
import { BIN, daemonPids, makeTestEnv, runCli, type TestEnv } from '../helpers/processes.js';
import { copyProject, tempProject } from './helpers.js';

interface NodeRec {
  type: 'node';
  id: number;
  kind: string;
  name: string;
  qname: string;
  file: string | null;
  startLine: number | null;
  endLine: number | null;
}
interface EdgeRec {
  type: 'edge';
  edge: string;
  source: number;
  target: number;
  line?: number;
  strategy?: string;
  confidence?: number;
}

let t: TestEnv;
let basic: ReturnType<typeof copyProject>;
let big: ReturnType<typeof tempProject>;

beforeAll(async () => {
  t = makeTestEnv();
  basic = copyProject('tools/basic');
  big = tempProject('exportbig');
  // 600 files, 24k functions, ~48k edges: a graph whose export is ~7 MB.
  for (let d = 0; d < 15; d++) {
    mkdirSync(join(big.root, `m${d}`));
    for (let f = 0; f < 40; f++) {
      const body = Array.from({ length: 40 }, (_, i) => `export function f${d}_${f}_${i}(x: number): number {\n  return ${i ? `f${d}_${f}_${i - 1}(x)` : 'x'} + ${i};\n}\n`).join('');
      writeFileSync(join(big.root, `m${d}`, `f${f}.ts`), body);
    }
  }
  for (const root of [basic.root, big.root]) {
    const r = await runCli(t, ['index', root], root);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  basic?.remove();
  big?.remove();
});

function parse(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('node and edge records with the documented fields, ending with the counts', async () => {
  const r = await runCli(t, ['export', '--format', 'jsonl'], join(basic.root, 'src'));
  expect(r.code, r.stderr).toBe(0);
  const recs = parse(r.stdout);
  expect(recs[0]).toEqual({ type: 'project', root: basic.root, name: 'basic', indexedAt: expect.any(Number), gitHead: null });
  const end = recs.at(-1)!;
  const nodes = recs.filter((x) => x.type === 'node') as unknown as NodeRec[];
  const edges = recs.filter((x) => x.type === 'edge') as unknown as EdgeRec[];
  expect(end).toEqual({ type: 'end', nodes: nodes.length, edges: edges.length });
  expect(recs.length).toBe(nodes.length + edges.length + 2);

  for (const n of nodes) expect(Object.keys(n).sort()).toEqual(['endLine', 'file', 'id', 'kind', 'name', 'qname', 'startLine', 'type']);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  expect(byId.size).toBe(nodes.length);
  // Files are relative to the project root.
  expect(nodes.find((n) => n.qname === 'src/util.ts#parseNumber')).toMatchObject({ kind: 'Function', name: 'parseNumber', file: 'src/util.ts', startLine: 2, endLine: 4 });
  expect(nodes.find((n) => n.qname === 'src/server.ts#Server.start')).toMatchObject({ kind: 'Method', file: 'src/server.ts', startLine: 10, endLine: 12 });
  for (const n of nodes) if (n.file !== null) expect(n.file.startsWith('/'), n.qname).toBe(false);

  // Edges name existing nodes; every CALLS edge has the call's line, a strategy and a confidence.
  for (const e of edges) {
    expect(byId.has(e.source) && byId.has(e.target), JSON.stringify(e)).toBe(true);
    if (e.edge === 'CALLS') {
      expect(e.line).toBeTypeOf('number');
      expect(e.strategy).toBeTypeOf('string');
      expect(e.confidence).toBeGreaterThan(0);
    }
  }
  const calls = edges
    .filter((e) => e.edge === 'CALLS')
    .map((e) => `${byId.get(e.source)!.qname} -> ${byId.get(e.target)!.qname} L${e.line} ${e.strategy} ${e.confidence}`)
    .sort();
  expect(calls).toMatchInlineSnapshot(`
    [
      "src/jobs.ts#start -> src/jobs.ts#run L4 same-file 1",
      "src/jobs.ts#start -> src/main.ts#main L5 import 1",
      "src/main.ts#main -> src/main.ts#helper L8 same-file 1",
      "src/main.ts#main -> src/server.ts#Server L5 import 1",
      "src/main.ts#main -> src/server.ts#Server.listen L6 type-annotation 0.85",
      "src/main.ts#main -> src/util.ts#formatNumber L7 import 1",
      "src/server.ts#Server.listen -> src/server.ts#Server.start L7 this-class 0.95",
      "src/server.ts#Server.listen -> src/util.ts#parseNumber L6 import 1",
      "test/server.test.ts#testListen -> src/server.ts#Server L4 import 1",
      "test/server.test.ts#testListen -> src/server.ts#Server.listen L5 type-annotation 0.85",
    ]
  `);

  // The same counts as the graph schema tool.
  const schema = JSON.parse((await runCli(t, ['schema', '--json'], basic.root)).stdout) as { node_kinds: Array<{ count: number }>; edge_types: Array<{ count: number }> };
  expect(schema.node_kinds.reduce((a, k) => a + k.count, 0)).toBe(nodes.length);
  expect(schema.edge_types.reduce((a, k) => a + k.count, 0)).toBe(edges.length);
});

test('a project by name or root; an unknown one and an unknown format are refused', async () => {
  const byName = await runCli(t, ['export', 'basic'], '/');
  expect(byName.code, byName.stderr).toBe(0);
  expect(parse(byName.stdout)[0]!.root).toBe(basic.root);
  const unknown = await runCli(t, ['export', 'nope'], '/');
  expect(unknown.code).toBe(1);
  expect(unknown.stdout).toBe('');
  expect(unknown.stderr).toContain(`codehive: no project named nope. Known projects: `);
  expect(unknown.stderr).toContain(basic.root);
  const csv = await runCli(t, ['export', '--format', 'csv'], basic.root);
  expect(csv.code).toBe(2);
  expect(csv.stderr).toContain('unknown export format "csv"; the only format is jsonl');
});

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

test('a large graph streams: a paused reader holds the daemon at a page, and a reader that stops early does no harm', async () => {
  const [pid] = daemonPids(t.cacheDir);
  expect(pid).toBeTypeOf('number');
  const full = await runCli(t, ['export', big.root], '/');
  expect(full.code, full.stderr).toBe(0);
  const end = parse(full.stdout).at(-1) as { type: string; nodes: number; edges: number };
  expect(end.type).toBe('end');
  expect(end.nodes).toBeGreaterThan(20_000);
  expect(end.edges).toBeGreaterThan(40_000);
  const exportBytes = Buffer.byteLength(full.stdout);

  // The route itself, read by a client that stops reading after the first chunk: a streaming daemon
  // blocks on the socket (its memory stays put); one that built the whole answer would have it in memory.
  const reg = readRegistration(join(t.cacheDir, 'daemon.json'))!;
  const res = await openRequest(reg.socketPath, `${ROUTES.export}?${new URLSearchParams({ project: big.root, cwd: '/' })}`);
  let received = 0;
  await new Promise<void>((resolve) =>
    res.on('data', (c: Buffer) => {
      if (received === 0) {
        res.pause();
        resolve();
      }
      received += c.length;
    }),
  );
  const before = rssKb(pid!);
  let peak = before;
  for (let i = 0; i < 100; i++) {
    peak = Math.max(peak, rssKb(pid!));
    await sleep(15);
  }
  res.resume();
  await new Promise((resolve) => res.once('end', resolve));
  expect(received).toBe(exportBytes);
  process.stdout.write(
    `export of ${end.nodes} nodes + ${end.edges} edges: ${(exportBytes / 1024 / 1024).toFixed(1)} MB of JSON lines; ` +
      `daemon RSS while the reader paused: ${(before / 1024).toFixed(0)} MB → peak ${(peak / 1024).toFixed(0)} MB (+${((peak - before) / 1024).toFixed(1)} MB)\n`,
  );
  // Loose: well under the size of the graph's JSON.
  expect((peak - before) * 1024).toBeLessThan(exportBytes / 2);

  // A reader that goes away after the first chunk: the daemon stops writing and answers the next export.
  const child = spawn(process.execPath, [BIN, 'export', big.root], { env: t.env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const again = await runCli(t, ['export', basic.root], '/');
  expect(again.code, again.stderr).toBe(0);
  expect(parse(again.stdout).at(-1)!.type).toBe('end');
  expect(daemonPids(t.cacheDir)).toEqual([pid]);
});
