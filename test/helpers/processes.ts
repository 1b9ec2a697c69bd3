/**
 * Test helpers that drive real codehive processes: temp cache dirs, MCP clients over stdio through the real
 * shim, the real CLI, and a census of daemon processes read from /proc.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, realpathSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { daemonPids } from '../../bench/lib/procs.js';
import { DAEMON_NODE_FLAGS } from '../../packages/config/index.js';
export { daemonPids };

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin/codehive.js');

export interface TestEnv {
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** A private cache dir (and socket dir) with a short idle timeout; cleanup kills its daemons. */
export function makeTestEnv(extra: NodeJS.ProcessEnv = {}): TestEnv {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'chv-')));
  const cacheDir = join(base, 'cache');
  mkdirSync(cacheDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CODEHIVE_CACHE_DIR: cacheDir,
    CODEHIVE_SOCKET_DIR: join(base, 's'),
    CODEHIVE_IDLE_TIMEOUT: '30',
    CODEHIVE_WATCH: '0',
    ...extra,
  };
  delete env.VITEST_WORKER_ID;
  return {
    cacheDir,
    env,
    async cleanup() {
      for (const pid of daemonPids(cacheDir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await waitFor(() => daemonPids(cacheDir).length === 0, 10_000, 'daemons to die');
      rmSync(base, { recursive: true, force: true });
    },
  };
}


export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface McpSession {
  client: Client;
  transport: StdioClientTransport;
  pid(): number | null;
  close(): Promise<void>;
}

/** A real MCP client (the SDK's) talking to a real `codehive mcp` shim over stdio. */
export async function connectMcp(t: TestEnv, cwd: string = REPO, name = 'vitest'): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    cwd,
    env: t.env as Record<string, string>,
    stderr: 'pipe',
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    transport,
    pid: () => transport.pid,
    close: () => client.close(),
  };
}

export interface CallText {
  text: string;
  isError: boolean;
  data: Record<string, unknown> | undefined;
}

export async function callTool(s: McpSession, name: string, args: Record<string, unknown> = {}): Promise<CallText> {
  const res = (await s.client.callTool({ name, arguments: args })) as {
    content: Array<{ type: string; text?: string }>;
    isError?: boolean;
    structuredContent?: Record<string, unknown>;
  };
  return {
    text: res.content.map((c) => c.text ?? '').join('\n'),
    isError: Boolean(res.isError),
    data: res.structuredContent,
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NodeResult extends CliResult {
  /** The signal that ended the child (its own abort, or `timeoutMs` running out), or null. */
  signal: NodeJS.Signals | null;
}

export interface NodeRunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The child is killed (SIGTERM) after this long; give the test's own timeout a margin above it. */
  timeoutMs?: number;
}

/**
 * Runs `node <args>` and resolves with how it ended; never rejects. Asynchronous on purpose: a test that
 * waited in spawnSync held its vitest worker's event loop, whose progress reports to the runner then timed
 * out ("Timeout calling onTaskUpdate", an error of the whole run) whenever the child ran long.
 */
export function runNode(args: string[], opts: NodeRunOptions = {}): Promise<NodeResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 0, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const failed = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
      const code = failed ? (typeof failed.code === 'number' ? failed.code : 1) : 0;
      resolvePromise({ code, signal: failed?.signal ?? null, stdout, stderr });
    });
  });
}

/** `runNode`'s stdout, or an error with the child's stderr when it did not exit 0. */
export async function nodeOutput(args: string[], opts: NodeRunOptions = {}): Promise<string> {
  const r = await runNode(args, opts);
  if (r.code !== 0 || r.signal) throw new Error(`child failed (${r.signal ?? r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Runs `codehive <args>` as a person would. */
export function runCli(t: TestEnv, args: string[], cwd: string = REPO, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runNode([BIN, ...args], { cwd, env: { ...t.env, ...extraEnv } });
}

/** Starts a daemon in the foreground-ish way `codehive daemon` does, for tests that need its pid early. */
export function spawnDaemonDirect(t: TestEnv, extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [...DAEMON_NODE_FLAGS, join(REPO, 'dist/daemon/run.js')], {
    env: { ...t.env, ...extraEnv },
    stdio: 'ignore',
    detached: true,
  });
}

/**
 * Cache dirs and MCP sessions scoped to one test: everything made through it is closed and its daemons
 * killed after each test. Call inside a describe block.
 */
export function scopedProcesses() {
  const envs: TestEnv[] = [];
  const sessions: McpSession[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => undefined)));
    await Promise.all(envs.splice(0).map((t) => t.cleanup()));
  });
  return {
    env(extra: NodeJS.ProcessEnv = {}): TestEnv {
      const t = makeTestEnv(extra);
      envs.push(t);
      return t;
    },
    async mcp(t: TestEnv, cwd?: string, name?: string): Promise<McpSession> {
      const s = await connectMcp(t, cwd, name);
      sessions.push(s);
      return s;
    },
  };
}
