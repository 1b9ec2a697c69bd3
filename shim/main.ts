/**
 * `codehive mcp`: the MCP stdio server an agent window starts. It is deliberately thin: it answers
 * `initialize` and `tools/list` itself at once (tool definitions are shared code), and forwards every
 * `tools/call` to the daemon, which it spawns on first use. Stdout is the protocol channel: nothing else may
 * ever be written there — logs go to the cache dir.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { RootsListChangedNotificationSchema, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { fileURLToPath } from 'node:url';
import { DaemonConnection } from '../packages/client/connection.js';
import { buildInfo, cachePaths } from '../packages/config/index.js';
import { createLogger, type Logger } from '../packages/log/index.js';
import { asCodehiveError } from '../packages/protocol/index.js';
import { SERVER_INSTRUCTIONS, TOOL_INPUTS, TOOLS, type ToolDefinition } from '../packages/tools/definitions.js';

/** How often the shim checks that the process that started it is still there. */
const PARENT_CHECK_MS = 2_000;

export async function runShim(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const paths = cachePaths(env);
  const log = createLogger(paths.shimLog, { tag: `shim:${process.pid}` });
  const build = buildInfo(env);
  const conn = new DaemonConnection({
    env,
    log,
    kind: 'mcp',
    client: { name: 'unknown', version: '' },
    cwd: process.cwd(),
    session: true,
  });
  const server = new McpServer({ name: 'codehive', version: build.version }, { instructions: SERVER_INSTRUCTIONS, capabilities: { tools: {} } });
  for (const def of TOOLS) registerForwarder(server, def, conn, log);

  server.server.oninitialized = () => {
    const client = server.server.getClientVersion();
    if (client) void conn.setClient({ name: client.name, version: client.version });
    void refreshRoots(server, conn, log);
    // Warm up: spawn or attach now, so the first tool call finds the daemon ready.
    conn.connect().catch((err) => log.warn('daemon not reachable yet', { err: (err as Error).message }));
  };
  server.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => refreshRoots(server, conn, log));

  const exit = (why: string) => {
    log.info('exit', { why });
    conn.close();
    process.exit(0);
  };
  // Hosts that forget a server close its stdin; a shim must not linger blocked on it.
  process.stdin.on('end', () => exit('stdin closed'));
  process.stdin.on('close', () => exit('stdin closed'));
  process.on('SIGTERM', () => exit('SIGTERM'));
  process.on('SIGINT', () => exit('SIGINT'));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit('parent process gone');
  }, PARENT_CHECK_MS).unref();

  log.info('start', { pid: process.pid, ppid: parent, cwd: process.cwd(), version: build.version, build: build.buildId });
  await server.connect(new StdioServerTransport());
}

function registerForwarder(server: McpServer, def: ToolDefinition, conn: DaemonConnection, log: Logger): void {
  server.registerTool(
    def.name,
    {
      title: def.title,
      description: def.description,
      inputSchema: TOOL_INPUTS[def.name],
      annotations: {
        title: def.title,
        readOnlyHint: def.readOnly,
        destructiveHint: def.destructive ?? false,
        idempotentHint: def.readOnly,
        openWorldHint: false,
      },
    },
    async (args: Record<string, unknown>, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) => {
      const token = extra._meta?.progressToken;
      const onProgress =
        token === undefined
          ? undefined
          : (progress: number, total?: number, message?: string) =>
              void extra
                .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } })
                .catch(() => undefined);
      try {
        const result = await conn.callTool(def.name, args, { signal: extra.signal, readOnly: def.readOnly, onProgress });
        return {
          content: [{ type: 'text' as const, text: result.text }],
          structuredContent: result.data,
          isError: result.isError ?? false,
        };
      } catch (err) {
        const e = asCodehiveError(err);
        if (e.code === 'INTERNAL' || e.code === 'DAEMON_UNAVAILABLE' || e.code === 'DAEMON_DIED') log.warn('call failed', { tool: def.name, code: e.code, err: e.message });
        return { content: [{ type: 'text' as const, text: `${e.code}: ${e.message}` }], isError: true };
      }
    },
  );
}

async function refreshRoots(server: McpServer, conn: DaemonConnection, log: Logger): Promise<void> {
  if (!server.server.getClientCapabilities()?.roots) return;
  try {
    const { roots } = await server.server.listRoots();
    const paths = roots.filter((r) => r.uri.startsWith('file://')).map((r) => fileURLToPath(r.uri));
    await conn.setRoots(paths);
  } catch (err) {
    log.warn('roots/list failed', { err: (err as Error).message });
  }
}
