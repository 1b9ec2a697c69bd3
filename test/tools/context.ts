/**
 * A ToolContext over a real Store, implementing the same contract the daemon implements (project lookup by
 * name/root/cwd with UNKNOWN_PROJECT listing the known ones, BUSY without a graph, freshness from the files
 * on disk vs the indexed size/mtime) — not a mock of the graph. `index` uses the graph builder given.
 */
import { mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { daemonSettings } from '../../packages/config/index.js';
import type { IndexProgress, IndexReport, IndexMode } from '../../packages/indexer/api.js';
import type { Logger } from '../../packages/log/index.js';
import { CodehiveError, type ToolResult } from '../../packages/protocol/index.js';
import { Store } from '../../packages/store/db.js';
import { listProjects, projectByRoot, projectContaining, type ProjectRow } from '../../packages/store/projects.js';
import { deleteProjectData } from '../../packages/store/snapshots.js';
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
  const ctx = (cwd: string): ToolContext => ({
    store,
    settings,
    log: silentLog,
    signal: new AbortController().signal,
    cwd,
    roots: [],
    async project(arg) {
      const known = () => listProjects(store).map((p) => p.root);
      let p: ProjectRow | undefined;
      if (arg && (arg.includes('/') || arg === '.')) p = projectByRoot(store, safeReal(join(arg.startsWith('/') ? '' : cwd, arg))) ?? projectContaining(store, safeReal(join(arg.startsWith('/') ? '' : cwd, arg)));
      else if (arg) p = listProjects(store).find((x) => x.name === arg);
      else p = projectContaining(store, safeReal(cwd));
      if (!p) throw new CodehiveError('UNKNOWN_PROJECT', `no project ${arg ?? `contains ${cwd}`}. Known projects: ${known().join(', ') || 'none'}`, { knownProjects: known() });
      if (p.snapshot === null) throw new CodehiveError('BUSY', `project ${p.root} has no graph yet`);
      return p;
    },
    async index(root, mode, onProgress) {
      if (!opts.index) throw new CodehiveError('INTERNAL', 'no indexer in this harness');
      // As the daemon: any spelling, relative to the caller's cwd, canonicalised.
      return opts.index(safeReal(resolve(cwd, root)), mode, onProgress);
    },
    async deleteProject(p) {
      await deleteProjectData(store, p.id);
    },
    async freshness(p): Promise<Freshness> {
      let pending = 0;
      if (p.snapshot !== null) {
        const files = store.db.prepare(`SELECT path, size, mtime_ms FROM files WHERE snapshot = ?`).all(p.snapshot) as Array<{ path: string; size: number; mtime_ms: number }>;
        for (const f of files) {
          try {
            const st = statSync(join(p.root, f.path));
            if (st.size !== f.size || Math.trunc(st.mtimeMs) !== f.mtime_ms) pending++;
          } catch {
            pending++;
          }
        }
      }
      // A fixed indexedAt keeps the text stable ("indexed 0s ago") for exact assertions.
      return { indexedAt: p.indexedAt === null ? null : Date.now(), pendingChanges: pending, watch: 'off', stale: pending > 0 };
    },
    progress(done, total, message) {
      progress.push({ done, total, message });
    },
  });
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

function safeReal(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
