import { cpSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, makeTestEnv, REPO, runCli, waitFor, type McpSession, type TestEnv } from '../helpers/processes.js';

describe('queries while the same project is re-indexed', () => {
  let t: TestEnv;
  let repo: string;
  const sessions: McpSession[] = [];
  beforeAll(async () => {
    t = makeTestEnv();
    repo = realpathSync(mkdtempSync(join(tmpdir(), 'chv-load-')));
    // A real, mid-sized TypeScript tree: the MCP SDK's own sources shipped in node_modules, or our own code.
    cpSync(join(REPO, 'packages'), join(repo, 'packages'), { recursive: true });
    cpSync(join(REPO, 'daemon'), join(repo, 'daemon'), { recursive: true });
    for (let i = 0; i < 8; i++) sessions.push(await connectMcp(t, repo, `load-${i}`));
    expect((await callTool(sessions[0]!, 'index_repository', { path: repo })).isError).toBe(false);
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await t.cleanup();
    rmSync(repo, { recursive: true, force: true });
  });

  it('8 sessions querying during full CLI re-indexes see zero failed calls', async () => {
    let reindexing = true;
    const reindex = (async () => {
      for (let i = 0; i < 3; i++) {
        writeFileSync(join(repo, 'packages', `extra${i}.ts`), `export function extra${i}(): number { return ${i}; }\n`);
        const r = await runCli(t, ['index', repo, '--full']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      reindexing = false;
    })();
    const query = async (s: McpSession) => {
      const results = [];
      while (reindexing || results.length < 20) results.push(await callTool(s, 'search_graph', { query: 'daemon' }));
      return results;
    };
    const all = (await Promise.all([reindex, ...sessions.map(query)])).slice(1).flat() as Awaited<ReturnType<typeof callTool>>[];
    expect(all.filter((r) => r.isError).map((r) => r.text)).toEqual([]);
    expect(all.length).toBeGreaterThan(8 * 20 - 1);
    const last = await callTool(sessions[0]!, 'search_graph', { name_pattern: '^extra2$' });
    expect(last.text).toContain('extra2');
  });

  it('a query during a full re-index answers at once from the published graph, and says a re-index runs', async () => {
    const s = sessions[0]!;
    const full = runCli(t, ['index', repo, '--full']);
    // Catch the job while it scans or parses: the answer below must come while it still runs.
    await waitFor(async () => {
      const job = (await callTool(s, 'index_status', {})).data?.job as { mode?: string; phase?: string } | null | undefined;
      return job?.mode === 'full' && (job.phase === null || job.phase === 'scan' || job.phase === 'parse');
    }, 30_000, 'the full re-index to start');
    // Waiting for the re-index (as read-your-writes used to) would give an answer from after it.
    const during = await callTool(s, 'search_graph', { query: 'daemon' });
    expect(during.isError).toBe(false);
    expect(during.text).toContain('full re-index running');
    expect(during.data?.freshness as { reindexing?: boolean; stale: boolean }).toMatchObject({ reindexing: true, stale: true });
    expect((await full).code).toBe(0);
    const after = await callTool(s, 'search_graph', { query: 'daemon' });
    expect(after.text).not.toContain('full re-index running');
    expect(after.data?.freshness).not.toHaveProperty('reindexing');
  });
});
