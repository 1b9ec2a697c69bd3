/**
 * The socket protocol between clients (MCP shims, the CLI) and the daemon: HTTP/1.1 over a Unix socket,
 * JSON bodies. docs/protocol.md is the prose version of this file; keep them in step.
 */
export * from './errors.js';
export * from './channel.js';

/**
 * Bumped on any incompatible change to routes or payloads. Clients and daemons with different protocol
 * versions cannot talk; within one protocol version, any build can serve any client.
 */
export const PROTOCOL_VERSION = 1;

export const ROUTES = {
  health: '/v1/health',
  status: '/v1/status',
  sessions: '/v1/sessions', // POST: attach → { sessionId }
  sessionHold: '/v1/sessions/:id/hold', // GET: held open for the session's life (clients before the channel)
  sessionChannel: '/v1/sessions/:id/channel', // GET + Upgrade: the session's call channel, open for its life
  session: '/v1/sessions/:id', // PATCH: update client info / roots; DELETE: detach
  tool: '/v1/tools/:name', // POST: call a tool, NDJSON stream of ToolEvent
  shutdown: '/v1/shutdown', // POST: drain and exit
  export: '/v1/export', // GET ?project=…: JSON lines of the whole graph
} as const;

export interface BuildInfo {
  version: string;
  buildId: string;
  /** ms since epoch when this build was produced; orders builds that share a version. */
  builtAt: number;
}

export interface HealthReply extends BuildInfo {
  ok: true;
  pid: number;
  protocol: number;
  startedAt: number;
  draining: boolean;
  cacheDir: string;
}

export interface ClientInfo {
  name: string;
  version: string;
}

export interface AttachRequest {
  /** MCP client (from `initialize`) or `codehive-cli`. */
  client: ClientInfo;
  pid: number;
  cwd: string;
  /** File-system roots the MCP client announced (absolute paths). */
  roots?: string[];
  kind: 'mcp' | 'cli';
}

export interface AttachReply {
  sessionId: string;
}

export interface SessionUpdate {
  client?: ClientInfo;
  roots?: string[];
}

export interface ToolCallRequest {
  /** The session that makes the call; determines the default project (cwd / roots). */
  sessionId?: string;
  /** Used when no session is given (one-off CLI calls). */
  cwd?: string;
  arguments: Record<string, unknown>;
  /** Ask for progress events (MCP progressToken present). */
  progress?: boolean;
}

/** One line of the NDJSON stream that answers a tool call. The last line is `result` or `error`. */
export type ToolEvent =
  | { type: 'progress'; progress: number; total?: number; message?: string }
  | { type: 'result'; result: ToolResult }
  | { type: 'error'; error: import('./errors.js').ErrorBody };

/** What every tool returns: dense text for agents and people, the same data structured for programs. */
export interface ToolResult {
  text: string;
  data: Record<string, unknown>;
  /** A tool-level failure the agent should see (MCP `isError`), e.g. an unknown symbol with near matches. */
  isError?: boolean;
}

export interface ShutdownRequest {
  reason: string;
  /** Finish in-flight calls first (and refuse new ones). Default true. */
  drain?: boolean;
  /** Only shut down if the daemon's build id is this one (guards hand-over races). */
  ifBuildId?: string;
}

/** Header carrying the caller's build so the daemon can log and refuse incompatible peers. */
export const CLIENT_BUILD_HEADER = 'x-codehive-build';
export const CLIENT_PROTOCOL_HEADER = 'x-codehive-protocol';

/**
 * Orders two builds: > 0 when `a` is newer than `b`. Version first (semver numeric), then build time, then
 * build id as a tie-break, so any two distinct builds have one consistent order and two versions can
 * never each decide the other is older (no kill loops).
 */
export function compareBuilds(a: BuildInfo, b: BuildInfo): number {
  const va = a.version.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const vb = b.version.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (va[i] ?? 0) - (vb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (a.builtAt !== b.builtAt) return a.builtAt - b.builtAt;
  return a.buildId < b.buildId ? -1 : a.buildId > b.buildId ? 1 : 0;
}
