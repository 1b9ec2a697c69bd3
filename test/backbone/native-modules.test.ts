/**
 * A dependency whose native code was never built (npm 12 skips install scripts package.json's allowScripts
 * does not allow; --ignore-scripts skips them all) is named, with the command that builds it, instead of the
 * loader's "Could not locate the bindings file" and thirteen paths. The errors here are the real loaders'
 * (`bindings`, `node-gyp-build`) pointed at a directory with nothing built.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isNativeModuleNotBuilt, nativeModuleNotBuilt, NATIVE_MODULES } from '../../packages/config/native-modules.js';
import { WorkerPool } from '../../packages/indexer/pool.js';
import { CodehiveError } from '../../packages/protocol/index.js';
import { REPO } from '../helpers/processes.js';

const require = createRequire(import.meta.url);
const empty = mkdtempSync(join(tmpdir(), 'codehive-unbuilt-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));
const silent = { debug() {}, info() {}, warn() {}, error() {}, file: '' };

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('native code that was never built', () => {
  it("is recognised in both loaders' errors, and only there", () => {
    const bindings = thrown(() => require('bindings')({ bindings: 'better_sqlite3.node', module_root: empty }));
    const gypBuild = thrown(() => require('node-gyp-build')(empty));
    expect(isNativeModuleNotBuilt(bindings)).toBe(true);
    expect(isNativeModuleNotBuilt(gypBuild)).toBe(true);
    expect(isNativeModuleNotBuilt(new Error('SQLITE_CANTOPEN: unable to open database file'))).toBe(false);
  });

  it('says what to run, naming every module package.json allows to build', () => {
    const err = nativeModuleNotBuilt('better-sqlite3', thrown(() => require('bindings')({ bindings: 'better_sqlite3.node', module_root: empty })));
    expect(err.code).toBe('NOT_BUILT');
    expect(err.message).toContain('better-sqlite3: native code not built (Could not locate the bindings file.);');
    expect(err.message).toContain(`npm rebuild ${NATIVE_MODULES.join(' ')}`);
    expect(err.message.split('\n')).toHaveLength(1); // not the loader's thirteen paths
    // The list is package.json's allowScripts: one changes, so must the other.
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    const allowed = Object.entries(pkg.allowScripts).filter(([, ok]) => ok).map(([name]) => name);
    expect([...allowed].sort()).toEqual([...NATIVE_MODULES].sort());
  });

  it("a parse worker whose tree-sitter is not built fails its task with that error, not 'worker died'", async () => {
    const entry = join(empty, 'unbuilt-worker.mjs');
    writeFileSync(entry, `import { createRequire } from 'node:module';\ncreateRequire(${JSON.stringify(join(REPO, 'package.json'))})('node-gyp-build')(${JSON.stringify(empty)});\n`);
    const pool = new WorkerPool(1, silent, { entry: pathToFileURL(entry), name: 'parse worker' });
    const err = await pool.run({ kind: 'parse', task: { root: empty, maxFileBytes: 1024, files: [] } }).catch((e: unknown) => e);
    await pool.close();
    expect(err).toBeInstanceOf(CodehiveError);
    expect((err as CodehiveError).code).toBe('NOT_BUILT');
    expect((err as CodehiveError).message).toMatch(/^parse worker: native code not built \(No native build was found/);
  });
});
