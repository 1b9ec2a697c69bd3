/**
 * The query planner's statistics (sqlite_stat1) persist in the database and the daemon refreshes them after
 * every index job, so opening the store analyzes only a database that never had any: a restarted daemon
 * must not spend its first milliseconds, while every session waits to reconnect, re-sampling its indexes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../packages/store/db.js';

const OPTS = { mmapSize: 0, journalSizeLimit: 1 << 26 };
let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'codehive-stats-'));
  path = join(dir, 'graph.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withStore<T>(use: (s: Store) => T): T {
  const s = Store.open(path, OPTS);
  try {
    return use(s);
  } finally {
    s.close();
  }
}

const SENTINEL = `SELECT stat FROM sqlite_stat1 WHERE tbl = 'nodes' AND idx = 'nodes_name'`;

describe('planner statistics at open', () => {
  it('a new database is analyzed when opened', () => {
    withStore((s) => expect(s.hasStatistics()).toBe(true));
  });

  it('a database with statistics keeps them as they are (no ANALYZE at open)', () => {
    // A row ANALYZE would replace: it rewrites the rows of every table it samples (nodes is empty here, so
    // after an ANALYZE there would be no row for it at all).
    withStore((s) => s.db.prepare(`INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES ('nodes', 'nodes_name', '12345 7')`).run());
    withStore((s) => expect(s.db.prepare(SENTINEL).pluck().get()).toBe('12345 7'));
    // The same row is gone after an explicit ANALYZE: the check above can tell the two apart.
    withStore((s) => {
      s.analyze();
      expect(s.db.prepare(SENTINEL).pluck().get()).toBeUndefined();
    });
  });

  it('a database that lost its statistics table is analyzed again', () => {
    withStore((s) => s.db.exec('DROP TABLE sqlite_stat1'));
    withStore((s) => expect(s.hasStatistics()).toBe(true));
  });
});
