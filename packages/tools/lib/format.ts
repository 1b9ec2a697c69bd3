/**
 * Orders and numbers in answers, with one ICU object each: `a.localeCompare(b)` and `n.toLocaleString(...)`
 * build theirs on every call (16 µs a number here against 0.7, and a sort ~3× slower), which added up in
 * the answers that list hundreds of names on the daemon's event loop.
 */
const COLLATOR = new Intl.Collator();
const COUNT = new Intl.NumberFormat('en-US');

/** localeCompare's order. */
export const byName: (a: string, b: string) => number = COLLATOR.compare;

/** A count as people read it: 12,345. */
export function formatCount(n: number): string {
  return COUNT.format(n);
}
