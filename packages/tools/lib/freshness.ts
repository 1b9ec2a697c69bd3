/**
 * The freshness line every answer ends with, so an agent knows whether the graph may miss recent edits
 * (users stopped trusting peers that answered from stale indexes without saying so).
 */
import type { Freshness } from '../context.js';

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.round(h / 24)}d ago`;
}

export function freshnessLine(f: Freshness, now = Date.now()): string {
  const changed = `${f.pendingChanges} file${f.pendingChanges === 1 ? '' : 's'} changed since`;
  const parts = [`indexed ${ago(f.indexedAt, now)}`, changed, `watch ${f.watch}`];
  if (f.reindexing) parts.push('full re-index running');
  if (f.stale) parts.push('may miss recent edits');
  return parts.join(' · ');
}

/** The JSON form carried in `data.freshness`. */
export function freshnessData(f: Freshness): Record<string, unknown> {
  return { indexed_at: f.indexedAt, pending_changes: f.pendingChanges, watch: f.watch, stale: f.stale, ...(f.reindexing ? { reindexing: true } : {}) };
}
