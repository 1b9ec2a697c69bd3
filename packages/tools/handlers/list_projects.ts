/** list_projects: every indexed project with its root, state, size and freshness. */
import { answer, capped } from '../lib/answer.js';
import { ago, freshnessData } from '../lib/freshness.js';
import type { GraphCounts } from '../lib/graph.js';
import { liveCountsIfAny } from '../lib/whole-graph.js';
import type { ToolHandler } from '../context.js';
import { listProjects } from '../../store/projects.js';

const CAP = 100;

export const listProjectsHandler: ToolHandler<'list_projects'> = async (ctx) => {
  const rows = listProjects(ctx.store);
  const items: Array<{ p: (typeof rows)[number]; counts: GraphCounts | null; fresh: Awaited<ReturnType<typeof ctx.freshness>> }> = [];
  for (const p of rows.slice(0, CAP)) {
    const counts = await liveCountsIfAny(ctx.reads, ctx.store, p);
    const fresh = await ctx.freshness(p);
    items.push({ p, counts, fresh });
  }
  const line = ({ p, counts, fresh }: (typeof items)[number]) =>
    [
      p.name,
      p.root,
      p.state + (p.state === 'failed' && p.error ? ` (${p.error})` : ''),
      counts ? `${counts.files} files, ${counts.symbols} symbols` : 'no graph',
      `indexed ${ago(p.indexedAt)}`,
      `${fresh.pendingChanges} changed since`,
    ].join('  ');
  return answer({
    head: [rows.length ? `${rows.length} project${rows.length === 1 ? '' : 's'}:` : 'no project is indexed yet; index one with index_repository {path: "."}'],
    blocks: capped(items, CAP, line, 'projects', ''),
    data: {
      projects: items.map(({ p, counts, fresh }) => ({
        name: p.name,
        root: p.root,
        state: p.state,
        error: p.error,
        indexed_at: p.indexedAt,
        git_head: p.gitHead,
        files: counts?.files ?? null,
        symbols: counts?.symbols ?? null,
        freshness: freshnessData(fresh),
      })),
      total: rows.length,
      truncated: Math.max(0, rows.length - CAP),
    },
  });
};
