/**
 * `GET /v1/export?project=…`: the whole graph of a project as JSON lines, streamed from SQLite page by page
 * (never the whole graph in memory, never one long read transaction that would pin the WAL). The format is
 * documented in docs/tools.md ("export"):
 *
 *   {"type":"project","root","name","indexedAt","gitHead"}
 *   {"type":"node","id","kind","name","qname","file","startLine","endLine"}      one per node
 *   {"type":"edge","edge","source","target","line"?,"strategy"?,"confidence"?}   one per edge
 *   {"type":"end","nodes":N,"edges":M}                                           the export is complete
 *
 * Because pages are separate reads, an index job writing the project while the export runs could mix two
 * states; the export checks between pages and ends with `{"type":"error","code":"BUSY",…}` instead of
 * `end` when that happened, so a consumer never takes a mixed graph for a whole one.
 */
import type { ServerResponse } from 'node:http';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { asCodehiveError } from '../packages/protocol/index.js';
import { getProject, type ProjectRow } from '../packages/store/projects.js';
import type { Daemon } from './daemon.js';

/**
 * Rows per page. The loop yields between pages: a client that reads as fast as the daemon writes never
 * makes `write` wait, and the soak's final export of effect (48k rows) held the event loop 301 ms with 16
 * sessions attached.
 */
const PAGE = 2000;

export async function streamExport(d: Daemon, query: Record<string, string>, res: ServerResponse): Promise<void> {
  let project: ProjectRow;
  try {
    project = await d.projects.makeFresh(d.projects.find(query.project || undefined, query.cwd || '/', []));
  } catch (err) {
    const e = asCodehiveError(err);
    res.writeHead(e.httpStatus, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: e.toBody() }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const snapshot = project.snapshot;
  const nodePage = d.store.db.prepare(
    `SELECT id, kind, name, qname, file, start_line, end_line FROM nodes WHERE snapshot = ? AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const edgePage = d.store.db.prepare(
    `SELECT id, type, src, dst, line, strategy, confidence FROM edges WHERE snapshot = ? AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const gone = () => res.destroyed || res.writableEnded;
  const write = async (obj: unknown) => {
    if (res.write(JSON.stringify(obj) + '\n') || gone()) return;
    // Wait for the client to read on, or to go away (a 'drain' that never comes must not hang this call).
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  // The graph changed under the export: a job ran, or the project was re-indexed or deleted.
  const changed = () => {
    if (d.jobs.info(project.root)) return true;
    const now = getProject(d.store, project.id);
    return !now || now.snapshot !== snapshot || now.indexedAt !== project.indexedAt;
  };
  let mixed = changed();
  type Row = Record<string, unknown> & { id: number };
  /** Streams one table's rows of the snapshot page by page, yielding between pages; returns how many. */
  const streamRows = async (page: typeof nodePage, line: (r: Row) => unknown): Promise<number> => {
    let count = 0;
    for (let after = 0; !gone() && !mixed; ) {
      const rows = page.all(snapshot, after) as Row[];
      for (const r of rows) await write(line(r));
      count += rows.length;
      mixed = changed();
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.id;
      await yieldToLoop();
    }
    return count;
  };
  await write({ type: 'project', root: project.root, name: project.name, indexedAt: project.indexedAt, gitHead: project.gitHead });
  const nodes = await streamRows(nodePage, (r) => ({ type: 'node', id: r.id, kind: r.kind, name: r.name, qname: r.qname, file: r.file, startLine: r.start_line, endLine: r.end_line }));
  const edges = await streamRows(edgePage, (r) => ({ type: 'edge', edge: r.type, source: r.src, target: r.dst, line: r.line ?? undefined, strategy: r.strategy ?? undefined, confidence: r.confidence ?? undefined }));
  if (gone()) return;
  if (mixed) {
    d.log.info('export interrupted by an index job', { root: project.root });
    res.end(JSON.stringify({ type: 'error', code: 'BUSY', message: `${project.root} was being re-indexed during the export; the lines above may mix two states. Run the export again.` }) + '\n');
    return;
  }
  res.end(JSON.stringify({ type: 'end', nodes, edges }) + '\n');
}
