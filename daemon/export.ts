/**
 * `GET /v1/export?project=…`: the whole graph of a project as JSON lines, streamed from SQLite iterators
 * page by page (never the whole graph in memory, never one long read transaction that would pin the WAL).
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { asCodehiveError } from '../packages/protocol/index.js';
import type { Daemon } from './daemon.js';

const PAGE = 2000;

export async function streamExport(d: Daemon, query: Record<string, string>, res: ServerResponse): Promise<void> {
  let project;
  try {
    project = await d.projects.makeFresh(d.projects.find(query.project || undefined, query.cwd || '/', []));
  } catch (err) {
    const e = asCodehiveError(err);
    res.writeHead(e.httpStatus, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: e.toBody() }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const snapshot = project.snapshot;
  const nodePage = d.store.db.prepare(
    `SELECT id, kind, name, qname, file, start_line, end_line FROM nodes WHERE snapshot = ? AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const edgePage = d.store.db.prepare(
    `SELECT id, type, src, dst, line, strategy, confidence FROM edges WHERE snapshot = ? AND id > ? ORDER BY id LIMIT ${PAGE}`,
  );
  const write = async (obj: unknown) => {
    if (!res.write(JSON.stringify(obj) + '\n')) await once(res, 'drain');
  };
  await write({ type: 'project', root: project.root, name: project.name, indexedAt: project.indexedAt, gitHead: project.gitHead });
  for (let after = 0; !res.destroyed; ) {
    const rows = nodePage.all(snapshot, after) as Array<Record<string, unknown> & { id: number }>;
    for (const r of rows) {
      await write({ type: 'node', id: r.id, kind: r.kind, name: r.name, qname: r.qname, file: r.file, startLine: r.start_line, endLine: r.end_line });
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  for (let after = 0; !res.destroyed; ) {
    const rows = edgePage.all(snapshot, after) as Array<Record<string, unknown> & { id: number }>;
    for (const r of rows) {
      await write({ type: 'edge', edge: r.type, source: r.src, target: r.dst, line: r.line ?? undefined, strategy: r.strategy ?? undefined, confidence: r.confidence ?? undefined });
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  res.end();
}
