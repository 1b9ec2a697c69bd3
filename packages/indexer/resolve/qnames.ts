/**
 * Qualified names: `path#Outer.inner`. Readable, and stable across re-indexes because they depend only on
 * the file's own declarations. Same-named siblings (a getter and its setter, two nested `helper`s in
 * different branches, declaration merging) are told apart by source order: the second is `name~2`.
 */
import type { DefFact } from '../facts.js';

export function assignQnames(files: Array<{ path: string; defs: DefFact[] }>): string[] {
  const out: string[] = [];
  for (const { path, defs } of files) {
    const local: string[] = [];
    const seen = new Map<string, number>();
    for (const d of defs) {
      const base = d.parent >= 0 ? `${local[d.parent]}.${d.name}` : `${path}#${d.name}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const q = n === 1 ? base : `${base}~${n}`;
      local.push(q);
      out.push(q);
    }
  }
  return out;
}
