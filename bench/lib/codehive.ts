/**
 * A throw-away codehive graph for a benchmark: a temp cache dir with its own SQLite file opened the way the
 * daemon opens it (same pragmas, from the same settings), and the real indexer on top. Corpora are copied
 * into the temp dir before indexing, so the cached originals are never edited (the incremental benchmark
 * touches a file) and no .gitignore above the repository's `.bench-cache/` can hide them from the indexer.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { daemonSettings, type DaemonSettings } from '../../packages/config/index.js';
import type { Indexer } from '../../packages/indexer/api.js';
import { createIndexer } from '../../packages/indexer/index.js';
import { createLogger, type Logger } from '../../packages/log/index.js';
import { Store } from '../../packages/store/db.js';

export interface BenchGraph {
  dir: string;
  store: Store;
  settings: DaemonSettings;
  log: Logger;
  indexer: Indexer;
  close(): Promise<void>;
}

export async function openBenchGraph(opts: { maxFileBytes?: number } = {}): Promise<BenchGraph> {
  const dir = mkdtempSync(join(tmpdir(), 'codehive-bench-'));
  const env = daemonSettings(process.env);
  const settings: DaemonSettings = { ...env, watch: false, ...(opts.maxFileBytes ? { maxFileBytes: Math.max(env.maxFileBytes, opts.maxFileBytes) } : {}) };
  const store = Store.open(join(dir, 'graph.db'), { mmapSize: settings.mmapSize, journalSizeLimit: settings.journalSizeLimit });
  const log = createLogger(join(dir, 'bench.log'), { tag: 'bench' });
  // As the daemon does: a checkpoint after an index copies tens of MB, off the thread that answers queries.
  store.checkpointOffThread((message) => log.warn('checkpoint failed', { err: message }));
  const indexer = createIndexer(store, settings, log);
  return {
    dir,
    store,
    settings,
    log,
    indexer,
    async close() {
      await indexer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Copies a corpus into the graph's temp dir and returns the copy's root (what gets indexed). */
export function copyCorpus(graph: BenchGraph, root: string, name: string): string {
  const dest = join(graph.dir, 'src', name);
  cpSync(root, dest, { recursive: true });
  return realpathSync(dest);
}

