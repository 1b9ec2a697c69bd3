/**
 * A parser worker thread. Holds one parser per language for its whole life
 * (extract/kits.ts), and parses batches of files into facts. It never touches the database: better-sqlite3
 * lives in the main thread only. (Resolution runs in the resolve worker, `resolve-worker.ts`.)
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectWhenIdle } from '../config/heap.js';
import { lowerThisThreadPriority } from '../config/thread-priority.js';
import type { ParseTask, WARM_UP } from './facts.js';
import { reply, reportCollected, reportHeap, serveTasks } from './worker-reply.js';
import { languageKits } from './extract/kits.js';
import { parseFile } from './extract/parse-file.js';

lowerThisThreadPriority();

export type WorkerTask = { kind: 'parse'; task: ParseTask };

const kit = languageKits();
const collector = collectWhenIdle(reportCollected);

/** What a standby parses to warm up (next to this file once compiled), and how many times. */
const WARM_UP_SOURCES = ['extract/extract.js', 'index.js'];
const WARM_UP_PASSES = 3;

function run(msg: WorkerTask): unknown {
  const { root, maxFileBytes, files } = msg.task;
  return files.map((f) => {
    try {
      return parseFile(root, f, maxFileBytes, kit);
    } catch (err) {
      // A parser failure on one file must not lose the batch.
      return { path: f.path, status: 'skipped', reason: `parse failed: ${(err as Error).message}` };
    }
  });
}

serveTasks<WorkerTask | typeof WARM_UP>(({ id, msg }) => {
  collector.busy();
  if (msg.kind === 'warm-up') {
    // Loading each grammar and checking the node shortcuts on it are paid here, not by the next edit. So is
    // the JIT's warm-up of the extraction code: a few parses of this package's own compiled sources (valid
    // TypeScript), whose results are dropped. Without it the first edit after a recycle took ~40 ms longer.
    for (const lang of ['typescript', 'tsx', 'javascript'] as const) kit(lang);
    const here = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < WARM_UP_PASSES; i++) {
      for (const path of WARM_UP_SOURCES) parseFile(here, { path, lang: 'typescript', knownHash: null }, Infinity, kit);
    }
    collector.idle();
    reportHeap();
    return;
  }
  reply(id, () => run(msg));
  collector.idle();
});
