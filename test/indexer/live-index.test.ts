/**
 * The first in-place change after a restart reads the live graph's LiveIndex back in pages
 * (indexer/write.ts `readLiveIndex`). Each page must be a walk of its table's rowid range: with the
 * planner's statistics of a real index, SQLite chose the edges' (snapshot, dst) index for the edge pages,
 * read and sorted every edge of the snapshot for each page, and the catch-up after a daemon kill took ~5 s
 * on effect. The plans are checked on a real indexed database, with the statistics the daemon gathers for
 * it, and with those it gathered for effect (copied from a real index of effect@3.10.0: zod is too small
 * for the planner to prefer an index).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_INDEX_PAGES } from '../../packages/indexer/write.js';
import { copyZodCorpus, openEnv, type Env } from './helpers.js';

let env: Env;
let root: string;
beforeAll(async () => {
  env = openEnv();
  root = copyZodCorpus(env.dir);
  await env.indexer.index(root, { mode: 'full' });
  writeFileSync(join(root, 'added.ts'), 'import { getErrorMap } from "./errors.js";\nexport function added() {\n  return getErrorMap();\n}\n');
  await env.indexer.index(root, { mode: 'incremental' });
});
afterAll(async () => {
  await env.close();
});

/** `sqlite_stat1` of effect's index after ANALYZE with the daemon's analysis_limit (1000). */
const EFFECT_STATS: Array<[string, string]> = [
  ['unresolved_src', '6425 1001 4'],
  ['edges_dst', '36966 1001 16 10'],
  ['edges_src', '36966 1001 29 21'],
  ['nodes_kind', '12421 1001 251'],
  ['nodes_file', '12421 1001 46'],
  ['nodes_name', '12421 1001 2'],
];

function useStats(which: 'own' | 'effect'): void {
  const db = env.store.db;
  env.store.analyze();
  if (which === 'own') return;
  const set = db.prepare('UPDATE sqlite_stat1 SET stat = ? WHERE idx = ?');
  for (const [idx, stat] of EFFECT_STATS) expect(set.run(stat, idx).changes).toBe(1);
  db.exec('ANALYZE sqlite_schema'); // reload the statistics
}

describe.each(['own', 'effect'] as const)('LiveIndex read-back pages, with %s planner statistics', (stats) => {
  beforeAll(() => useStats(stats));
  for (const [table, sql] of Object.entries(LIVE_INDEX_PAGES)) {
    it(`${table}: a rowid range walk, no sort`, () => {
      const snapshot = (env.store.db.prepare('SELECT snapshot FROM projects').get() as { snapshot: number }).snapshot;
      const plan = (env.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(snapshot, 0, 512) as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan[0]).toMatch(/^SEARCH \w+ USING INTEGER PRIMARY KEY \(rowid>\?\)$/);
      expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE/);
      // And the pages read every row of the snapshot.
      const count = (env.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table === 'unresolved' ? 'unresolved_calls' : table} WHERE snapshot = ?`).get(snapshot) as { n: number }).n;
      let seen = 0;
      for (let after = 0; ; ) {
        const rows = env.store.db.prepare(sql).all(snapshot, after, 512) as Array<{ id: number }>;
        seen += rows.length;
        if (rows.length < 512) break;
        after = rows[rows.length - 1]!.id;
      }
      expect(count).toBeGreaterThan(0);
      expect(seen).toBe(count);
    });
  }
});
