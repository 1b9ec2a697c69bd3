/**
 * A parser worker thread. Holds one parser and one compiled query per language for its whole life (parser
 * objects leak before tree-sitter 0.22, and compiling queries is not free), and parses batches of files
 * into facts. It never touches the database: better-sqlite3 lives in the main thread only. (Resolution runs
 * in the resolve worker, `resolve-worker.ts`.)
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../config/thread-priority.js';
import Parser from 'tree-sitter';
import JavaScript from 'tree-sitter-javascript';
import TypeScript from 'tree-sitter-typescript';
import type { Lang, ParseTask } from './facts.js';
import { buildErrorQuery, buildQuery } from './extract/queries.js';
import { installFastNodes } from './extract/fast-nodes.js';
import { parseFile, type LanguageKit } from './extract/parse-file.js';

lowerThisThreadPriority();

export type WorkerTask = { kind: 'parse'; task: ParseTask };

// Native node getters are most of the extraction's cost in tree-sitter 0.21: use the verified shortcuts.
installFastNodes([TypeScript.typescript, TypeScript.tsx, JavaScript]);

const kits = new Map<Lang, LanguageKit>();

function kit(lang: Lang): LanguageKit {
  let k = kits.get(lang);
  if (!k) {
    const language = lang === 'typescript' ? TypeScript.typescript : lang === 'tsx' ? TypeScript.tsx : JavaScript;
    const parser = new Parser();
    parser.setLanguage(language);
    k = { parser, query: buildQuery(language), errors: buildErrorQuery(language) };
    kits.set(lang, k);
  }
  return k;
}

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

/**
 * Trees live in native memory V8 does not count, and are freed only when their (tiny) JS wrappers are
 * collected. Wrappers that outlive a scavenge wait for a full GC, which V8 runs on its own heap's growth
 * only: over a day of edits and re-indexes a worker's native memory climbed by hundreds of MB. So a worker
 * that parsed enough files since its last full GC runs one as soon as it goes quiet — on its own thread, off
 * every other thread's path, and never in the middle of a job's batches (that slowed the parse).
 */
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
/** About a tenth of a 360-file project: a full index ends with one GC, a run of small edits every so often. */
const GC_AFTER_FILES = 32;
const GC_WHEN_QUIET_MS = 100;
let parsedSinceGc = 0; // files
let gcTimer: NodeJS.Timeout | undefined;

function collectWhenQuiet(files: number): void {
  parsedSinceGc += files;
  if (gcTimer) clearTimeout(gcTimer);
  gcTimer = undefined;
  if (parsedSinceGc < GC_AFTER_FILES) return;
  gcTimer = setTimeout(() => {
    gcTimer = undefined;
    parsedSinceGc = 0;
    fullGc();
    parentPort!.postMessage({ gc: true });
  }, GC_WHEN_QUIET_MS).unref();
}

parentPort!.on('message', ({ id, msg }: { id: number; msg: WorkerTask }) => {
  if (gcTimer) clearTimeout(gcTimer);
  try {
    parentPort!.postMessage({ id, ok: true, result: run(msg) });
  } catch (err) {
    parentPort!.postMessage({ id, ok: false, error: (err as Error).stack ?? String(err) });
  }
  collectWhenQuiet(msg.task.files.length);
});
