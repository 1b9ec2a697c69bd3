/**
 * Assembles a ToolResult: header lines, result blocks, notes, then the freshness line — the same text for
 * agents (MCP text content) and people (the CLI prints it), and `data` for programs (structuredContent,
 * `--json`). The text is clipped to the budget before the freshness line is added, so freshness is never cut.
 */
import type { ToolResult } from '../../protocol/index.js';
import type { Freshness, ToolContext } from '../context.js';
import { liveSnapshot, nodeData, nodeLine, type NodeRow } from './graph.js';
import { ambiguityText, lookupSymbol, unknownSymbol } from './symbols.js';
import type { ProjectRow } from '../../store/projects.js';
import { bytes, clipText, fitBlocks, FOOTER_RESERVE, TEXT_BUDGET } from './budget.js';
import { encodeCursor } from './cursor.js';
import { freshnessData, freshnessLine } from './freshness.js';

export interface AnswerParts {
  head?: string[];
  blocks?: string[];
  notes?: string[];
  data: Record<string, unknown>;
  project?: ProjectRow;
  freshness?: Freshness;
  isError?: boolean;
}

/** The part of an answer computed from the graph alone (no project header, no freshness): what handlers memoise. */
export type AnswerBody = Omit<AnswerParts, 'project' | 'freshness'>;

export function projectData(p: ProjectRow): Record<string, unknown> {
  return { name: p.name, root: p.root };
}

export function answer(parts: AnswerParts): ToolResult {
  const data: Record<string, unknown> = {};
  if (parts.project) data.project = projectData(parts.project);
  Object.assign(data, parts.data);
  const body = [...(parts.head ?? []), ...(parts.blocks ?? []), ...(parts.notes ?? [])].join('\n');
  let text: string;
  if (parts.freshness) {
    const line = freshnessLine(parts.freshness);
    data.freshness = freshnessData(parts.freshness);
    text = (body ? clipText(body, TEXT_BUDGET - bytes(line) - 1) + '\n' : '') + line;
  } else {
    text = clipText(body);
  }
  return parts.isError ? { text, data, isError: true } : { text, data };
}

export interface PageInput<T> {
  /** The items of this page, at most `limit`, starting at `offset`. */
  items: T[];
  offset: number;
  /** All matches (or a lower bound when `exact` is false). */
  total: number;
  exact?: boolean;
  render: (item: T) => string;
  fingerprint: string;
  snapshot: number | null;
  /** The graph changed since the cursor was issued. */
  shifted?: boolean;
  /** Bytes already used by the header. */
  headBytes: number;
  /** What to call the results in the marker ("results", "hits"). */
  noun?: string;
}

export interface PageOutput<T> {
  shown: T[];
  blocks: string[];
  notes: string[];
  data: { total: number; total_exact: boolean; offset: number; shown: number; truncated: number; next_cursor: string | null };
}

/** Fits a page into the budget and writes the explicit truncation marker and cursor. */
export function page<T>(p: PageInput<T>): PageOutput<T> {
  const rendered = p.items.map(p.render);
  const fit = fitBlocks(rendered, TEXT_BUDGET - p.headBytes - FOOTER_RESERVE);
  const shown = p.items.slice(0, fit);
  const blocks = rendered.slice(0, fit);
  const end = p.offset + shown.length;
  const more = Math.max(0, p.total - end);
  const exact = p.exact ?? true;
  const next = more > 0 ? encodeCursor(end, p.fingerprint, p.snapshot) : null;
  const notes: string[] = [];
  if (p.shifted) notes.push('note: the graph changed since the previous page; results may have shifted');
  if (more > 0) {
    const budgetCut = fit < p.items.length ? ' (page cut to fit the output budget)' : '';
    notes.push(`truncated: ${exact ? '' : '≥'}${more} more ${p.noun ?? 'results'}${budgetCut} · next_cursor: ${next}`);
  }
  return {
    shown,
    blocks,
    notes,
    data: { total: p.total, total_exact: exact, offset: p.offset, shown: shown.length, truncated: more, next_cursor: next },
  };
}

/** A capped list inside a non-paged answer: the first `cap` lines plus an explicit "N more" line. */
export function capped<T>(items: readonly T[], cap: number, render: (t: T) => string, what: string, indent = '  '): string[] {
  const lines = items.slice(0, cap).map((t) => indent + render(t));
  if (items.length > cap) lines.push(`${indent}… ${items.length - cap} more ${what}`);
  return lines;
}

/**
 * The symbol a call names in project `p`, or — when the name is ambiguous — the finished answer listing the
 * candidates (an agent then picks one; nothing failed, so it is not an error).
 */
export async function symbolOrCandidates(
  ctx: ToolContext,
  p: ProjectRow,
  symbol: string,
): Promise<{ node: NodeRow; snap: number; freshness: Freshness } | { answer: ToolResult }> {
  const snap = liveSnapshot(p);
  const freshness = await ctx.freshness(p);
  const found = lookupSymbol(ctx.store.db, snap, symbol);
  if ('node' in found) return { node: found.node, snap, freshness };
  if ('unknown' in found) {
    const near = await ctx.reads.read(async () => ctx.findProject(p.root), 'near', () => ({ symbol: found.unknown }));
    throw unknownSymbol(found.unknown, near.value);
  }
  return {
    answer: answer({
      head: ambiguityText(symbol, found.candidates, nodeLine),
      project: p,
      freshness,
      data: { ambiguous: true, candidates: found.candidates.map(nodeData) },
    }),
  };
}
