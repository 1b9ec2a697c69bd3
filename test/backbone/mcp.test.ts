import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLS } from '../../packages/tools/definitions.js';
import { callTool, connectMcp, makeTestEnv, REPO, runCli, type McpSession, type TestEnv } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

describe('a real MCP client through the shim', () => {
  let t: TestEnv;
  let s: McpSession;
  beforeAll(async () => {
    t = makeTestEnv();
    s = await connectMcp(t, FIXTURE, 'claude-code');
  });
  afterAll(async () => {
    await s.close();
    await t.cleanup();
  });

  it('initialize carries short instructions and the server identity', () => {
    const instructions = s.client.getInstructions() ?? '';
    expect(instructions.length).toBeGreaterThan(50);
    expect(Buffer.byteLength(instructions)).toBeLessThan(1024);
    expect(s.client.getServerVersion()?.name).toBe('codehive');
  });

  it('lists every tool with schemas and correct annotations', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(TOOLS.map((x) => x.name).sort());
    const byName = new Map(tools.map((x) => [x.name, x]));
    expect(byName.get('search_graph')!.annotations?.readOnlyHint).toBe(true);
    expect(byName.get('delete_project')!.annotations?.destructiveHint).toBe(true);
    expect(byName.get('delete_project')!.annotations?.readOnlyHint).toBe(false);
    expect(byName.get('index_repository')!.inputSchema.required).toEqual(['path']);
  });

  it('indexes a repository, then finds its classes, functions and methods by name, kind and file', async () => {
    const indexed = await callTool(s, 'index_repository', { path: FIXTURE });
    expect(indexed.isError).toBe(false);
    const list = await callTool(s, 'list_projects');
    expect(list.text).toContain(FIXTURE);
    const status = await callTool(s, 'index_status');
    expect(status.isError).toBe(false);
    expect(status.text).toMatch(/ready/);

    const server = await callTool(s, 'search_graph', { name_pattern: '^Server$' });
    expect(server.text).toContain('src/server/http.ts#Server');
    const methods = await callTool(s, 'search_graph', { kind: 'Method', file_pattern: 'src/server/**' });
    expect(methods.text).toContain('src/server/http.ts#Server.listen');
    expect(methods.text).toContain('src/server/http.ts#Server.handle');
    expect(methods.text).not.toContain('parsePort');
    const iface = await callTool(s, 'search_graph', { kind: 'Interface' });
    expect(iface.text).toContain('src/server/http.ts#Listener');
    const fn = await callTool(s, 'search_graph', { query: 'parse port' });
    expect(fn.text).toContain('src/util/config.ts#parsePort');
  });

  it('the session shows up in status with the client name from initialize', async () => {
    const json = JSON.parse((await runCli(t, ['status', '--json'])).stdout);
    const mine = json.sessions.find((x: { pid: number }) => x.pid === s.pid());
    expect(mine.client).toBe('claude-code@1.0.0');
    expect(mine.cwd).toBe(FIXTURE);
    expect(mine.calls).toBeGreaterThan(0);
    // Memory by thread: the main heap (committed ≥ used) and the heaps the indexer's workers reported.
    expect(json.memory.heapTotalBytes).toBeGreaterThanOrEqual(json.memory.heapUsedBytes);
    expect(json.indexer.parseHeap.totalBytes).toBeGreaterThan(0);
    // And malloc's totals (glibc here): SQLite, tree-sitter and Node's buffers hold megabytes in use.
    expect(json.memory.malloc.inUseBytes).toBeGreaterThan(1024 * 1024);
    expect(json.memory.malloc.freeBytes).toBeGreaterThanOrEqual(0);
    const text = (await runCli(t, ['status'])).stdout;
    expect(text).toMatch(/memory {5}rss [\d.]+ MiB · V8 heaps used\/committed: main \d+\/\d+ MiB, parse \d+\/\d+ MiB, resolve \d+\/\d+ MiB/);
    expect(text).toMatch(/malloc {5}in use [\d.]+ MiB · free [\d.]+ (B|KiB|MiB|GiB) /);
  });

  it('the shim stays thin: serving calls never loads SQLite into it (only the daemon opens the database)', async () => {
    await callTool(s, 'search_graph', { query: 'parse port' });
    const maps = readFileSync(`/proc/${s.pid()}/maps`, 'utf8');
    expect(maps).not.toMatch(/better_sqlite3\.node/);
    // The check can fail: the daemon, which does open the database, has the addon mapped.
    const daemonPid = JSON.parse((await runCli(t, ['status', '--json'])).stdout).pid as number;
    expect(readFileSync(`/proc/${daemonPid}/maps`, 'utf8')).toMatch(/better_sqlite3\.node/);
  });

  it('calls reuse the shim\'s keep-alive connection to the daemon instead of dialling one each', async () => {
    const accepted = async () => JSON.parse((await runCli(t, ['status', '--json'])).stdout).connectionsAccepted as number;
    await callTool(s, 'search_graph', { query: 'parse port' });
    const before = await accepted();
    for (let i = 0; i < 30; i++) expect((await callTool(s, 'search_graph', { query: `parse port ${i % 3}` })).isError).toBe(false);
    // The status read itself is one connection; a call that dropped its connection would add one each.
    expect((await accepted()) - before).toBeLessThanOrEqual(3);
  });

  it('an unknown project is an MCP tool error that names the known projects', async () => {
    const r = await callTool(s, 'search_graph', { project: '/nonexistent/repo', query: 'x' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(FIXTURE);
  });

  it('the CLI answers through the same daemon', async () => {
    const r = await runCli(t, ['search', 'parsePort'], FIXTURE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('src/util/config.ts#parsePort');
    const json = await runCli(t, ['search', 'parsePort', '--json'], FIXTURE);
    expect(JSON.parse(json.stdout)).toBeTypeOf('object');
  });
});
