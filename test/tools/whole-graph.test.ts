/**
 * Reads over a whole snapshot (lib/whole-graph.ts: the graph's and the schema's counts, the architecture's graph, the near
 * matches of an unknown symbol): on the daemon's read thread, with its own read-only
 * connection, they answer exactly what the main thread would; callers asking at once share one read; a read
 * whose snapshot was replaced meanwhile follows the project to its new one.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CodehiveError } from '../../packages/protocol/index.js';
import { getProject, type ProjectRow } from '../../packages/store/projects.js';
import { WholeGraphReads } from '../../packages/tools/lib/whole-graph.js';
import { harness, silentLog, type Harness } from './context.js';
import { copyFixture } from './fixture.js';
import { seedGraph } from './seed.js';

describe('whole-graph reads', () => {
  let h: Harness;
  let project: ProjectRow;
  let onThread: WholeGraphReads;
  let inline: WholeGraphReads;
  const live = async () => getProject(h.store, project.id)!;

  beforeAll(() => {
    const root = copyFixture('basic');
    h = harness({ cwd: root });
    project = seedGraph(h.store, root);
    onThread = WholeGraphReads.onThread(h.store, silentLog);
    inline = new WholeGraphReads(h.store, null);
  });
  afterAll(async () => {
    await onThread.close();
    h.close();
  });

  test('the read thread answers what the main thread would', async () => {
    const architecture = (reads: WholeGraphReads, scope: string) => reads.read(live, 'architecture', () => ({ scope, limit: 10 }));
    const schema = (reads: WholeGraphReads) => reads.read(live, 'schema', () => ({}));
    const near = (reads: WholeGraphReads) => reads.read(live, 'near', () => ({ symbol: 'src/util.ts#parseNumbr' }));
    const counts = (reads: WholeGraphReads) => reads.read(live, 'counts', () => ({}));

    // Inline first, then a write so the thread's answers are not the memo's.
    const expected = { schema: (await schema(inline)).value, whole: (await architecture(inline, '')).value, src: (await architecture(inline, 'src')).value, near: (await near(inline)).value, counts: (await counts(inline)).value };
    h.store.write(() => undefined);
    const got = { schema: (await schema(onThread)).value, whole: (await architecture(onThread, '')).value, src: (await architecture(onThread, 'src')).value, near: (await near(onThread)).value, counts: (await counts(onThread)).value };
    expect(got).toEqual(expected);

    // Not an empty graph agreeing with itself: the fixture's calls, imports and files are all there.
    expect(got.schema.edges.find((e) => e.type === 'CALLS')?.n).toBeGreaterThan(0);
    expect(got.whole.imports.length).toBeGreaterThan(0);
    expect(got.whole.called.length).toBeGreaterThan(0);
    expect(got.src.files.length).toBe(got.whole.files.length); // files are the project's; the scope limits `called`
    expect(got.src.called.every((c) => c.file.startsWith('src/'))).toBe(true);
    expect(got.near.map((n) => n.qname)).toContain('src/util.ts#parseNumber');
    expect(got.counts.files).toBe(got.whole.files.length);
    expect(got.counts.symbols).toBe(got.schema.kinds.filter((k) => !['Project', 'Folder', 'File'].includes(k.kind)).reduce((n, k) => n + k.n, 0));
    expect(got.counts.calls).toBe(got.schema.edges.find((e) => e.type === 'CALLS')?.n);
  });

  test('the read thread reads the file without mapping it', async () => {
    // A second connection's memory map is a second copy of the file's pages in the daemon's RSS: with the
    // daemon's 64 MiB map the thread's scans put up to the whole file there, a little more per snapshot, and
    // the soak's RSS climbed ~1 MB/min file-backed. /proc/self/maps lists this process's mappings, the
    // thread's included.
    const mappingsOfDb = () => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(` ${h.store.path}`)).length;
    h.store.write(() => undefined);
    h.store.db.pragma('wal_checkpoint(PASSIVE)'); // pages still in the WAL are read from it, never mapped
    const got = await onThread.read(live, 'architecture', () => ({ scope: '', limit: 10 }));
    expect(got.value.files.length).toBeGreaterThan(0);
    expect(onThread.stats().alive).toBe(true);
    expect(mappingsOfDb()).toBe(0); // the harness's own connection maps nothing either (mmapSize 0)
  });

  test('callers asking at once share one read, remembered until the next write', async () => {
    h.store.write(() => undefined);
    const before = h.store.memo.stats();
    const answers = await Promise.all(Array.from({ length: 6 }, () => onThread.read(live, 'schema', () => ({}))));
    const after = h.store.memo.stats();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(5);
    for (const a of answers) expect(a.value).toBe(answers[0]!.value);

    h.store.write(() => h.store.db.prepare(`DELETE FROM edges WHERE type = 'IMPORTS'`).run());
    const fresh = await onThread.read(live, 'schema', () => ({}));
    expect(fresh.value.edges.find((e) => e.type === 'IMPORTS')).toBeUndefined();
    expect(answers[0]!.value.edges.find((e) => e.type === 'IMPORTS')).toBeDefined();
  });

  test('the read thread collects its garbage once idle', async () => {
    // Each read's rows are garbage once posted; without a collection when idle they sat in the thread's old
    // generation (and its committed heap grew 22 -> 38 MB in a 32-session soak).
    const before = onThread.stats().idleCollections;
    h.store.write(() => undefined);
    await onThread.read(live, 'architecture', () => ({ scope: '', limit: 10 }));
    while (onThread.stats().idleCollections === before) await new Promise((r) => setTimeout(r, 20));
    const s = onThread.stats();
    expect(s.alive).toBe(true);
    expect(s.heap.usedBytes).toBeGreaterThan(0);
    expect(s.heap.usedBytes).toBeLessThanOrEqual(s.heap.totalBytes);
  });

  test('a read whose snapshot is no longer live looks the project up again', async () => {
    for (const reads of [inline, onThread]) {
      let lookups = 0;
      // The first lookup returns the project as it was before a re-index replaced its snapshot.
      const replaced = async () => (lookups++ === 0 ? { ...(await live()), snapshot: 987_654 } : live());
      const got = await reads.read(replaced, 'schema', () => ({}));
      expect(lookups).toBe(2);
      expect(got.project.snapshot).toBe((await live()).snapshot);
      expect(got.value.kinds.length).toBeGreaterThan(0);

      const alwaysReplaced = async () => ({ ...(await live()), snapshot: 987_654 });
      const err = await reads.read(alwaysReplaced, 'schema', () => ({})).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CodehiveError);
      expect((err as CodehiveError).code).toBe('BUSY');
    }
  });
});
