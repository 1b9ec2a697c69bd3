/**
 * Graph rows → SQLite, from the main thread (the only one holding the database). Two ways:
 * - `writeSnapshot`: everything into a fresh, unpublished snapshot in short `BEGIN IMMEDIATE` batches,
 *   yielding to the event loop between them so queries keep flowing; nobody sees it until it is published.
 * - `applyDiff`: a small change applied to the live snapshot in ONE transaction, by diffing the new rows
 *   against the stored ones by qualified name, so readers never see a half-updated graph.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { Store } from '../store/db.js';
import { identifierWords, SEARCH_ROWS_FOR_NEW_NODES } from '../store/schema.js';
import { CodehiveError } from '../protocol/index.js';
import type { Lang } from './facts.js';
import type { GraphDelta } from './resolve/session.js';
import { edgeKey, nodeKey, unresolvedKey, type EdgeRow, type Graph, type NodeRow, type UnresolvedRow } from './resolve/graph.js';
import { sizedToBudget, TX_BUDGET_MS } from '../store/pacing.js';

export interface FileRow {
  path: string;
  lang: Lang;
  size: number;
  mtimeMs: number;
  hash: string;
  lines: number;
  parseErrors: number;
  /**
   * The file's facts when this run parsed it; null when they are the ones stored in the live snapshot's row.
   * The main thread keeps no facts between runs: the resolve worker holds them, and the database.
   */
  facts: Uint8Array | null;
}

/**
 * What the main thread remembers of a live snapshot's graph so an in-place diff never has to read it back:
 * node ids and content keys by qualified name, edge and unresolved-call row ids by their keys. Kept only
 * while it matches the database exactly (rebuilt from the database when missing).
 */
export interface LiveIndex {
  nodes: Map<string, { id: number; key: string }>;
  edges: Map<string, number[]>;
  unresolved: Map<string, number[]>;
}

function pushId(map: Map<string, number[]>, key: string, id: number): void {
  const ids = map.get(key);
  if (ids) ids.push(id);
  else map.set(key, [id]);
}

/** Slices of the key building before an in-place diff's transaction. */
const DIFF_SLICE_MS = 5;
/**
 * Slices of a live index built in the background (LiveIndexBuild). With 5 ms slices during the paced drop of
 * a replaced snapshot, the bench's query p99 during a full re-index of effect was 24-49 ms over 10 runs (the
 * keys built inline: 20-28 ms over 6); with 2 ms, 26-30 ms over 3 (a slice adds at most that to the wait).
 */
const BACKGROUND_SLICE_MS = 2;

class Statements {
  private readonly insertFile;
  private readonly upsertParsedFile;
  private readonly copyFileFrom;
  private readonly updateFileStat;
  readonly deleteFile;
  private readonly insertNodeRow;
  readonly updateNode;
  readonly insertEdge;
  readonly insertUnresolved;
  private readonly searchRowsFrom;
  private readonly deleteIn: Record<'nodes' | 'edges' | 'unresolved_calls', Database.Statement>;
  /** The first node id inserted in the current `withSearchRows` (later inserts only get larger ids). */
  private firstNewNode: number | undefined;

  constructor(store: Store) {
    // The store's cached statements: a job made these ~15 afresh (agents' edits: one job every 1-2 s), each
    // compiled again and its memory held in the main malloc arena until V8 collected the wrapper.
    const fileCols = `(snapshot, path, language, size, mtime_ms, hash, lines, parse_errors, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    this.insertFile = store.stmt(`INSERT INTO files${fileCols}`);
    this.copyFileFrom = store.stmt(
      `INSERT INTO files(snapshot, path, language, size, mtime_ms, hash, lines, parse_errors, facts)
       SELECT ?, path, ?, ?, ?, ?, ?, ?, facts FROM files WHERE snapshot = ? AND path = ?`,
    );
    this.updateFileStat = store.stmt(`UPDATE files SET size = ?, mtime_ms = ? WHERE snapshot = ? AND path = ?`);
    this.upsertParsedFile = store.stmt(
      `INSERT INTO files${fileCols} ON CONFLICT(snapshot, path) DO UPDATE SET language = excluded.language, size = excluded.size,
       mtime_ms = excluded.mtime_ms, hash = excluded.hash, lines = excluded.lines, parse_errors = excluded.parse_errors, facts = excluded.facts`,
    );
    this.deleteFile = store.stmt(`DELETE FROM files WHERE snapshot = ? AND path = ?`);
    this.insertNodeRow = store.stmt(
      `INSERT INTO nodes(snapshot, kind, name, qname, file, parent, start_line, start_col, end_line, end_col, signature, exported, doc, words)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateNode = store.stmt(
      `UPDATE nodes SET kind = ?, name = ?, file = ?, parent = ?, start_line = ?, start_col = ?, end_line = ?, end_col = ?,
       signature = ?, exported = ?, doc = ?, words = ? WHERE id = ?`,
    );
    this.insertEdge = store.stmt(`INSERT INTO edges(snapshot, type, src, dst, line, strategy, confidence, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertUnresolved = store.stmt(`INSERT INTO unresolved_calls(snapshot, src, file, line, callee, reason) VALUES (?, ?, ?, ?, ?, ?)`);
    const deleteIn = (table: string) => store.stmt(`DELETE FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`);
    this.deleteIn = { nodes: deleteIn('nodes'), edges: deleteIn('edges'), unresolved_calls: deleteIn('unresolved_calls') };
    this.searchRowsFrom = store.stmt(SEARCH_ROWS_FOR_NEW_NODES);
  }

  /**
   * A file row of `snapshot`; one without facts takes its facts from its row in `from` (the live snapshot,
   * where the run found the file unchanged).
   */
  insertFileRow(snapshot: number, f: FileRow, from: number | null): void {
    if (f.facts !== null) {
      this.insertFile.run(...fileArgs(snapshot, f));
      return;
    }
    const copied = from === null ? 0 : this.copyFileFrom.run(snapshot, f.lang, f.size, f.mtimeMs, f.hash, f.lines, f.parseErrors, from, f.path).changes;
    if (copied !== 1) throw new CodehiveError('INTERNAL', `no stored facts for unchanged file ${f.path} (snapshot ${from})`);
  }

  /** A live snapshot's file row after a run: a parsed file's whole row, an unchanged one's new size and mtime. */
  upsertFile(snapshot: number, f: FileRow): void {
    if (f.facts !== null) this.upsertParsedFile.run(...fileArgs(snapshot, f));
    else this.updateFileStat.run(f.size, f.mtimeMs, snapshot, f.path);
  }

  /**
   * Deletes rows by id in one statement: a node's delete trigger writes the full-text index, and FTS5 writes
   * a new segment at the end of every statement that touched it (store/schema.ts), so one statement per
   * row held a 150-file incremental write 85-400 ms.
   */
  deleteRows(table: 'nodes' | 'edges' | 'unresolved_calls', ids: number[]): void {
    if (ids.length) this.deleteIn[table].run(JSON.stringify(ids));
  }

  /** Inserts a node row and returns its id; call inside `withSearchRows`, which adds its full-text row. */
  insertNode(snapshot: number, n: NodeRow, parentId: number | null): number {
    const id = Number(this.insertNodeRow.run(snapshot, n.kind, n.name, n.qname, ...nodeArgs(n, parentId).slice(2)).lastInsertRowid);
    this.firstNewNode ??= id;
    return id;
  }

  /**
   * Runs `writes` (inside a transaction) and then gives every node they inserted its full-text row, in one
   * statement: there is no insert trigger (see store/schema.ts for why).
   */
  withSearchRows<T>(writes: () => T): T {
    try {
      const out = writes();
      if (this.firstNewNode !== undefined) this.searchRowsFrom.run(this.firstNewNode);
      return out;
    } finally {
      this.firstNewNode = undefined;
    }
  }
}

function fileArgs(snapshot: number, f: FileRow): unknown[] {
  return [snapshot, f.path, f.lang, f.size, f.mtimeMs, f.hash, f.lines, f.parseErrors, f.facts];
}

function nodeArgs(n: NodeRow, parentId: number | null): unknown[] {
  const p = n.pos;
  return [n.kind, n.name, n.file, parentId, p?.[0] ?? null, p?.[1] ?? null, p?.[2] ?? null, p?.[3] ?? null, n.sig, n.exported ? 1 : 0, n.doc, identifierWords(n.name)];
}

export interface WriteHooks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}


/**
 * Rows in transactions of about TX_BUDGET_MS each (checked every 8 rows: a file row carries its facts, and 32
 * of them overran 10 ms by as much again), yielding to the event loop between them. `wrap` runs
 * around each transaction's writes, inside it.
 */
async function paced<T>(
  store: Store,
  rows: T[],
  write: (row: T, i: number) => void,
  signal: AbortSignal | undefined,
  onBatch: (n: number) => void,
  wrap: (writes: () => void) => void = (writes) => writes(),
): Promise<void> {
  let i = 0;
  // What follows the row loop in a transaction (`wrap`'s own statement, e.g. a node batch's full-text rows,
  // and the commit) grows with the rows written: the loop gets the share of the budget it took last time.
  // A fixed loop budget let node batches run 12–17 ms and file batches (facts blobs to commit) 10–14 ms.
  let loopBudget = TX_BUDGET_MS;
  while (i < rows.length) {
    // First, so a batch never shares a turn of the loop with the caller's own synchronous work.
    await yieldToLoop();
    if (signal?.aborted) throw new CodehiveError('CANCELLED', 'indexing was cancelled');
    const from = i;
    const t0 = performance.now();
    let loopMs = 0;
    store.write(() =>
      wrap(() => {
        while (i < rows.length) {
          write(rows[i]!, i);
          i++;
          if ((i & 7) === 0 && performance.now() - t0 > loopBudget) break;
        }
        loopMs = performance.now() - t0;
      }),
    );
    const txMs = performance.now() - t0;
    loopBudget = Math.min(TX_BUDGET_MS, Math.max(TX_BUDGET_MS / 8, (TX_BUDGET_MS * loopMs) / Math.max(txMs, 0.01)));
    onBatch(i - from);
  }
}

/**
 * The file rows of an unpublished snapshot, with their facts (an unchanged file's copied from its row in
 * `from`, the live snapshot): they need no resolution, so the indexer writes them while the resolve worker
 * runs, on the core the main thread would otherwise leave idle.
 */
export async function writeFiles(store: Store, snapshot: number, files: FileRow[], from: number | null, signal?: AbortSignal): Promise<void> {
  const st = new Statements(store);
  await paced(store, files, (f) => st.insertFileRow(snapshot, f, from), signal, () => {});
}

/**
 * The LiveIndex of a snapshot a SnapshotWriter wrote, made from the rows it wrote and the ids they got. On a
 * full index of effect that is ~56k keys, 50-70 ms of the main thread with the garbage they leave; the writer
 * leaves it out, so the snapshot is published that much sooner. The indexer builds it in slices after the
 * job, or during the paced drop of the snapshot it replaced (`buildInBackground`); an in-place change that
 * comes first finishes it (`complete`).
 */
export class LiveIndexBuild {
  /** Rows still to add, batch by batch: `add(index, i)` adds row i of its batch. */
  private readonly pending: Array<{ rows: number; add: (index: LiveIndex, i: number) => void }> = [];
  /** Rows of pending[0] already added. */
  private next = 0;
  private background: Promise<void> | undefined;

  /** Starts from `index` (an in-place change hands over the one it kept up to date: nothing to add). */
  constructor(private readonly index: LiveIndex = { nodes: new Map(), edges: new Map(), unresolved: new Map() }) {}

  add(rows: number, add: (index: LiveIndex, i: number) => void): void {
    if (rows > 0) this.pending.push({ rows, add });
  }

  /** The whole index, built in slices of DIFF_SLICE_MS with the event loop running between them. */
  async complete(): Promise<LiveIndex> {
    await this.inSlices(DIFF_SLICE_MS, () => true);
    return this.index;
  }

  /**
   * Like `complete`, but only while `wanted()` (the indexer still remembers this index); once at a time. In
   * slices of BACKGROUND_SLICE_MS: a slice runs in the same turn of the event loop as a paced write's
   * transaction (both wait in setImmediate's queue), so a query waits for the two together.
   */
  buildInBackground(wanted: () => boolean): Promise<void> {
    this.background ??= this.inSlices(BACKGROUND_SLICE_MS, wanted);
    return this.background;
  }

  private async inSlices(sliceMs: number, wanted: () => boolean): Promise<void> {
    while (this.pending.length && wanted()) {
      await yieldToLoop();
      this.advance(performance.now() + sliceMs);
    }
  }

  private advance(deadline: number): void {
    while (this.pending.length) {
      const batch = this.pending[0]!;
      while (this.next < batch.rows) {
        batch.add(this.index, this.next++);
        if ((this.next & 255) === 0 && performance.now() > deadline) return;
      }
      this.pending.shift(); // its rows can be collected now
      this.next = 0;
    }
  }
}

/**
 * Writes a graph into an unpublished snapshot, batch by batch, in as many parts as it comes in (a full index
 * writes every node and the structural edges while the calls are still being resolved, then the rest). The
 * ids given to nodes are kept across parts: a later part's edges join an earlier part's nodes.
 */
export class SnapshotWriter {
  /** What the snapshot's LiveIndex is made of: built after the write (see LiveIndexBuild). */
  readonly live = new LiveIndexBuild();
  private readonly ids = new Map<string, number>();
  private readonly st: Statements;

  constructor(
    private readonly store: Store,
    private readonly snapshot: number,
  ) {
    this.st = new Statements(store);
  }

  async write(rows: Pick<Graph, 'nodes' | 'edges' | 'unresolved'>, hooks: WriteHooks = {}): Promise<void> {
    const { st, ids, snapshot } = this;
    const total = rows.nodes.length + rows.edges.length + rows.unresolved.length;
    let done = 0;
    const inBatches = <T>(list: T[], write: (row: T, i: number) => void, wrap?: (writes: () => void) => void) =>
      paced(
        this.store,
        list,
        write,
        hooks.signal,
        (n) => {
          done += n;
          hooks.onProgress?.(done, total);
        },
        wrap,
      );
    const { nodes, edges, unresolved } = rows;
    await inBatches(nodes, (n) => {
      const parent = n.parent === null ? null : (ids.get(n.parent) ?? null);
      ids.set(n.qname, st.insertNode(snapshot, n, parent));
    }, (writes) => st.withSearchRows(writes));
    this.live.add(nodes.length, (index, i) => {
      const n = nodes[i]!;
      index.nodes.set(n.qname, { id: ids.get(n.qname)!, key: nodeKey(n) });
    });
    // Row ids by position; 0 where a row was not written (an endpoint the graph lacks).
    const edgeIds = new Float64Array(edges.length);
    await inBatches(edges, (e, i) => {
      const src = ids.get(e.src);
      const dst = ids.get(e.dst);
      if (src !== undefined && dst !== undefined) {
        edgeIds[i] = Number(st.insertEdge.run(snapshot, e.type, src, dst, e.line, e.strategy, e.confidence, e.data).lastInsertRowid);
      }
    });
    this.live.add(edges.length, (index, i) => {
      if (edgeIds[i]) pushId(index.edges, edgeKey(edges[i]!), edgeIds[i]!);
    });
    const unresolvedIds = new Float64Array(unresolved.length);
    await inBatches(unresolved, (u, i) => {
      const src = ids.get(u.src);
      if (src !== undefined) unresolvedIds[i] = Number(st.insertUnresolved.run(snapshot, src, u.file, u.line, u.callee, u.reason).lastInsertRowid);
    });
    this.live.add(unresolved.length, (index, i) => {
      if (unresolvedIds[i]) pushId(index.unresolved, unresolvedKey(unresolved[i]!), unresolvedIds[i]!);
    });
  }
}

export interface FileChanges {
  upsert: FileRow[];
  remove: string[];
}

export interface DiffStats {
  nodes: { added: number; updated: number; removed: number };
  edges: { added: number; removed: number };
}

/**
 * Brings the live snapshot to `graph` in one transaction: rows whose qualified name and content are
 * unchanged keep their ids; everything else is inserted, updated or deleted. `extra` runs inside the same
 * transaction (the project row update), so the graph and its metadata change together.
 *
 * `live` is what the previous write left (see LiveIndex); without it the live graph is read back from the
 * database first (after a restart). The index returned describes the snapshot after the diff; if the
 * transaction fails, the caller must forget both. A diff of more than `maxRows` rows is not applied (null):
 * one transaction that long would hold the event loop.
 */
export async function applyDiff(
  store: Store,
  snapshot: number,
  files: FileChanges,
  graph: Graph,
  extra: () => void,
  live?: LiveIndex,
  maxRows = Infinity,
): Promise<{ stats: DiffStats; index: LiveIndex } | null> {
  const st = new Statements(store);
  const stats: DiffStats = { nodes: { added: 0, updated: 0, removed: 0 }, edges: { added: 0, removed: 0 } };
  // The keys of every new row (pure, ~50k strings on effect) are built before the transaction, in slices
  // with yields, so the one transaction holding the event loop does only the lookups and the row changes.
  // Keys are unique within a graph (the resolver dedupes; transfer.ts drops rows it could not write), so a
  // key is either in the live index already or inserted once below.
  let t0 = performance.now();
  const keysOf = async <T>(rows: T[], key: (row: T) => string): Promise<string[]> => {
    const out = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      out[i] = key(rows[i]!);
      if ((i & 1023) === 1023 && performance.now() - t0 > DIFF_SLICE_MS) {
        await yieldToLoop();
        t0 = performance.now();
      }
    }
    return out;
  };
  const edgeKeys = await keysOf(graph.edges, edgeKey);
  const unresolvedKeys = await keysOf(graph.unresolved, unresolvedKey);
  const nodeKeys = await keysOf(graph.nodes, nodeKey);
  const wantEdges = new Set(edgeKeys);
  await yieldToLoop();
  const wantUnresolved = new Set(unresolvedKeys);
  const wanted = new Set<string>();
  for (const n of graph.nodes) wanted.add(n.qname);
  await yieldToLoop();

  // The plan, still outside the transaction (only this job writes this project's live snapshot, so the
  // live index cannot move meanwhile): which rows go, which come, which change.
  const index = live ?? (await readLiveIndex(store, snapshot));
  let n = 0;
  const due = () => (n++ & 1023) === 1023 && performance.now() - t0 > DIFF_SLICE_MS;
  const pause = async () => {
    await yieldToLoop();
    t0 = performance.now();
  };
  const dropEdgeIds: number[] = [];
  const dropEdgeKeys: string[] = [];
  const trimEdgeKeys: string[] = [];
  for (const [k, rowIds] of index.edges) {
    if (!wantEdges.has(k)) {
      dropEdgeIds.push(...rowIds);
      dropEdgeKeys.push(k);
    } else if (rowIds.length > 1) {
      dropEdgeIds.push(...rowIds.slice(1));
      trimEdgeKeys.push(k);
    }
    if (due()) await pause();
  }
  const dropUnresolvedIds: number[] = [];
  const dropUnresolvedKeys: string[] = [];
  const trimUnresolvedKeys: string[] = [];
  for (const [k, rowIds] of index.unresolved) {
    if (!wantUnresolved.has(k)) {
      dropUnresolvedIds.push(...rowIds);
      dropUnresolvedKeys.push(k);
    } else if (rowIds.length > 1) {
      dropUnresolvedIds.push(...rowIds.slice(1));
      trimUnresolvedKeys.push(k);
    }
    if (due()) await pause();
  }
  const dropNodes: Array<[string, number]> = [];
  for (const [qname, node] of index.nodes) {
    if (!wanted.has(qname)) dropNodes.push([qname, node.id]);
    if (due()) await pause();
  }
  const nodeWork: number[] = [];
  for (let i = 0; i < graph.nodes.length; i++) {
    if (index.nodes.get(graph.nodes[i]!.qname)?.key !== nodeKeys[i]) nodeWork.push(i);
    if (due()) await pause();
  }
  const edgeWork: number[] = [];
  for (let i = 0; i < edgeKeys.length; i++) {
    if (!index.edges.has(edgeKeys[i]!)) edgeWork.push(i);
    if (due()) await pause();
  }
  const unresolvedWork: number[] = [];
  for (let i = 0; i < unresolvedKeys.length; i++) {
    if (!index.unresolved.has(unresolvedKeys[i]!)) unresolvedWork.push(i);
    if (due()) await pause();
  }

  const rows = dropEdgeIds.length + dropUnresolvedIds.length + dropNodes.length + nodeWork.length + edgeWork.length + unresolvedWork.length;
  if (rows > maxRows) return null;

  // The one transaction: only the planned changes. Edges and unresolved rows go first, then nodes.
  store.write(() =>
    st.withSearchRows(() => {
      st.deleteRows('edges', dropEdgeIds);
      st.deleteRows('unresolved_calls', dropUnresolvedIds);
      st.deleteRows('nodes', dropNodes.map(([, id]) => id));
      const idOf = (qname: string | null) => (qname === null ? null : (index.nodes.get(qname)?.id ?? null));
      for (const i of nodeWork) {
        const node = graph.nodes[i]!;
        const old = index.nodes.get(node.qname);
        if (!old) {
          const id = st.insertNode(snapshot, node, idOf(node.parent));
          index.nodes.set(node.qname, { id, key: nodeKeys[i]! });
          stats.nodes.added++;
        } else {
          st.updateNode.run(...nodeArgs(node, idOf(node.parent)), old.id);
          old.key = nodeKeys[i]!;
          stats.nodes.updated++;
        }
      }
      for (const i of edgeWork) {
        const e = graph.edges[i]!;
        const src = idOf(e.src);
        const dst = idOf(e.dst);
        if (src === null || dst === null) continue;
        pushId(index.edges, edgeKeys[i]!, Number(st.insertEdge.run(snapshot, e.type, src, dst, e.line, e.strategy, e.confidence, e.data).lastInsertRowid));
        stats.edges.added++;
      }
      for (const i of unresolvedWork) {
        const u = graph.unresolved[i]!;
        const src = idOf(u.src);
        if (src !== null) pushId(index.unresolved, unresolvedKeys[i]!, Number(st.insertUnresolved.run(snapshot, src, u.file, u.line, u.callee, u.reason).lastInsertRowid));
      }
      for (const f of files.upsert) st.upsertFile(snapshot, f);
      for (const p of files.remove) st.deleteFile.run(snapshot, p);
      extra();
    }),
  );
  // Committed: the live index forgets what the transaction deleted.
  for (const k of dropEdgeKeys) index.edges.delete(k);
  for (const k of trimEdgeKeys) index.edges.get(k)!.length = 1;
  for (const k of dropUnresolvedKeys) index.unresolved.delete(k);
  for (const k of trimUnresolvedKeys) index.unresolved.get(k)!.length = 1;
  for (const [qname] of dropNodes) index.nodes.delete(qname);
  stats.edges.removed = dropEdgeIds.length;
  stats.nodes.removed = dropNodes.length;
  return { stats, index };
}

/**
 * Applies the resolve worker's difference from the live graph (`GraphDelta`) in one transaction, like
 * `applyDiff` but without looking at the rows that did not change. `live` must describe the graph the delta
 * was computed against; a row the delta names that `live` does not hold (or holds already) means it does
 * not, and nothing is written: the answer is null and the caller diffs the whole graph instead.
 */
export async function applyDelta(
  store: Store,
  snapshot: number,
  files: FileChanges,
  delta: GraphDelta,
  extra: () => void,
  live: LiveIndex,
): Promise<{ stats: DiffStats; index: LiveIndex } | null> {
  const st = new Statements(store);
  const index = live;
  const dropEdgeIds: number[] = [];
  for (const k of delta.removedEdges) {
    const ids = index.edges.get(k);
    if (!ids) return null;
    dropEdgeIds.push(...ids);
  }
  const dropUnresolvedIds: number[] = [];
  for (const k of delta.removedUnresolved) {
    const ids = index.unresolved.get(k);
    if (!ids) return null;
    dropUnresolvedIds.push(...ids);
  }
  const dropNodeIds: number[] = [];
  for (const q of delta.removedNodes) {
    const node = index.nodes.get(q);
    if (!node) return null;
    dropNodeIds.push(node.id);
  }
  const edgeKeys = delta.edges.map(edgeKey);
  const unresolvedKeys = delta.unresolved.map(unresolvedKey);
  // Added and removed keys are disjoint (the worker diffs two key sets), so an added key must be new here.
  for (const k of edgeKeys) if (index.edges.has(k)) return null;
  for (const k of unresolvedKeys) if (index.unresolved.has(k)) return null;
  const nodeKeys = delta.nodes.map(nodeKey);
  await yieldToLoop();

  const stats: DiffStats = { nodes: { added: 0, updated: 0, removed: dropNodeIds.length }, edges: { added: 0, removed: dropEdgeIds.length } };
  const added = { nodes: [] as string[], edges: [] as number[], unresolved: [] as number[] };
  const updated: Array<[{ id: number; key: string }, string]> = [];
  try {
    store.write(() =>
      st.withSearchRows(() => {
        st.deleteRows('edges', dropEdgeIds);
        st.deleteRows('unresolved_calls', dropUnresolvedIds);
        st.deleteRows('nodes', dropNodeIds);
        const idOf = (qname: string | null) => (qname === null ? null : (index.nodes.get(qname)?.id ?? null));
        delta.nodes.forEach((node, i) => {
          const old = index.nodes.get(node.qname);
          if (!old) {
            const id = st.insertNode(snapshot, node, idOf(node.parent));
            index.nodes.set(node.qname, { id, key: nodeKeys[i]! });
            added.nodes.push(node.qname);
            stats.nodes.added++;
          } else {
            st.updateNode.run(...nodeArgs(node, idOf(node.parent)), old.id);
            updated.push([old, old.key]);
            old.key = nodeKeys[i]!;
            stats.nodes.updated++;
          }
        });
        delta.edges.forEach((e, i) => {
          const src = idOf(e.src);
          const dst = idOf(e.dst);
          if (src === null || dst === null) throw new Error(`delta edge without endpoint: ${edgeKeys[i]}`);
          added.edges.push(Number(st.insertEdge.run(snapshot, e.type, src, dst, e.line, e.strategy, e.confidence, e.data).lastInsertRowid));
        });
        delta.unresolved.forEach((u) => {
          const src = idOf(u.src);
          if (src === null) throw new Error(`delta unresolved call without caller: ${u.src}`);
          added.unresolved.push(Number(st.insertUnresolved.run(snapshot, src, u.file, u.line, u.callee, u.reason).lastInsertRowid));
        });
        for (const f of files.upsert) st.upsertFile(snapshot, f);
        for (const p of files.remove) st.deleteFile.run(snapshot, p);
  extra();
      }),
    );
  } catch (err) {
    // Rolled back: callers forget the index anyway (see applyDiff), but leave it as it was.
    for (const q of added.nodes) index.nodes.delete(q);
    for (const [node, key] of updated) node.key = key;
    throw err;
  }
  stats.edges.added = delta.edges.length;
  // Committed: the live index follows.
  for (const k of delta.removedEdges) index.edges.delete(k);
  for (const k of delta.removedUnresolved) index.unresolved.delete(k);
  for (const q of delta.removedNodes) index.nodes.delete(q);
  edgeKeys.forEach((k, i) => index.edges.set(k, [added.edges[i]!]));
  unresolvedKeys.forEach((k, i) => index.unresolved.set(k, [added.unresolved[i]!]));
  return { stats, index };
}

/**
 * The live graph's LiveIndex, read back from the database (once after a restart; then kept in memory), in
 * pages of about TX_BUDGET_MS with the event loop running between them: read in one piece it held the
 * daemon 210 ms on effect (50k rows) at the first in-place change after a restart. Only this project's
 * index job writes its snapshot, so the pages are consistent.
 */
export async function readLiveIndex(store: Store, snapshot: number): Promise<LiveIndex> {
  const index: LiveIndex = { nodes: new Map(), edges: new Map(), unresolved: new Map() };
  await inPages<LiveNode>(store.stmt(LIVE_INDEX_PAGES.nodes), snapshot, (n) => index.nodes.set(n.qname, { id: n.id, key: liveKey(n) }));
  await inPages<EdgeRow & { id: number }>(store.stmt(LIVE_INDEX_PAGES.edges), snapshot, (e) => pushId(index.edges, edgeKey(e), e.id));
  await inPages<UnresolvedRow & { id: number }>(store.stmt(LIVE_INDEX_PAGES.unresolved), snapshot, (u) => pushId(index.unresolved, unresolvedKey(u), u.id));
  return index;
}

/**
 * The pages `readLiveIndex` reads: each must walk its table's rowid range from `id > ?`. `+x.snapshot` keeps
 * the planner off the (snapshot, …) indexes: for edges it chose `edges_dst`, which made every page read all
 * of the snapshot's edges and sort them (9–17 ms a page), the pages shrank to 64 rows to fit the budget, and
 * the first in-place change after a restart took ~5 s on effect instead of ~0.1 s (the soak's recovery
 * after a daemon kill: 4.5–5.6 s).
 */
export const LIVE_INDEX_PAGES = {
  nodes: `SELECT n.id, n.qname, n.kind, n.name, n.file, p.qname AS parent, n.start_line, n.start_col, n.end_line, n.end_col,
     n.signature, n.exported, n.doc FROM nodes n LEFT JOIN nodes p ON p.id = n.parent WHERE +n.snapshot = ? AND n.id > ? ORDER BY n.id LIMIT ?`,
  edges: `SELECT e.id, e.type, s.qname AS src, d.qname AS dst, e.line, e.strategy, e.confidence, e.data
     FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst WHERE +e.snapshot = ? AND e.id > ? ORDER BY e.id LIMIT ?`,
  unresolved: `SELECT u.id, s.qname AS src, u.file, u.line, u.callee, u.reason FROM unresolved_calls u JOIN nodes s ON s.id = u.src
     WHERE +u.snapshot = ? AND u.id > ? ORDER BY u.id LIMIT ?`,
} as const;

/**
 * Runs `page` (bound: snapshot, after id, limit) until it returns a short page, sizing pages to TX_BUDGET_MS.
 * `firstPage`: rows in the first page, before there is a measure, and the fewest in any page (where rows are
 * large; otherwise 64).
 */
export async function inPages<T extends { id: number }>(page: Database.Statement, snapshot: number, each: (row: T) => void, firstPage = 512): Promise<void> {
  let after = 0;
  let limit = firstPage;
  for (;;) {
    const t0 = performance.now();
    const rows = page.all(snapshot, after, limit) as T[];
    for (const r of rows) each(r);
    if (rows.length < limit) return;
    after = rows[rows.length - 1]!.id;
    limit = sizedToBudget(limit, t0, Math.min(64, firstPage), 20_000);
    await yieldToLoop();
  }
}

interface LiveNode {
  id: number;
  qname: string;
  kind: string;
  name: string;
  file: string | null;
  parent: string | null;
  start_line: number | null;
  start_col: number | null;
  end_line: number | null;
  end_col: number | null;
  signature: string | null;
  exported: number;
  doc: string | null;
}

function liveKey(n: LiveNode): string {
  return [n.kind, n.name, n.file, n.parent, n.start_line, n.start_col, n.end_line, n.end_col, n.signature, n.exported, n.doc].join('\u0000');
}

/**
 * Merges the full-text index's segments (every level holding at least `usermerge`, 2, segments; see
 * store/db.ts), in transactions of about TX_BUDGET_MS with the event loop running between them. Automerge is
 * off: each index write adds a segment, and without merging searches slow down and the index grows.
 */
export async function mergeSearchIndexPaced(store: Store, signal?: AbortSignal): Promise<void> {
  const merge = store.stmt(`INSERT INTO nodes_fts(nodes_fts, rank) VALUES('merge', ?)`);
  const changes = store.stmt(`SELECT total_changes() AS n`).pluck();
  let pages = 16;
  for (;;) {
    if (signal?.aborted) return;
    const before = changes.get() as number;
    const t0 = performance.now();
    store.write(() => merge.run(pages));
    // SQLite's documented test: fewer than 2 changes means there was nothing left to merge.
    if ((changes.get() as number) - before < 2) return;
    pages = sizedToBudget(pages, t0, 4, 4096);
    await yieldToLoop();
  }
}

