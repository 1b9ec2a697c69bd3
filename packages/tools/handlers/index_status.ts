/** index_status: state (ready/indexing/failed and why), counts, when indexed, git HEAD then, stale count. */
import { answer } from '../lib/answer.js';
import { ago } from '../lib/freshness.js';
import { countsLine } from '../lib/graph.js';
import { liveCounts } from '../lib/whole-graph.js';
import { projectEvenWithoutGraph } from '../lib/project.js';
import type { ToolHandler } from '../context.js';

export const indexStatusHandler: ToolHandler<'index_status'> = async (ctx, args) => {
  const p = await projectEvenWithoutGraph(ctx, args.project);
  const fresh = await ctx.freshness(p);
  const counts = await liveCounts(ctx.reads, ctx.store, p);
  const stats = (p.stats ?? {}) as { mode?: string; durationMs?: number; skipped?: unknown[]; errors?: unknown[] };
  const head = [`${p.name}  ${p.root}  ${p.state}${p.state === 'failed' ? `: ${p.error ?? 'unknown error'}` : ''}`];
  const job = ctx.job(p);
  if (p.state === 'indexing') head.push(p.snapshot === null ? '  first index running; queries answer once it completes' : '  re-index running; queries see the previous graph until it completes');
  if (job) head.push(`  job: ${job.mode} index, ${job.progress ? `${job.progress.phase} ${job.progress.done}/${job.progress.total}` : 'starting'}, for ${ago(job.startedAt).replace(' ago', '')}`);
  if (counts) head.push('  ' + countsLine(counts));
  else head.push('  no graph yet');
  if (p.indexedAt !== null) {
    const last = stats.durationMs !== undefined ? ` · last index ${stats.mode ?? ''} ${stats.durationMs} ms`.replace('  ', ' ') : '';
    const skipped = Array.isArray(stats.skipped) && stats.skipped.length ? ` · ${stats.skipped.length} files skipped` : '';
    const errors = Array.isArray(stats.errors) && stats.errors.length ? ` · ${stats.errors.length} files with parse errors` : '';
    head.push(`  indexed ${ago(p.indexedAt)} at git ${p.gitHead ? p.gitHead.slice(0, 12) : '(not a git repository)'}${last}${skipped}${errors}`);
  }
  return answer({
    head,
    project: p,
    freshness: fresh,
    data: {
      state: p.state,
      error: p.error,
      indexed_at: p.indexedAt,
      git_head: p.gitHead,
      counts: counts && {
        files: counts.files,
        lines: counts.lines,
        symbols: counts.symbols,
        edges: counts.edges,
        calls_resolved: counts.calls,
        calls_unresolved: counts.unresolvedCalls,
      },
      last_index: p.stats
        ? { mode: stats.mode ?? null, duration_ms: stats.durationMs ?? null, skipped: Array.isArray(stats.skipped) ? stats.skipped.length : 0, errors: Array.isArray(stats.errors) ? stats.errors.length : 0 }
        : null,
      changed_since: fresh.pendingChanges,
      job: job && { mode: job.mode, started_at: job.startedAt, phase: job.progress?.phase ?? null, done: job.progress?.done ?? 0, total: job.progress?.total ?? 0 },
    },
  });
};
