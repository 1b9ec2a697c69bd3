/**
 * Bad input never stops an index: oversized, binary, invalid UTF-8, syntax errors, symlink loops, files
 * vanishing between listing and reading — each is reported and the rest is indexed. Also: a cancelled
 * full re-index leaves the published graph untouched.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodehiveError } from '../../packages/protocol/index.js';
import { getProject } from '../../packages/store/projects.js';
import { dump, edges, openEnv, type Env } from './helpers.js';

let env: Env;
beforeAll(() => {
  env = openEnv();
});
afterAll(async () => {
  await env.close();
});

function badProject(): string {
  const root = join(env.dir, 'bad');
  mkdirSync(join(root, 'src', 'nested'), { recursive: true });
  writeFileSync(join(root, 'src', 'ok.ts'), 'export function ok(): number {\n  return 1;\n}\n');
  writeFileSync(join(root, 'src', 'uses.ts'), "import { ok } from './ok';\nexport function uses(): number {\n  return ok();\n}\n");
  // 5 MB of valid code, over the 1 MiB default limit.
  writeFileSync(join(root, 'src', 'huge.ts'), 'export const x = 1;\n'.repeat(260_000));
  writeFileSync(join(root, 'src', 'binary.ts'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x00]));
  writeFileSync(join(root, 'src', 'latin1.ts'), Buffer.concat([Buffer.from('export function caf'), Buffer.from([0xe9]), Buffer.from('(): void {}\n')]));
  writeFileSync(join(root, 'src', 'broken.ts'), 'export function fine(): void {}\nexport function broken( {\n  return ;;; }}}\n');
  writeFileSync(join(root, 'src', 'vanishing.ts'), 'export function gone(): void {}\n');
  symlinkSync('..', join(root, 'src', 'nested', 'loop')); // a directory loop
  symlinkSync('self.ts', join(root, 'src', 'self.ts')); // a link to itself
  // Ignored: built-in dirs, .gitignore and .codehiveignore.
  mkdirSync(join(root, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(root, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
  mkdirSync(join(root, 'generated'));
  writeFileSync(join(root, 'generated', 'out.ts'), 'export const g = 1;\n');
  writeFileSync(join(root, '.gitignore'), 'generated/\n');
  writeFileSync(join(root, 'src', '.codehiveignore'), 'secret.ts\n');
  writeFileSync(join(root, 'src', 'secret.ts'), 'export const s = 1;\n');
  return root;
}

describe('bad input', () => {
  it('indexes what it can and reports every bad file', async () => {
    const root = badProject();
    const report = await env.indexer.index(root, {
      mode: 'full',
      onProgress: (p) => {
        // Listed by the scan, deleted before the parse workers read it.
        if (p.phase === 'scan' && p.done === 1) rmSync(join(root, 'src', 'vanishing.ts'));
      },
    });
    const skipped = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
    expect(skipped['src/huge.ts']).toMatch(/^too large \(5\.0 MiB > 1 MiB\)$/);
    expect(skipped['src/binary.ts']).toBe('binary (NUL byte)');
    expect(skipped['src/vanishing.ts']).toBe('unreadable: ENOENT');
    expect(skipped['src/self.ts']).toBe('symlink loop');
    expect(skipped['src/nested/loop']).toBe('symlinked directory (not followed)');
    const errors = Object.fromEntries(report.errors.map((e) => [e.path, e.message]));
    expect(errors['src/latin1.ts']).toMatch(/invalid UTF-8/);
    expect(errors['src/broken.ts']).toMatch(/syntax errors/);

    const files = dump(env.store, root).files.map((f) => JSON.parse(f).path as string);
    expect(files).toEqual(['src/broken.ts', 'src/latin1.ts', 'src/ok.ts', 'src/uses.ts']);
    expect(edges(env.store, root, 'CALLS')).toEqual(['src/uses.ts#uses:3 -> src/ok.ts#ok (import)']);
    const names = (env.store.db.prepare(`SELECT qname FROM nodes WHERE file = 'src/broken.ts'`).all() as Array<{ qname: string }>).map((r) => r.qname);
    expect(names).toContain('src/broken.ts#fine');
    expect(getProject(env.store, report.projectId)!.state).toBe('ready');
  });

  it('a cancelled full re-index leaves the published graph intact', async () => {
    const root = join(env.dir, 'bad');
    const before = dump(env.store, root);
    const snapshotBefore = getProject(env.store, 1)!.snapshot;
    writeFileSync(join(root, 'src', 'extra.ts'), "import { ok } from './ok';\nexport const e = ok();\n");
    const ac = new AbortController();
    const run = env.indexer.index(root, {
      mode: 'full',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'write') ac.abort();
      },
    });
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof CodehiveError && e.code === 'CANCELLED');
    expect(dump(env.store, root)).toEqual(before);
    const project = getProject(env.store, 1)!;
    expect(project.snapshot).toBe(snapshotBefore);
    expect(project.state).toBe('ready');
    // The unfinished snapshot was dropped, nothing orphaned.
    expect(await env.indexer.sweepOrphans()).toEqual([]);
  });

  it('an orphan sweep while a full index writes its new snapshot spares that snapshot', async () => {
    const root = join(env.dir, 'bad');
    let sweep: Promise<number[]> | undefined;
    const report = await env.indexer.index(root, {
      mode: 'full',
      onProgress: (p) => {
        if (p.phase === 'write') sweep ??= env.indexer.sweepOrphans();
      },
    });
    expect(sweep).toBeDefined();
    expect(await sweep).toEqual([]);
    const project = getProject(env.store, report.projectId)!;
    const nodes = env.store.db.prepare('SELECT count(*) AS c FROM nodes WHERE snapshot = ?').get(project.snapshot) as { c: number };
    expect(nodes.c).toBe(report.nodes);
    expect(edges(env.store, root, 'CALLS')).toContain('src/uses.ts#uses:3 -> src/ok.ts#ok (import)');
  });
});
