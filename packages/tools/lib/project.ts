/**
 * The project a call is about. `ctx.project()` (the daemon) resolves the name/cwd, waits for pending edits
 * (read-your-writes) and refuses a project without a graph. Status and delete must also work on a project
 * whose first index is running or failed, so they fall back to a plain lookup of the row when the daemon
 * answers BUSY (the project exists; it only has no graph).
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CodehiveError } from '../../protocol/index.js';
import { listProjects, projectByRoot, projectContaining, type ProjectRow } from '../../store/projects.js';
import type { ToolContext } from '../context.js';

export async function projectEvenWithoutGraph(ctx: ToolContext, arg: string | undefined): Promise<ProjectRow> {
  try {
    return await ctx.project(arg);
  } catch (err) {
    if (!(err instanceof CodehiveError) || err.code !== 'BUSY') throw err;
    const row = findRow(ctx, arg);
    if (!row) throw err;
    return row;
  }
}

function findRow(ctx: ToolContext, arg: string | undefined): ProjectRow | undefined {
  if (arg && !arg.includes('/') && arg !== '.' && arg !== '..') {
    const named = listProjects(ctx.store).filter((p) => p.name === arg);
    return named.length === 1 ? named[0] : undefined;
  }
  for (const dir of arg ? [isAbsolute(arg) ? arg : resolve(ctx.cwd, arg)] : [ctx.cwd, ...ctx.roots]) {
    if (!existsSync(dir)) continue;
    const real = realpathSync(dir);
    const p = projectByRoot(ctx.store, real) ?? projectContaining(ctx.store, real);
    if (p) return p;
  }
  return undefined;
}
