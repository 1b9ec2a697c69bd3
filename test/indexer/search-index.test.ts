/**
 * The full-text index's upkeep and the graph's trip between threads, on a real corpus (zod v3):
 * - FTS5 automerge is off (its merges ran inside committing writes and held the event loop); the indexer
 *   merges after each job in paced steps. Re-indexing many times must leave the index consistent with the
 *   nodes table (FTS5's own integrity-check) and merged, not growing segment by segment.
 * - The resolve worker sends strings as one string per column; the rows that arrive equal the rows sent,
 *   nulls, empty strings and astral characters included.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packGraph, unpackGraph } from '../../packages/indexer/transfer.js';
import type { Graph } from '../../packages/indexer/resolve/graph.js';
import { Store } from '../../packages/store/db.js';
import { SCHEMA_VERSION } from '../../packages/store/schema.js';
import { useZodCorpus } from './helpers.js';

const zod = useZodCorpus();

const ftsRows = () => (zod.env.store.db.prepare(`SELECT count(*) AS n FROM nodes_fts_data`).get() as { n: number }).n;
const ftsConfig = (k: string) => (zod.env.store.db.prepare(`SELECT v FROM nodes_fts_config WHERE k = ?`).get(k) as { v: number } | undefined)?.v;

describe('full-text index upkeep', () => {
  /** One-file edits, each re-indexed in place: every one writes a new small FTS segment. */
  async function edits(n: number, tag: string): Promise<void> {
    for (let i = 0; i < n; i++) {
      appendFileSync(join(zod.root, 'ZodError.ts'), `\nexport function ${tag}${i}(): number { return ${i}; }\n`);
      await zod.env.indexer.index(zod.root, { mode: 'incremental', changedPaths: ['ZodError.ts'] });
    }
  }

  it('stays consistent and merged across full and incremental re-indexes', async () => {
    expect(ftsConfig('automerge')).toBe(0);
    await zod.env.indexer.index(zod.root, { mode: 'full' });
    await zod.env.indexer.index(zod.root, { mode: 'full' });
    const base = ftsRows();
    await edits(12, 'merged');
    // Throws SQLITE_CORRUPT_VTAB when the index and the nodes table disagree.
    zod.env.store.db.prepare(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('integrity-check', 1)`).run();
    expect(ftsRows()).toBeLessThanOrEqual(base + 3);
    const hits = zod.env.store.db.prepare(`SELECT count(*) AS n FROM nodes_fts WHERE nodes_fts MATCH 'merged11'`).get() as { n: number };
    expect(hits.n).toBe(1);
  });

  it('the check above can fail: with the paced merge unable to act, the same edits pile up segments', async () => {
    const base = ftsRows();
    // usermerge 16: the paced merge finds no level worth merging (automerge is still off).
    zod.env.store.db.prepare(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('usermerge', 16)`).run();
    try {
      await edits(12, 'piled');
      expect(ftsRows()).toBeGreaterThan(base + 8);
    } finally {
      zod.env.store.db.prepare(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('usermerge', 2)`).run();
    }
  });
});

describe('search rows written by the indexer (no insert trigger)', () => {
  const matches = (term: string) =>
    (zod.env.store.db.prepare(`SELECT count(*) AS n FROM nodes_fts WHERE nodes_fts MATCH ?`).get(term) as { n: number }).n;

  it('an edit that moves every symbol of a file, a rename and a delete leave the index equal to the nodes', async () => {
    const file = join(zod.root, 'ZodError.ts');
    const original = readFileSync(file, 'utf8');
    try {
      // Lines above everything: each node of the file is updated (positions), none of its searched columns.
      writeFileSync(file, `// moved\n// down\n${original}\nexport function renameMeBefore(): number { return 1; }\n`);
      await zod.env.indexer.index(zod.root, { mode: 'incremental', changedPaths: ['ZodError.ts'] });
      expect(matches('"rename me before"')).toBe(1);
      writeFileSync(file, `// moved\n${original}\nexport function renamedAfter(): number { return 1; }\n`);
      await zod.env.indexer.index(zod.root, { mode: 'incremental', changedPaths: ['ZodError.ts'] });
      expect(matches('"rename me before"')).toBe(0);
      expect(matches('"renamed after"')).toBe(1);
      zod.env.store.db.prepare(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('integrity-check', 1)`).run();
    } finally {
      writeFileSync(file, original);
      await zod.env.indexer.index(zod.root, { mode: 'incremental', changedPaths: ['ZodError.ts'] });
    }
    expect(matches('"renamed after"')).toBe(0);
    zod.env.store.db.prepare(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('integrity-check', 1)`).run();
  });

  it('a database of schema 1 (per-row insert trigger) is migrated when opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codehive-schema-'));
    try {
      const path = join(dir, 'graph.db');
      const old = Store.open(path, { mmapSize: 0, journalSizeLimit: 1 << 26 });
      // What schema 1 had: the insert trigger and an update trigger without a WHEN clause.
      old.db.exec(`DROP TRIGGER nodes_fts_update;
        CREATE TRIGGER nodes_fts_insert AFTER INSERT ON nodes BEGIN
          INSERT INTO nodes_fts(rowid, words, qname, signature, doc) VALUES (new.id, new.words, new.qname, new.signature, new.doc);
        END;
        CREATE TRIGGER nodes_fts_update AFTER UPDATE ON nodes BEGIN
          INSERT INTO nodes_fts(nodes_fts, rowid, words, qname, signature, doc) VALUES ('delete', old.id, old.words, old.qname, old.signature, old.doc);
          INSERT INTO nodes_fts(rowid, words, qname, signature, doc) VALUES (new.id, new.words, new.qname, new.signature, new.doc);
        END;
        UPDATE meta SET value = '1' WHERE key = 'schema_version';`);
      old.close();
      const store = Store.open(path, { mmapSize: 0, journalSizeLimit: 1 << 26 });
      try {
        const triggers = store.db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all() as Array<{ name: string; sql: string }>;
        expect(triggers.map((t) => t.name)).toEqual(['nodes_fts_delete', 'nodes_fts_update']);
        expect(triggers[1]!.sql).toContain('WHEN old.words IS NOT new.words');
        expect(store.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe(String(SCHEMA_VERSION));
        // A build of schema 1 opening it re-creates its insert trigger before refusing the newer schema.
        store.db.exec(`CREATE TRIGGER nodes_fts_insert AFTER INSERT ON nodes BEGIN
          INSERT INTO nodes_fts(rowid, words, qname, signature, doc) VALUES (new.id, new.words, new.qname, new.signature, new.doc);
        END;`);
      } finally {
        store.close();
      }
      const reopened = Store.open(path, { mmapSize: 0, journalSizeLimit: 1 << 26 });
      try {
        expect(reopened.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).pluck().all()).toEqual(['nodes_fts_delete', 'nodes_fts_update']);
      } finally {
        reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('graph transfer between threads', () => {
  it('unpack(pack(g)) gives back every row', async () => {
    const g: Graph = {
      nodes: [
        { kind: 'File', name: 'a.ts', qname: 'a.ts', file: 'a.ts', parent: null, pos: null, sig: null, exported: false, doc: null },
        { kind: 'Function', name: 'f', qname: 'a.ts#f', file: 'a.ts', parent: 'a.ts', pos: [1, 0, 3, 1], sig: '(x: "😀") => void', exported: true, doc: '' },
        { kind: 'Method', name: 'ünïcode', qname: 'a.ts#C.ünïcode', file: 'a.ts', parent: 'a.ts#f', pos: [5, 2, 6, 3], sig: '', exported: false, doc: 'Docs with\nnewline' },
      ],
      edges: [
        { type: 'CALLS', src: 'a.ts#f', dst: 'a.ts#C.ünïcode', line: 2, strategy: 'same-file', confidence: 0.9, data: null },
        { type: 'DEFINES', src: 'a.ts', dst: 'a.ts#f', line: null, strategy: null, confidence: null, data: '{"names":["f"]}' },
      ],
      unresolved: [{ src: 'a.ts#f', file: 'a.ts', line: 2, callee: 'console.log', reason: 'external' }],
      calls: { resolved: 1, unresolved: 1 },
    };
    const wire = structuredClone(packGraph(g));
    expect(await unpackGraph(wire)).toEqual(g);
  });
});
