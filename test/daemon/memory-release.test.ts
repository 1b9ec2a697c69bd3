/**
 * Freed native memory goes back to the system (daemon/memory-release.ts, packages/config/glibc-malloc.ts): the
 * soak's daemon kept 15-20 MB more RSS after every full index, freed by the indexer but held by glibc.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAVY_JOB_BYTES, MemoryReleaser } from '../../daemon/memory-release.js';
import { GcWatch } from '../../daemon/gc-watch.js';
import { exposeGc } from '../../packages/config/heap.js';
import { createLogger } from '../../packages/log/index.js';
import { nodeOutput, REPO } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'chv-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A child process (its own malloc arenas): fragments ~80 MB of native memory, frees 98 % of it, then trims.
const FRAGMENT_AND_TRIM = `
import { mallocStats, mallocTrim, mallocTrimAvailable } from ${JSON.stringify(join(REPO, 'dist/packages/config/glibc-malloc.js'))};
let kept = [];
let all = Array.from({ length: 40000 }, (_, i) => { const b = Buffer.allocUnsafeSlow(2000); b[0] = i; return b; });
const allocated = await mallocStats();
kept = all.filter((_, i) => i % 50 === 0);
all = null;
for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 100)); }
const freed = await mallocStats();
const before = process.memoryUsage.rss();
const released = await mallocTrim();
const after = process.memoryUsage.rss();
console.log(JSON.stringify({ available: mallocTrimAvailable(), released, before, after, allocated, freed, kept: kept.length }));
`;

describe('memory release', () => {
  it('malloc_trim returns freed, fragmented native memory to the system (glibc)', async () => {
    const out = await nodeOutput(['--expose-gc', '--input-type=module', '-e', FRAGMENT_AND_TRIM]);
    type Stats = { inUseBytes: number; freeBytes: number };
    const r = JSON.parse(out) as { available: boolean; released: boolean; before: number; after: number; allocated: Stats; freed: Stats };
    expect(r.available).toBe(true); // this machine runs glibc; musl or macOS would report false
    expect(r.released).toBe(true);
    expect(r.before - r.after).toBeGreaterThan(40 * 1024 * 1024);
    // mallinfo2 saw the ~78 MB freed move from in use to free (glibc ≥ 2.33 here).
    expect(r.allocated.inUseBytes - r.freed.inUseBytes).toBeGreaterThan(60 * 1024 * 1024);
    expect(r.freed.freeBytes - r.allocated.freeBytes).toBeGreaterThan(60 * 1024 * 1024);
  });

  it("a trim first empties SQLite's page cache: a store's write-filled cache goes back to the system", async () => {
    // A child with a real store: writes ~40 MB through the page cache (cache_size 32 MB), then releases.
    const script = `
import { Store } from ${JSON.stringify(join(REPO, 'dist/packages/store/db.js'))};
import { mallocTrim } from ${JSON.stringify(join(REPO, 'dist/packages/config/glibc-malloc.js'))};
const store = Store.open(${JSON.stringify(join(dir, 'cache.db'))}, { mmapSize: 64 << 20, journalSizeLimit: 64 << 20 });
store.db.exec('CREATE TABLE filler(id INTEGER PRIMARY KEY, body BLOB)');
const insert = store.db.prepare('INSERT INTO filler(body) VALUES (?)');
store.db.transaction(() => { for (let i = 0; i < 10000; i++) insert.run(Buffer.alloc(4000, i)); })();
await mallocTrim();
const before = process.memoryUsage.rss();
store.releaseMemory();
await mallocTrim();
console.log(JSON.stringify({ before, after: process.memoryUsage.rss() }));
store.close();
`;
    const out = await nodeOutput(['--input-type=module', '-e', script]);
    const r = JSON.parse(out) as { before: number; after: number };
    expect(r.before - r.after).toBeGreaterThan(20 * 1024 * 1024);
  });

  const log = createLogger(join(dir, 'daemon.log'), { tag: 'test', level: 'debug' });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const trimsAfter = async (releaser: MemoryReleaser, n: number) => {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && releaser.stats().trims < n) await sleep(20);
    return releaser.stats().trims;
  };

  it('trims a delay after a job ends; a job running then makes it wait', async () => {
    let busy = true;
    const releaser = new MemoryReleaser(() => busy, log, { delayMs: 50, maxWaitMs: 60_000, minIntervalMs: 0 });
    releaser.schedule();
    await sleep(300);
    expect(releaser.stats().trims).toBe(0); // a job was running each time it came due
    releaser.jobEnded(1_000);
    releaser.jobEnded(40_000);
    expect(releaser.stats()).toMatchObject({ jobsSinceTrim: 2, bytesReadSinceTrim: 41_000 });
    busy = false;
    releaser.schedule(); // already pending: no second trim
    expect(await trimsAfter(releaser, 1)).toBe(1);
    await sleep(200);
    const s = releaser.stats();
    // The jobs' memory has been given back: status says so.
    expect(s).toMatchObject({ available: true, trims: 1, jobsSinceTrim: 0, bytesReadSinceTrim: 0 });
    expect(s.last!.releasedBytes).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, 'daemon.log'), 'utf8')).toMatch(/malloc trimmed/);
    releaser.close();
  });

  it('jobs that never stop coming delay a trim by at most maxWait', async () => {
    const releaser = new MemoryReleaser(() => true, log, { delayMs: 30, maxWaitMs: 2_000, minIntervalMs: 0 });
    releaser.schedule();
    await sleep(200);
    expect(releaser.stats().trims).toBe(0);
    expect(await trimsAfter(releaser, 1)).toBe(1);
    releaser.close();
  });

  it('waits a delay after a heavy job ends: its extra workers and trees are still being freed', async () => {
    const releaser = new MemoryReleaser(() => false, log, { delayMs: 1_000, maxWaitMs: 60_000, minIntervalMs: 0 });
    releaser.schedule(); // due at 1 s
    await sleep(500);
    releaser.jobEnded(HEAVY_JOB_BYTES + 1);
    await sleep(1_000);
    expect(releaser.stats().trims).toBe(0); // came due 0.5 s after the heavy job: waited another delay
    expect(await trimsAfter(releaser, 1)).toBe(1);
    expect(releaser.stats()).toMatchObject({ jobsSinceTrim: 0, bytesReadSinceTrim: 0 });
    releaser.close();
  });

  it("a trim collects the main thread's garbage first: the native memory dead objects held goes back too", async () => {
    // A child (its own heap and arenas): ~48 MB of buffers, moved to the old generation while held (so only a
    // major collection frees them, and under V8's 64 MB external-memory trigger none starts by itself), then
    // dropped; one trim with the collection and one without.
    const trimAfterGarbage = (collect: boolean) => `
import { MemoryReleaser } from ${JSON.stringify(join(REPO, 'dist/daemon/memory-release.js'))};
import { exposeGc } from ${JSON.stringify(join(REPO, 'dist/packages/config/heap.js'))};
import { createLogger } from ${JSON.stringify(join(REPO, 'dist/packages/log/index.js'))};
const log = createLogger(${JSON.stringify(join(dir, 'child.log'))}, { tag: 'child' });
const releaser = new MemoryReleaser(() => false, log, ${collect ? '{ collectGarbage: exposeGc() }' : '{}'});
let held = Array.from({ length: 12000 }, (_, i) => { const b = Buffer.allocUnsafeSlow(4000); b.fill(i); return b; });
gc(); gc();
held = null;
await releaser.releaseNow();
console.log(JSON.stringify(releaser.stats().last));
`;
    type Last = { releasedBytes: number; gcMs: number | null };
    const run = async (collect: boolean) => JSON.parse(await nodeOutput(['--expose-gc', '--input-type=module', '-e', trimAfterGarbage(collect)])) as Last;
    const [collected, uncollected] = [await run(true), await run(false)];
    expect(collected.gcMs).toBeGreaterThan(0);
    expect(collected.releasedBytes).toBeGreaterThan(30 * 1024 * 1024);
    // Without it the buffers are still alive to V8 at the trim, and their memory stays.
    expect(uncollected.gcMs).toBeNull();
    expect(uncollected.releasedBytes).toBeLessThan(10 * 1024 * 1024);
  });

  it("the GC watch adds up the main thread's collection time (V8 reports it)", async () => {
    const gc = exposeGc();
    const watch = new GcWatch();
    watch.start();
    gc(); // a full collection
    await sleep(50); // entries are delivered after the collection
    watch.stop();
    expect(watch.totalMs).toBeGreaterThan(0);
  });

  it('a trim forced by maxWait right after a heavy job does not count that job as trimmed', async () => {
    const releaser = new MemoryReleaser(() => true, log, { delayMs: 500, maxWaitMs: 0, minIntervalMs: 0 });
    releaser.schedule(); // due at 0.5 s, forced (maxWait 0) although a job runs
    await sleep(150);
    releaser.jobEnded(HEAVY_JOB_BYTES + 76);
    releaser.jobEnded(5_000); // a one-file edit: nothing left to free after a trim
    expect(await trimsAfter(releaser, 1)).toBe(1);
    // Status still counts the heavy job: RSS right after this trim is not a resting baseline.
    expect(releaser.stats()).toMatchObject({ jobsSinceTrim: 1, bytesReadSinceTrim: HEAVY_JOB_BYTES + 76 });
    releaser.close();
  });

  it('collects, then runs beforeTrim, right before each trim; a throwing beforeTrim does not stop the trim', async () => {
    const order: string[] = [];
    const releaser = new MemoryReleaser(() => false, log, {
      minIntervalMs: 0,
      collectGarbage: () => order.push('collect'),
      beforeTrim: () => {
        order.push(`before trim ${releaser.stats().trims + 1}`);
        if (order.length === 4) throw new Error('cache busy');
      },
    });
    await releaser.releaseNow();
    await releaser.releaseNow();
    expect(order).toEqual(['collect', 'before trim 1', 'collect', 'before trim 2']);
    expect(releaser.stats().trims).toBe(2);
    releaser.close();
  });

  it('trims at most once per minInterval, however many jobs end', async () => {
    const releaser = new MemoryReleaser(() => false, log, { delayMs: 20, maxWaitMs: 60_000, minIntervalMs: 3_000 });
    await releaser.releaseNow();
    releaser.schedule();
    await sleep(300);
    expect(releaser.stats().trims).toBe(1); // due 20 ms after the job, held back until 3 s after the last trim
    expect(await trimsAfter(releaser, 2)).toBe(2);
    releaser.close();
  });
});
