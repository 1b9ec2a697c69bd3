import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pidAlive } from '../../packages/config/registration.js';
import { BIN, callTool, connectMcp, daemonPids, makeTestEnv, REPO, waitFor, type McpSession, type TestEnv } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

describe('shim lifetime', () => {
  const envs: TestEnv[] = [];
  const sessions: McpSession[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => undefined)));
    await Promise.all(envs.splice(0).map((t) => t.cleanup()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('exits when its stdin closes', async () => {
    const t = makeTestEnv();
    envs.push(t);
    const shim = spawn(process.execPath, [BIN, 'mcp'], { cwd: FIXTURE, env: t.env, stdio: ['pipe', 'pipe', 'ignore'] });
    await new Promise((r) => setTimeout(r, 300));
    expect(pidAlive(shim.pid!)).toBe(true);
    const exited = new Promise<number | null>((r) => shim.on('exit', (code) => r(code)));
    shim.stdin!.end();
    expect(await exited).toBe(0);
  });

  it('a shim whose stdin closes while it starts the daemon finishes the start first, leaving no start lock', async () => {
    // The MCP Inspector's CLI does this: initialize, tools/list, close. A shim that exited mid-start could
    // leave proper-lockfile's start lock behind, and the next window's start then waited 30 s for it to go stale.
    const t = makeTestEnv();
    envs.push(t);
    const shim = spawn(process.execPath, [BIN, 'mcp'], { cwd: FIXTURE, env: t.env, stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise<number | null>((r) => shim.on('exit', (code) => r(code)));
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'quick', version: '1' } } };
    shim.stdin!.end(`${JSON.stringify(init)}\n${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    expect(await exited).toBe(0);
    expect(readFileSync(join(t.cacheDir, 'shim.log'), 'utf8')).toMatch(/spawned daemon pid=\d+/);
    expect(daemonPids(t.cacheDir)).toHaveLength(1);
    expect(existsSync(join(t.cacheDir, 'daemon.start.lock.lock'))).toBe(false);
  });

  it('exits when the process that started it is killed', async () => {
    const t = makeTestEnv();
    envs.push(t);
    // A stand-in for an agent host. The shim's stdin is a FIFO it holds open for reading and writing, so
    // it never sees EOF: when the host dies, only the shim's parent check can notice.
    const fifo = join(realpathSync(mkdtempSync(join(tmpdir(), 'chv-fifo-'))), 'stdin');
    dirs.push(join(fifo, '..'));
    execFileSync('mkfifo', [fifo]);
    const host = spawn(
      process.execPath,
      ['-e', `const fs = require('node:fs'); const { spawn } = require('node:child_process'); const fd = fs.openSync(${JSON.stringify(fifo)}, 'r+'); const c = spawn(process.execPath, [${JSON.stringify(BIN)}, 'mcp'], { stdio: [fd, 'ignore', 'ignore'] }); process.stdout.write(String(c.pid) + '\\n'); setInterval(() => {}, 1000);`],
      { cwd: FIXTURE, env: t.env, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const shimPid = await new Promise<number>((r) => host.stdout!.once('data', (d) => r(Number(String(d).trim()))));
    // Kill the host only once the shim has started (and so has noted who its parent is).
    const shimLog = join(t.cacheDir, 'shim.log');
    await waitFor(() => existsSync(shimLog) && readFileSync(shimLog, 'utf8').includes(`[shim:${shimPid}] start`), 15_000, 'the shim to start');
    expect(pidAlive(shimPid)).toBe(true);
    process.kill(host.pid!, 'SIGKILL');
    await waitFor(() => !pidAlive(shimPid), 15_000, 'the orphaned shim to exit');
    expect(readFileSync(join(t.cacheDir, 'shim.log'), 'utf8')).toMatch(new RegExp(`\\[shim:${shimPid}\\] exit why="parent process gone"`));
  });

  it('an index_repository interrupted by a daemon kill says to call it again; the next calls work and the old graph is intact', async () => {
    const t = makeTestEnv();
    envs.push(t);
    const repo = realpathSync(mkdtempSync(join(tmpdir(), 'chv-kill-')));
    dirs.push(repo);
    cpSync(join(REPO, 'node_modules/zod/src'), join(repo, 'src'), { recursive: true });
    const s = await connectMcp(t, repo);
    sessions.push(s);
    // A first complete index: this graph must survive the interrupted full re-index below.
    expect((await callTool(s, 'index_repository', { path: repo })).isError).toBe(false);
    const before = await callTool(s, 'search_graph', { name_pattern: '^ZodString$', kind: 'Class' });
    expect(before.text).toContain('ZodString');

    const [daemon] = daemonPids(t.cacheDir);
    let killed = false;
    const res = (await s.client.callTool({ name: 'index_repository', arguments: { path: repo, mode: 'full' } }, undefined, {
      onprogress: () => {
        if (!killed) {
          killed = true;
          process.kill(daemon!, 'SIGKILL');
        }
      },
      timeout: 60_000,
    })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(killed).toBe(true);
    expect(res.isError).toBe(true);
    expect(res.content[0]!.text).toContain('call index_repository again');

    const after = await callTool(s, 'search_graph', { name_pattern: '^ZodString$', kind: 'Class' });
    expect(after.isError).toBe(false);
    expect(after.text).toContain('ZodString');
    expect(daemonPids(t.cacheDir)).toHaveLength(1);
  });
});
