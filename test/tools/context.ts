/**
 * A ToolContext over a real Store, implementing the same contract the daemon implements (project lookup by
 * name/root/cwd with UNKNOWN_PROJECT listing the known ones, BUSY without a graph, freshness from the files
 * on disk vs the indexed size/mtime) — not a mock of the graph. `index` uses the graph builder given.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonSettings } from '../../packages/config/index.js';
import type { IndexProgress, IndexReport, IndexMode } from '../../packages/indexer/api.js';
import type { Logger } from '../../packages/log/index.js';
import { CodehiveError, type ToolResult } from '../../packages/protocol/index.js';
import { Store } from '../../packages/store/db.js';
import { getProject } from '../../packages/store/projects.js';
import { localToolStack } from '../../daemon/tools.js';
import type { Indexer } from '../../packages/indexer/api.js';
import type { Freshness, ToolContext } from '../../packages/tools/context.js';
import type { ToolArgs, ToolName } from '../../packages/tools/definitions.js';
import { HANDLERS } from '../../packages/tools/handlers/index.js';
import { TOOL_INPUTS } from '../../packages/tools/definitions.js';
import { z } from 'zod';

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, file: '/dev/null' };

export interface Harness {
  store: Store;
  dir: string;
  progress: Array<{ done: number; total?: number; message?: string }>;
  ctx(cwd: string): ToolContext;
  call<N extends ToolName>(name: N, args: ToolArgs<N>, cwd?: string): Promise<ToolResult>;
  close(): void;
}

export function harness(opts: { cwd: string; index?: (root: string, mode: IndexMode, onProgress?: (p: IndexProgress) => void) => Promise<IndexReport> }): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'codehive-tools-'));
  const store = Store.open(join(dir, 'graph.db'), { mmapSize: 0, journalSizeLimit: 1 << 20 });
  const progress: Harness['progress'] = [];
  const settings = daemonSettings({});
  // The daemon's real context (project lookup, UNKNOWN_PROJECT, BUSY without a graph, delete), with two
  // seams: `index` builds the graph with the builder given, and freshness pins indexedAt to now so answers
  // read "indexed 0s ago" whatever the machine's speed.
  const indexer: Indexer = {
    index: (root, o) => (opts.index ? opts.index(root, o.mode, o.onProgress) : Promise.reject(new CodehiveError('INTERNAL', 'no indexer in this harness'))),
    changedSince: async (projectId) => changedFiles(store, projectId),
    threads: () => ({ parseWorkers: 0, parsing: 0, parseWorkersRecycled: 0, resolveWorkers: 0, parseHeap: { usedBytes: 0, totalBytes: 0 }, resolveHeap: { usedBytes: 0, totalBytes: 0 } }),
    close: async () => undefined,
  };
  const stack = localToolStack(store, settings, silentLog, indexer);
  const ctx = (cwd: string): ToolContext => {
    const real = stack.context({ cwd, roots: [], signal: new AbortController().signal, progress: (done, total, message) => progress.push({ done, total, message }) });
    return {
      ...real,
      async freshness(p): Promise<Freshness> {
        const f = await real.freshness(p);
        return { ...f, indexedAt: p.indexedAt === null ? null : Date.now(), watch: 'off' };
      },
    };
  };
  return {
    store,
    dir,
    progress,
    ctx,
    async call(name, args, cwd = opts.cwd) {
      // The daemon validates before calling; so do we, with the same strict schema.
      const parsed = z.object(TOOL_INPUTS[name]).strict().parse(args);
      return (HANDLERS[name] as (c: ToolContext, a: unknown) => Promise<ToolResult>)(ctx(cwd), parsed);
    },
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Files whose size or mtime on disk differ from the live snapshot (what the real indexer's changedSince does). */
function changedFiles(store: Store, projectId: number): string[] {
  const p = getProject(store, projectId);
  if (!p || p.snapshot === null) return [];
  const files = store.db.prepare(`SELECT path, size, mtime_ms FROM files WHERE snapshot = ?`).all(p.snapshot) as Array<{ path: string; size: number; mtime_ms: number }>;
  return files
    .filter((f) => {
      try {
        const st = statSync(join(p.root, f.path));
        return st.size !== f.size || Math.trunc(st.mtimeMs) !== f.mtime_ms;
      } catch {
        return true;
      }
    })
    .map((f) => f.path);
}
