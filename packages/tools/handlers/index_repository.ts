/**
 * index_repository: runs (or joins) an index job and forwards its progress as MCP progress notifications
 * (files done / total, with the phase as the message). Returns counts, duration, and the skipped files
 * with reasons (capped, with "N more").
 */
import { answer, capped } from '../lib/answer.js';
import type { ToolHandler } from '../context.js';
import { projectByRoot } from '../../store/projects.js';

const SKIPPED_CAP = 20;
const ERRORS_CAP = 10;

export const indexRepositoryHandler: ToolHandler<'index_repository'> = async (ctx, args) => {
  const mode = args.mode ?? 'incremental';
  // Progress: forward at most one notification per phase step change of ≥1% (a 50k-file repo must not send 50k messages).
  let lastPhase = '';
  let lastPct = -1;
  const report = await ctx.index(args.path, mode, (p) => {
    const pct = p.total ? Math.floor((p.done / p.total) * 100) : 0;
    if (p.phase === lastPhase && pct === lastPct && p.done !== p.total) return;
    lastPhase = p.phase;
    lastPct = pct;
    ctx.progress(p.done, p.total || undefined, `${p.phase} ${p.done}/${p.total}`);
  });
  const f = report.files;
  const head = [
    `indexed ${report.root} (${report.mode}) in ${report.durationMs} ms`,
    `  files ${f.total}: ${f.parsed} parsed, ${f.unchanged} unchanged, ${f.added} added, ${f.changed} changed, ${f.removed} removed · ${report.lines} lines`,
    `  ${report.nodes} nodes · ${report.edges} edges · calls ${report.calls.resolved} resolved, ${report.calls.unresolved} unresolved`,
  ];
  const blocks: string[] = [];
  if (report.skipped.length) {
    blocks.push(`skipped ${report.skipped.length} files:`, ...capped(report.skipped, SKIPPED_CAP, (s) => `${s.path}  ${s.reason}`, 'skipped files'));
  }
  if (report.errors.length) {
    blocks.push(`indexed with errors ${report.errors.length} files:`, ...capped(report.errors, ERRORS_CAP, (e) => `${e.path}  ${e.message}`, 'files with errors'));
  }
  const project = projectByRoot(ctx.store, report.root);
  return answer({
    head,
    blocks,
    project,
    freshness: project ? await ctx.freshness(project) : undefined,
    data: {
      root: report.root,
      mode: report.mode,
      duration_ms: report.durationMs,
      files: report.files,
      lines: report.lines,
      nodes: report.nodes,
      edges: report.edges,
      calls: report.calls,
      git_head: report.gitHead,
      skipped: report.skipped.slice(0, SKIPPED_CAP),
      skipped_total: report.skipped.length,
      errors: report.errors.slice(0, ERRORS_CAP),
      errors_total: report.errors.length,
    },
  });
};
