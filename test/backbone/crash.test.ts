import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, connectMcp, daemonPids, REPO, runCli, waitFor, scopedProcesses, type McpSession } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

describe('crashes and lifetimes', () => {
  const scope = scopedProcesses();

  it('a daemon killed with -9 mid-traffic is invisible: every read call succeeds, nothing is lost', async () => {
    const t = scope.env();
    const a = await scope.mcp(t, FIXTURE, 'a');
    const b = await scope.mcp(t, FIXTURE, 'b');
    expect((await callTool(a, 'index_repository', { path: FIXTURE })).isError).toBe(false);
    const before = daemonPids(t.cacheDir);
    expect(before).toHaveLength(1);

    // Keep both sessions busy with reads while the daemon is killed in the middle.
    let killed = false;
    const fire = async (s: McpSession) => {
      const results = [];
      for (let i = 0; i < 60; i++) {
        if (i === 20 && !killed) {
          killed = true;
          process.kill(before[0]!, 'SIGKILL');
        }
        results.push(await callTool(s, 'search_graph', { name_pattern: 'parsePort' }));
      }
      return results;
    };
    const all = (await Promise.all([fire(a), fire(b)])).flat();
    const failed = all.filter((r) => r.isError);
    expect(failed.map((f) => f.text)).toEqual([]);
    for (const r of all) expect(r.text).toContain('parsePort');

    const after = daemonPids(t.cacheDir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect((await callTool(a, 'list_projects')).text).toContain(FIXTURE);

    // The database survived the kill: stop the daemon, then check it from outside.
    expect((await runCli(t, ['stop'])).code).toBe(0);
    const db = new Database(join(t.cacheDir, 'graph.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT root FROM projects').all() as Array<{ root: string }>).map((r) => r.root)).toContain(FIXTURE);
    db.close();
  });

  it('the rows of a snapshot a killed daemon was writing are swept at the next start, the live graph kept', async () => {
    const t = scope.env();
    expect((await runCli(t, ['index', FIXTURE])).code).toBe(0);
    expect((await runCli(t, ['stop'])).code).toBe(0);
    // What a daemon killed mid-index leaves: an unpublished snapshot holding part of a graph.
    const dbPath = join(t.cacheDir, 'graph.db');
    const db = new Database(dbPath);
    const live = (db.prepare('SELECT id, snapshot FROM projects WHERE root = ?').get(FIXTURE) as { id: number; snapshot: number });
    const orphan = Number(db.prepare('INSERT INTO snapshots(project_id, created_at, complete) VALUES (?, ?, 0)').run(live.id, Date.now()).lastInsertRowid);
    db.prepare(
      `INSERT INTO nodes(snapshot, kind, name, qname, file, parent, start_line, start_col, end_line, end_col, signature, exported, doc, words)
       SELECT ?, kind, name, qname, file, NULL, start_line, start_col, end_line, end_col, signature, exported, doc, words FROM nodes WHERE snapshot = ?`,
    ).run(orphan, live.snapshot);
    const count = (table: string, snapshot: number) => (db.prepare(`SELECT count(*) AS c FROM ${table} WHERE snapshot = ?`).get(snapshot) as { c: number }).c;
    const liveNodes = count('nodes', live.snapshot);
    expect(count('nodes', orphan)).toBe(liveNodes);
    db.close();

    expect((await runCli(t, ['status'])).code).toBe(3); // no daemon
    const s = await scope.mcp(t, FIXTURE);
    expect((await callTool(s, 'search_graph', { name_pattern: 'parsePort' })).text).toContain('parsePort');
    const log = join(t.cacheDir, 'daemon.log');
    await waitFor(() => readFileSync(log, 'utf8').includes(`swept orphan snapshots snapshots=${orphan}`), 10_000, 'the orphan sweep');
    expect((await runCli(t, ['stop'])).code).toBe(0);
    const after = new Database(dbPath, { readonly: true });
    try {
      expect(after.prepare('SELECT count(*) AS c FROM snapshots WHERE id = ?').get(orphan)).toEqual({ c: 0 });
      expect(after.prepare('SELECT count(*) AS c FROM nodes WHERE snapshot = ?').get(orphan)).toEqual({ c: 0 });
      expect(after.prepare('SELECT count(*) AS c FROM nodes WHERE snapshot = ?').get(live.snapshot)).toEqual({ c: liveNodes });
    } finally {
      after.close();
    }
  });

  it('a shim killed with SIGKILL disappears from status', async () => {
    const t = scope.env();
    const keep = await scope.mcp(t, FIXTURE, 'keeper');
    const doomed = await connectMcp(t, FIXTURE, 'doomed');
    await callTool(keep, 'list_projects');
    await callTool(doomed, 'list_projects');
    const clients = async () =>
      JSON.parse((await runCli(t, ['status', '--json'])).stdout).sessions.map((s: { client: string }) => s.client.split('@')[0]) as string[];
    expect((await clients()).sort()).toEqual(['doomed', 'keeper']);
    process.kill(doomed.pid()!, 'SIGKILL');
    await waitFor(async () => !(await clients()).includes('doomed'), 10_000, 'the killed session to be noticed');
    expect(await clients()).toEqual(['keeper']);
  });

  it('exits after the idle timeout once the last session leaves, removing its socket and registration', async () => {
    const t = scope.env({ CODEHIVE_IDLE_TIMEOUT: '1' });
    const s = await connectMcp(t, FIXTURE);
    await callTool(s, 'list_projects');
    const reg = JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8'));
    // While a session is attached the daemon stays, well past the timeout.
    await new Promise((r) => setTimeout(r, 2500));
    expect(daemonPids(t.cacheDir)).toEqual([reg.pid]);
    await s.close();
    await waitFor(() => daemonPids(t.cacheDir).length === 0, 15_000, 'idle exit');
    expect(existsSync(reg.socketPath)).toBe(false);
    expect(existsSync(join(t.cacheDir, 'daemon.json'))).toBe(false);
    expect(readFileSync(join(t.cacheDir, 'daemon.log'), 'utf8')).toMatch(/shutdown reason="idle/);
  });

  it('`codehive stop` stops the daemon cleanly and the next call starts a new one', async () => {
    const t = scope.env();
    const s = await scope.mcp(t, FIXTURE);
    await callTool(s, 'list_projects');
    const [first] = daemonPids(t.cacheDir);
    const stop = await runCli(t, ['stop']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`pid ${first}`);
    expect(daemonPids(t.cacheDir)).toEqual([]);
    expect((await runCli(t, ['status'])).code).toBe(3);
    expect((await callTool(s, 'list_projects')).isError).toBe(false);
    const [second] = daemonPids(t.cacheDir);
    expect(second).not.toBe(first);
  });
});
