import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, connectMcp, daemonPids, REPO, runCli, scopedProcesses, waitFor, type McpSession } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

describe('daemon settings', () => {
  const scope = scopedProcesses();

  it('CODEHIVE_SQLITE_MMAP_SIZE=0 turns mmap off, and status says so', async () => {
    const t = scope.env({ CODEHIVE_SQLITE_MMAP_SIZE: '0' });
    expect((await runCli(t, ['projects'], FIXTURE)).code).toBe(0);
    const json = JSON.parse((await runCli(t, ['status', '--json'])).stdout);
    expect(json.sqlite.mmapSize).toBe(0);
    expect(json.sqlite.journalMode).toBe('wal');
    expect((await runCli(t, ['status'])).stdout).toContain('mmap off');
  });

  it('the default mmap_size is 64 MiB and a custom one is applied', async () => {
    const t = scope.env({ CODEHIVE_SQLITE_MMAP_SIZE: '1048576' });
    await runCli(t, ['projects'], FIXTURE);
    expect(JSON.parse((await runCli(t, ['status', '--json'])).stdout).sqlite.mmapSize).toBe(1048576);
  });

  it('an invalid CODEHIVE_SQLITE_MMAP_SIZE is a clear start-up error, not a silent default', async () => {
    const t = scope.env({ CODEHIVE_SQLITE_MMAP_SIZE: '64MB' });
    const r = await runCli(t, ['projects'], FIXTURE);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('CODEHIVE_SQLITE_MMAP_SIZE="64MB" is not a whole number of bytes');
    expect(daemonPids(t.cacheDir)).toEqual([]);
    // Through MCP the agent gets the same message as a tool error.
    const s = await scope.mcp(t, FIXTURE);
    const res = await callTool(s, 'list_projects');
    expect(res.isError).toBe(true);
    expect(res.text).toContain('CODEHIVE_SQLITE_MMAP_SIZE');
  });

  it('background threads run at a lower CPU priority than the main thread; checkpoints run on one of them', async () => {
    const t = scope.env({});
    expect((await runCli(t, ['index', FIXTURE], FIXTURE)).code).toBe(0);
    // The checkpoint after the job runs on its own (low-priority) thread: under load its answer can come
    // after the index call returns, so wait for it instead of reading the status once.
    let json: any;
    await waitFor(async () => (json = JSON.parse((await runCli(t, ['status', '--json'])).stdout)).sqlite.lastCheckpoint?.logFrames > 0, 30_000, 'the checkpoint after the index');
    const nice = (tid: string) => {
      const stat = readFileSync(`/proc/${json.pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const tids = readdirSync(`/proc/${json.pid}/task`);
    expect(nice(String(json.pid))).toBe(0);
    // Spawned with a fixed mmap threshold and glibc's own arena count (see daemonProcessEnv).
    const environ = readFileSync(`/proc/${json.pid}/environ`, 'utf8').split('\0');
    expect(environ.filter((v) => v.startsWith('MALLOC_ARENA_MAX='))).toEqual([]);
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    // Parse workers, the resolve worker and the checkpoint thread.
    expect(tids.filter((tid) => nice(tid) === 10).length).toBeGreaterThanOrEqual(3);
    // The checkpoint thread answered: the last checkpoint is recorded with what it copied.
    expect(json.sqlite.lastCheckpoint).toMatchObject({ busy: 0 });
    expect(json.sqlite.lastCheckpoint.logFrames).toBeGreaterThan(0);
    expect(json.sqlite.lastCheckpoint.checkpointedFrames).toBe(json.sqlite.lastCheckpoint.logFrames);
  });

  it('CODEHIVE_ALLOWED_ROOTS confines what can be indexed', async () => {
    const t = scope.env({ CODEHIVE_ALLOWED_ROOTS: join(REPO, 'test/fixtures/backbone-repo') });
    const s = await scope.mcp(t, FIXTURE);
    const outside = await callTool(s, 'index_repository', { path: join(REPO, 'test/fixtures/tools/basic') });
    expect(outside.isError).toBe(true);
    expect(outside.text).toContain('PATH_NOT_ALLOWED');
    expect(outside.text).toContain('outside CODEHIVE_ALLOWED_ROOTS');
    expect((await callTool(s, 'index_repository', { path: FIXTURE })).isError).toBe(false);
  });

  it('status when no daemon runs exits 3 and lists the cache dir without starting one', async () => {
    const t = scope.env();
    const r = await runCli(t, ['status']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('not running');
    expect(daemonPids(t.cacheDir)).toEqual([]);
  });
});
