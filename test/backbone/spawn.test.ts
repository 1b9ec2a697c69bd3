import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../../packages/config/registration.js';
import { callTool, connectMcp, daemonPids, REPO, runCli, waitFor, scopedProcesses, type McpSession } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

describe('spawning the daemon', () => {
  const scope = scopedProcesses();

  it('16 shims started at the same instant share exactly one daemon and all get answers', async () => {
    const t = scope.env();
    const started = await Promise.all(Array.from({ length: 16 }, (_, i) => scope.mcp(t, FIXTURE, `window-${i}`)));
    const answers = await Promise.all(started.map((s) => callTool(s, 'list_projects')));
    for (const a of answers) expect(a.isError).toBe(false);
    expect(daemonPids(t.cacheDir)).toHaveLength(1);
    const status = JSON.parse((await runCli(t, ['status', '--json'])).stdout);
    const clients = status.sessions.filter((s: { kind: string }) => s.kind === 'mcp').map((s: { client: string }) => s.client.split('@')[0]).sort();
    expect(clients).toEqual(Array.from({ length: 16 }, (_, i) => `window-${i}`).sort());
  });

  it('creates the cache dir 0700, the socket dir 0700 and the socket 0600, and writes a registration', async () => {
    const t = scope.env();
    const s = await scope.mcp(t, FIXTURE);
    expect((await callTool(s, 'list_projects')).isError).toBe(false);
    const reg = JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8'));
    expect(reg.pid).toBe(daemonPids(t.cacheDir)[0]);
    expect(reg.protocol).toBe(1);
    expect(typeof reg.buildId).toBe('string');
    expect(statSync(t.cacheDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(dirname(reg.socketPath)).mode & 0o777).toBe(0o700);
    expect(lstatSync(reg.socketPath).isSocket()).toBe(true);
    expect(lstatSync(reg.socketPath).mode & 0o777).toBe(0o600);
    // No TCP listener: the daemon's only listening socket is the Unix one.
    const pid = reg.pid as number;
    const tcp = readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8');
    const inodes = new Set(
      tcp.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[3] === '0A').map((f) => f[9]),
    );
    const { readdirSync, readlinkSync } = await import('node:fs');
    const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } });
    const listening = fds.filter((l) => l.startsWith('socket:[')).map((l) => l.slice(8, -1)).filter((ino) => inodes.has(ino));
    expect(listening).toEqual([]);
  });

  it('two cache dirs get two independent daemons', async () => {
    const a = scope.env();
    const b = scope.env();
    const sa = await scope.mcp(a, FIXTURE);
    const sb = await scope.mcp(b, FIXTURE);
    expect((await callTool(sa, 'index_repository', { path: FIXTURE })).isError).toBe(false);
    const listB = await callTool(sb, 'list_projects');
    expect(listB.isError).toBe(false);
    expect(listB.text).not.toContain(FIXTURE);
    expect((await callTool(sa, 'list_projects')).text).toContain(FIXTURE);
    const [pa] = daemonPids(a.cacheDir);
    const [pb] = daemonPids(b.cacheDir);
    expect(pa).toBeGreaterThan(0);
    expect(pb).toBeGreaterThan(0);
    expect(pa).not.toBe(pb);
  });

  it('recovers from a stale socket file and a registration naming a dead pid', async () => {
    const t = scope.env();
    // Leave behind what a crashed daemon leaves: a bound-then-abandoned socket file and its registration.
    const first = await connectMcp(t, FIXTURE);
    const firstAnswer = await callTool(first, 'list_projects');
    expect(firstAnswer.text).not.toMatch(/^[A-Z_]+: /);
    expect(firstAnswer.isError).toBe(false);
    const reg = JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8'));
    await first.close();
    process.kill(reg.pid, 'SIGKILL');
    // Until its last thread has exited, a killed process still holds its listening socket.
    await waitFor(() => !pidAlive(reg.pid), 10_000, 'daemon death');
    expect(existsSync(reg.socketPath)).toBe(true);
    expect(JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).pid).toBe(reg.pid);
    const refused = await new Promise<string>((r) => net.connect(reg.socketPath).on('error', (e: NodeJS.ErrnoException) => r(e.code ?? '')).on('connect', () => r('connected')));
    expect(refused).toBe('ECONNREFUSED');

    const next = await scope.mcp(t, FIXTURE);
    expect((await callTool(next, 'list_projects')).isError).toBe(false);
    const pids = daemonPids(t.cacheDir);
    expect(pids).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).pid).toBe(pids[0]);
  });

  it('refuses a socket dir that other users can enter or that is not a directory', async () => {
    const t = scope.env();
    const sockDir = t.env.CODEHIVE_SOCKET_DIR!;
    mkdirSync(dirname(sockDir), { recursive: true });
    writeFileSync(sockDir, 'not a dir');
    const r = await runCli(t, ['projects'], FIXTURE);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/socket dir|not a directory|ENOTDIR|EEXIST/);
  });

  it('names the path and the fix when the socket path is too long for sun_path', async () => {
    const t = scope.env({ CODEHIVE_SOCKET_DIR: '/tmp/' + 'x'.repeat(120) });
    const r = await runCli(t, ['projects'], FIXTURE);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('x'.repeat(120));
    expect(r.stderr).toContain('CODEHIVE_SOCKET_DIR');
  });
});
