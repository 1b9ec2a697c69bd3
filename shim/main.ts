/**
 * `codehive mcp`: the MCP stdio server an agent window starts. It is deliberately thin: it answers
 * `initialize` and `tools/list` itself at once (the tool list is JSON generated at build time from the shared
 * definitions), and forwards every `tools/call` to the daemon, which it spawns on first use. Stdout is the
 * protocol channel: nothing else may ever be written there — logs go to the cache dir.
 */
import { fileURLToPath } from 'node:url';
import { DaemonConnection } from '../packages/client/connection.js';
import { buildInfo, cachePaths } from '../packages/config/index.js';
import { keepYoungGenerationSmall } from '../packages/config/heap.js';
import { createLogger, type Logger } from '../packages/log/index.js';
import { asCodehiveError } from '../packages/protocol/index.js';
import { toolCatalog } from '../packages/tools/catalog.js';
import { RawJson, StdioMcpServer, type CallToolResult, type ToolCallContext } from './mcp-server.js';

/** How often the shim checks that the process that started it is still there. */
const PARENT_CHECK_MS = 2_000;
/** At exit, how long a daemon start in progress may take to finish. */
const START_SETTLE_MS = 5_000;

export async function runShim(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  keepYoungGenerationSmall();
  const paths = cachePaths(env);
  const log = createLogger(paths.shimLog, { tag: `shim:${process.pid}` });
  const build = buildInfo(env);
  const list = toolCatalog();
  const readOnly = new Map(list.tools.map((t) => [t.name, t.annotations.readOnlyHint]));
  const conn = new DaemonConnection({ env, log, kind: 'mcp', client: { name: 'unknown', version: '' }, cwd: process.cwd(), session: true });

  // A client that announces roots expects calls to be about them: the first call waits (briefly) for them.
  let rootsReady: Promise<void> = Promise.resolve();
  const server: StdioMcpServer = new StdioMcpServer({
    name: 'codehive',
    version: build.version,
    instructions: list.instructions,
    tools: list.tools,
    log,
    callTool: async (name, args, ctx) => {
      await rootsReady;
      return forward(conn, readOnly, name, args, ctx, log);
    },
    onInitialized: (client, capabilities) => {
      void conn.setClient(client);
      if (capabilities.roots) rootsReady = refreshRoots(server, conn, log);
      // Warm up: spawn or attach now, so the first tool call finds the daemon ready.
      conn.connect().catch((err) => log.warn('daemon not reachable yet', { err: (err as Error).message }));
    },
    onRootsChanged: () => {
      rootsReady = refreshRoots(server, conn, log);
    },
  });

  let exiting = false;
  const exit = (why: string) => {
    if (exiting) return;
    exiting = true;
    log.info('exit', { why });
    // A daemon start under way finishes first (see DaemonConnection.settle); the wait is bounded.
    void conn.settle(START_SETTLE_MS).finally(() => {
      conn.close();
      process.exit(0);
    });
  };
  // Hosts that forget a server close its stdin; a shim must not linger blocked on it.
  process.stdin.on('end', () => exit('stdin closed'));
  process.stdin.on('close', () => exit('stdin closed'));
  process.stdout.on('error', () => exit('stdout closed'));
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit('parent process gone');
  }, PARENT_CHECK_MS).unref();

  log.info('start', { pid: process.pid, ppid: parent, cwd: process.cwd(), version: build.version, build: build.buildId });
  server.start();
}

async function forward(
  conn: DaemonConnection,
  readOnly: Map<string, boolean>,
  name: string,
  args: Record<string, unknown>,
  ctx: ToolCallContext,
  log: Logger,
): Promise<CallToolResult | RawJson> {
  try {
    // Unknown tools go to the daemon too: it answers with the list of real ones.
    const opts = { signal: ctx.signal, readOnly: readOnly.get(name) ?? true, onProgress: ctx.progress };
    return new RawJson(await conn.callToolForMcp(name, args, opts));
  } catch (err) {
    const e = asCodehiveError(err);
    if (e.code === 'INTERNAL' || e.code === 'DAEMON_UNAVAILABLE' || e.code === 'DAEMON_DIED') log.warn('call failed', { tool: name, code: e.code, err: e.message });
    return { content: [{ type: 'text', text: `${e.code}: ${e.message}` }], isError: true };
  }
}

async function refreshRoots(server: StdioMcpServer, conn: DaemonConnection, log: Logger): Promise<void> {
  try {
    const { roots } = (await server.request('roots/list', {}, 2_000)) as { roots: Array<{ uri: string }> };
    const paths = roots.filter((r) => r.uri.startsWith('file://')).map((r) => fileURLToPath(r.uri));
    await conn.setRoots(paths);
  } catch (err) {
    log.warn('roots/list failed', { err: (err as Error).message });
  }
}
