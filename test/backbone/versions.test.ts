import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeDaemon } from '../../packages/client/daemon.js';
import { PROTOCOL_VERSION, compareBuilds, type HealthReply } from '../../packages/protocol/index.js';
import { callTool, connectMcp, daemonPids, REPO, runCli, waitFor, scopedProcesses, type McpSession } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');
const OLD = { version: '0.0.1', buildId: 'old-build', builtAt: 1000 };
const NEW = { version: '9.0.0', buildId: 'new-build', builtAt: 2000 };

const health = (b: typeof OLD, protocol = PROTOCOL_VERSION): HealthReply => ({
  ok: true, pid: 1, protocol, startedAt: 0, draining: false, cacheDir: '/x', ...b,
});

describe('version hand-over', () => {
  const scope = scopedProcesses();

  it('orders builds totally, so two builds never both decide to replace the other', () => {
    expect(compareBuilds(NEW, OLD)).toBeGreaterThan(0);
    expect(compareBuilds(OLD, NEW)).toBeLessThan(0);
    const sameVersion = { ...OLD, buildId: 'other', builtAt: OLD.builtAt };
    expect(Math.sign(compareBuilds(sameVersion, OLD))).toBe(-Math.sign(compareBuilds(OLD, sameVersion)));
    expect(judgeDaemon(NEW, health(OLD))).toBe('replace');
    expect(judgeDaemon(OLD, health(NEW))).toBe('use');
    expect(judgeDaemon(OLD, health(NEW, PROTOCOL_VERSION + 1))).toBe('incompatible');
    expect(judgeDaemon(NEW, health(NEW))).toBe('use');
  });

  it('a newer shim drains and replaces an older daemon; an older shim then uses the newer daemon', async () => {
    const t = scope.env();
    const oldEnv = { CODEHIVE_BUILD_OVERRIDE: JSON.stringify(OLD) };
    const newEnv = { CODEHIVE_BUILD_OVERRIDE: JSON.stringify(NEW) };
    expect((await runCli(t, ['projects'], FIXTURE, oldEnv)).code).toBe(0);
    const oldPid = JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).pid;
    expect(JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).buildId).toBe('old-build');

    expect((await runCli(t, ['projects'], FIXTURE, newEnv)).code).toBe(0);
    const reg = JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8'));
    expect(reg.buildId).toBe('new-build');
    expect(reg.pid).not.toBe(oldPid);
    await waitFor(() => !daemonPids(t.cacheDir).includes(oldPid), 10_000, 'the old daemon to exit');

    // The old client keeps working against the newer daemon and does not replace it back.
    expect((await runCli(t, ['projects'], FIXTURE, oldEnv)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).pid).toBe(reg.pid);
    expect(daemonPids(t.cacheDir)).toEqual([reg.pid]);
    expect(readFileSync(join(t.cacheDir, 'daemon.log'), 'utf8')).toContain('replaced by newer build 9.0.0+new-build');
  });

  it('an old shim session survives the hand-over: its next call reaches the new daemon', async () => {
    const t = scope.env();
    const old = await scope.mcp({ ...t, env: { ...t.env, CODEHIVE_BUILD_OVERRIDE: JSON.stringify(OLD) } }, FIXTURE, 'old-window');
    expect((await callTool(old, 'list_projects')).isError).toBe(false);
    expect((await runCli(t, ['projects'], FIXTURE, { CODEHIVE_BUILD_OVERRIDE: JSON.stringify(NEW) })).code).toBe(0);
    const r = await callTool(old, 'list_projects');
    expect(r.isError).toBe(false);
    expect(JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).buildId).toBe('new-build');
  });
});
