/** delete_project: removes a project and all its graph data (never the repository). */
import { answer } from '../lib/answer.js';
import { liveCounts } from '../lib/whole-graph.js';
import { projectEvenWithoutGraph } from '../lib/project.js';
import type { ToolHandler } from '../context.js';

export const deleteProjectHandler: ToolHandler<'delete_project'> = async (ctx, args) => {
  const p = await projectEvenWithoutGraph(ctx, args.project);
  const counts = await liveCounts(ctx.reads, ctx.store, p);
  await ctx.deleteProject(p);
  const what = counts ? `${counts.files} files, ${counts.symbols} symbols, ${counts.edges} edges` : 'no graph';
  return answer({
    head: [`deleted project ${p.name} (${p.root}): ${what} removed from the cache; the repository itself is untouched`],
    project: p,
    data: { deleted: true, files: counts?.files ?? 0, symbols: counts?.symbols ?? 0, edges: counts?.edges ?? 0 },
  });
};
