/**
 * A warm parse worker frees each task's tree-sitter trees once it is idle. tree-sitter 0.21 frees a tree's
 * native memory only when V8 collects its JS wrapper, and V8, not knowing what the wrapper holds, rarely ran
 * the major GC that would: the soak's daemon climbed ~28 MB over a warm worker's one-file edits, and a worker
 * re-parsing one 900 KB file grew ~12 MB per parse. The case runs in a child process (compiled code, as the
 * daemon runs it) so that its RSS is the parse worker's alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'codehive-trees-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** ~900 KB of TypeScript: its tree is tens of MB of native memory. */
function bigSource(): string {
  const parts: string[] = [];
  for (let i = 0, size = 0; size < 900_000; i++) {
    const part = `export class C${i} {\n  run(x: number): number {\n    return helper${i}(x) + this.other(x, [1, 2, 3]);\n  }\n  other(a: number, b: number[]): number { return a + b.length; }\n}\nfunction helper${i}(x: number): number {\n  return x * ${i};\n}\n`;
    parts.push(part);
    size += part.length;
  }
  return parts.join('');
}

/** The child's RSS in MB after each of `parses` parses of the file, each followed by `quietMs` of quiet. */
function rssAfterParses(parses: number, quietMs: number): number[] {
  writeFileSync(join(dir, 'big.ts'), bigSource());
  const script = join(dir, 'child.mjs');
  writeFileSync(
    script,
    `import { WorkerPool } from ${JSON.stringify(join(REPO, 'dist/packages/indexer/pool.js'))};
const log = { debug() {}, info() {}, warn() {}, error() {} };
const pool = new WorkerPool(1, log, {});
const rss = [];
for (let i = 0; i < ${parses}; i++) {
  const [r] = await pool.run({ kind: 'parse', task: { root: ${JSON.stringify(dir)}, maxFileBytes: 1 << 21, files: [{ path: 'big.ts', lang: 'typescript', knownHash: null }] } });
  if (r.status !== 'parsed') throw new Error('not parsed: ' + JSON.stringify(r));
  await new Promise((resolve) => setTimeout(resolve, ${quietMs}));
  rss.push(Math.round(process.memoryUsage.rss() / 1048576));
}
await pool.close();
console.log(JSON.stringify(rss));
`,
  );
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as number[];
}

describe('parse worker trees', () => {
  it('re-parsing a big file between quiet moments keeps the worker flat', () => {
    const rss = rssAfterParses(8, 300);
    // Measured: +4-6 MB from the second parse to the eighth with the idle GC, +85-90 MB without it.
    expect(rss[7]! - rss[1]!, `RSS after each parse (MB): ${rss.join(' ')}`).toBeLessThan(30);
  });
});
