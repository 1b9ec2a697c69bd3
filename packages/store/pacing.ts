/**
 * How long the daemon's main thread may hold a write transaction (or one page of a long read) before the
 * event loop runs: a query waiting on it waits at most about this much (plus the commit). Shared by the
 * indexer's writes and the store's snapshot drops.
 */
export const TX_BUDGET_MS = 6;

/** The next batch size for work that took `size` units since `t0`: scaled to last about TX_BUDGET_MS. */
export function sizedToBudget(size: number, t0: number, min: number, max: number): number {
  const ms = Math.max(0.25, performance.now() - t0);
  return Math.max(min, Math.min(max, Math.round((size * TX_BUDGET_MS) / ms)));
}
