/**
 * The project a status or delete call is about. `ctx.project()` waits for pending edits and refuses a project
 * without a graph; status and delete must also work on a project whose first index is running or failed, so
 * they use the plain lookup of the row.
 */
import type { ProjectRow } from '../../store/projects.js';
import type { ToolContext } from '../context.js';

export async function projectEvenWithoutGraph(ctx: ToolContext, arg: string | undefined): Promise<ProjectRow> {
  return ctx.findProject(arg);
}
