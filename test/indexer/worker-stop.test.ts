/**
 * Closing the indexer while its workers are busy must end the process cleanly. Terminating a thread in the
 * middle of a tree-sitter parse (a task, or a fresh standby's warm-up parses) aborted the whole process with
 * "terminate called after throwing an instance of 'Napi::Error'", e.g. a daemon stopped mid-index. The case
 * runs in a child process (compiled code, as the daemon runs it) so an abort shows as its exit status
 * instead of taking the test runner down.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runNode, type NodeResult } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'codehive-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A project big enough that parsing it takes many batches. */
function project(files: number): string {
  const root = join(dir, `p${files}`);
  mkdirSync(root, { recursive: true });
  const body = Array.from({ length: 60 }, (_, i) => `export function f${i}(x: number): number {\n  return g(x) + ${i};\n}\n`).join('');
  for (let i = 0; i < files; i++) writeFileSync(join(root, `m${i}.ts`), `import { g } from './g';\n${body}`);
  writeFileSync(join(root, 'g.ts'), 'export function g(x: number): number {\n  return x;\n}\n');
  return root;
}

/** Runs `body` (an async function of `indexer`, `root`) in a child process with a real store and indexer. */
function runChild(root: string, body: string): Promise<NodeResult> {
  const script = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    script,
    `import { createIndexer } from ${JSON.stringify(join(REPO, 'dist/packages/indexer/index.js'))};
import { Store } from ${JSON.stringify(join(REPO, 'dist/packages/store/db.js'))};
const log = { debug() {}, info() {}, warn() {}, error() {}, file: '' };
const store = Store.open(${JSON.stringify(join(dir, `${Math.random().toString(36).slice(2)}.db`))}, { mmapSize: 0, journalSizeLimit: 1 << 26 });
const indexer = createIndexer(store, { mmapSize: 0, idleTimeoutSec: 60, watch: false, fence: true, maxFileBytes: 1 << 20, workers: 2, journalSizeLimit: 1 << 26, allowedRoots: null }, log);
const root = ${JSON.stringify(root)};
await (async (indexer, root) => { ${body} })(indexer, root);
store.close();
console.log('closed');
`,
  );
  return runNode([script], { timeoutMs: 50_000 });
}

describe('closing the indexer with busy workers', () => {
  it('in the middle of a full index: the process exits normally', async () => {
    const root = project(300);
    const r = await runChild(
      root,
      `let parsing;
       const started = new Promise((resolve) => { parsing = resolve; });
       const job = indexer.index(root, { mode: 'full', onProgress: (p) => { if (p.phase === 'parse' && p.done > 0) parsing(); } }).catch((e) => e);
       await started; // the first batch is back; the others are being parsed
       await indexer.close();
       const outcome = await job;
       if (!(outcome instanceof Error)) throw new Error('the index finished before the close: the case did not happen');`,
    );
    expect(r.stderr).not.toContain('terminate called');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  });
});
