/**
 * The graph schema. One database per cache dir holds every project.
 *
 * Snapshots: every graph row (files, nodes, edges, unresolved_calls) belongs to a snapshot, and a project
 * points at its one live, complete snapshot. A full re-index writes a new snapshot in short transactions and
 * flips `projects.snapshot` when it is complete, so queries see the old graph until the new one is whole and
 * a daemon killed mid-index leaves the old graph intact (the orphan is swept at the next start). Small
 * incremental updates may change the live snapshot in place, one transaction each.
 *
 * Conventions: paths are relative to the project root with '/' separators; lines are 1-based, columns
 * 0-based; qualified names look like `src/server/http.ts#Server.listen`.
 *
 * Written by packages/indexer (see docs/indexer.md): the Project node's qname is `.`, a Folder's is its
 * path (`src/server`), a File's is its path; same-named siblings get `~2`, `~3` (`#Foo.size~2` for a
 * setter after its getter). `Namespace` nodes hold TypeScript `namespace` members. `files.facts` is the
 * extractor output as UTF-8 JSON bytes (packages/indexer/facts.ts; text in databases written before). A
 * CALLS edge whose caller is file top-level code has the File node as `src`.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS projects(
  id INTEGER PRIMARY KEY,
  root TEXT NOT NULL UNIQUE,          -- realpath of the repository root
  name TEXT NOT NULL,
  snapshot INTEGER,                   -- live complete snapshot; NULL until the first index completes
  state TEXT NOT NULL DEFAULT 'new',  -- new | indexing | ready | failed
  error TEXT,                         -- why the last index failed
  created_at INTEGER NOT NULL,        -- ms since epoch
  indexed_at INTEGER,                 -- ms since epoch of the live snapshot
  git_head TEXT,                      -- HEAD commit when the live snapshot was indexed
  stats TEXT                          -- JSON: the last index report (counts, skipped files, durations)
);

CREATE TABLE IF NOT EXISTS snapshots(
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  complete INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS files(
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL,
  path TEXT NOT NULL,
  language TEXT NOT NULL,             -- typescript | tsx | javascript
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  hash TEXT NOT NULL,                 -- content hash (change detection)
  lines INTEGER NOT NULL,
  parse_errors INTEGER NOT NULL DEFAULT 0,
  facts BLOB,                         -- extractor output, so resolution can be redone without re-parsing
  UNIQUE(snapshot, path)
);

CREATE TABLE IF NOT EXISTS nodes(
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL,
  kind TEXT NOT NULL,                 -- Project Folder File Class Interface TypeAlias Enum Function Method Variable Namespace
  name TEXT NOT NULL,
  qname TEXT NOT NULL,                -- unique within a snapshot
  file TEXT,                          -- relative file path (folder path for Folder, NULL for Project)
  parent INTEGER,                     -- enclosing node id (class for a method, file for a top-level symbol)
  start_line INTEGER,
  start_col INTEGER,
  end_line INTEGER,
  end_col INTEGER,
  signature TEXT,                     -- parameters and return type as written
  exported INTEGER NOT NULL DEFAULT 0,
  doc TEXT,                           -- first line of the doc comment
  words TEXT NOT NULL DEFAULT '',     -- name split on camelCase/snake_case, lower-cased (full-text search)
  UNIQUE(snapshot, qname)
);
CREATE INDEX IF NOT EXISTS nodes_name ON nodes(snapshot, name);
CREATE INDEX IF NOT EXISTS nodes_file ON nodes(snapshot, file);
CREATE INDEX IF NOT EXISTS nodes_kind ON nodes(snapshot, kind);

CREATE TABLE IF NOT EXISTS edges(
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL,
  type TEXT NOT NULL,                 -- CONTAINS DEFINES DEFINES_METHOD IMPORTS CALLS INHERITS IMPLEMENTS
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  line INTEGER,                       -- CALLS: line of the call site
  strategy TEXT,                      -- CALLS: how it was resolved (import, same-file, this-class, …)
  confidence REAL,                    -- CALLS: 0..1
  data TEXT                           -- JSON extras (IMPORTS: imported names)
);
CREATE INDEX IF NOT EXISTS edges_src ON edges(snapshot, src, type);
CREATE INDEX IF NOT EXISTS edges_dst ON edges(snapshot, dst, type);

CREATE TABLE IF NOT EXISTS unresolved_calls(
  id INTEGER PRIMARY KEY,
  snapshot INTEGER NOT NULL,
  src INTEGER NOT NULL,               -- enclosing function/method/file node
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  callee TEXT NOT NULL,               -- callee expression text, truncated
  reason TEXT NOT NULL                -- external | ambiguous | dynamic | not-found
);
CREATE INDEX IF NOT EXISTS unresolved_src ON unresolved_calls(snapshot, src);

CREATE VIRTUAL TABLE IF NOT EXISTS nodes_fts USING fts5(
  words, qname, signature, doc,
  content='nodes', content_rowid='id', tokenize='unicode61'
);
-- No insert trigger. It is dropped at every open, because a build of schema 1 that opens this database
-- re-creates it (its schema runs before its version check refuses the database). The writer adds search
-- rows for the nodes it inserted in one INSERT … SELECT per transaction (SEARCH_ROWS_FOR_NEW_NODES).
-- FTS5 flushes its pending terms into a new segment at every statement that writes it inside a
-- transaction, so a trigger firing per inserted row wrote one segment per node: 12k nodes took 350-900 ms
-- (growing with the index) instead of ~50 ms, and left thousands of segments to merge.
DROP TRIGGER IF EXISTS nodes_fts_insert;
CREATE TRIGGER IF NOT EXISTS nodes_fts_delete AFTER DELETE ON nodes BEGIN
  INSERT INTO nodes_fts(nodes_fts, rowid, words, qname, signature, doc) VALUES ('delete', old.id, old.words, old.qname, old.signature, old.doc);
END;
-- Only when a searched column changed: an edit moves the lines of every symbol below it, and those updates
-- need no search row.
CREATE TRIGGER IF NOT EXISTS nodes_fts_update AFTER UPDATE ON nodes
WHEN old.words IS NOT new.words OR old.qname IS NOT new.qname OR old.signature IS NOT new.signature OR old.doc IS NOT new.doc BEGIN
  INSERT INTO nodes_fts(nodes_fts, rowid, words, qname, signature, doc) VALUES ('delete', old.id, old.words, old.qname, old.signature, old.doc);
  INSERT INTO nodes_fts(rowid, words, qname, signature, doc) VALUES (new.id, new.words, new.qname, new.signature, new.doc);
END;
`;

/** Schema 1 → 2 (before SCHEMA_SQL): the update trigger is made again with its WHEN clause. */
export const MIGRATE_1_TO_2_SQL = `
DROP TRIGGER IF EXISTS nodes_fts_update;
`;

/**
 * Search rows for every node from the given id on, in one statement (bind the first id a transaction
 * inserted). SQLite gives a new row the largest id so far plus one, and only the daemon's writer inserts, so
 * the rows from that id on are exactly the ones inserted after it (deletes come first in every writer).
 */
export const SEARCH_ROWS_FOR_NEW_NODES = `INSERT INTO nodes_fts(rowid, words, qname, signature, doc) SELECT id, words, qname, signature, doc FROM nodes WHERE id >= ?`;

/** Splits an identifier into lower-case words: `parseHTTPRequest_v2` → `parse http request v2`. */
export function identifierWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .trim()
    .toLowerCase();
}
