/**
 * A minimal MCP server over stdio (newline-delimited JSON-RPC 2.0): exactly the part of the protocol a
 * forwarding shim needs — initialize, ping, tools/list, tools/call with progress and cancellation, roots.
 *
 * Why not the SDK's server: loading it (its zod schemas for the whole protocol, ajv) costs ~150 ms and ~27 MB
 * per agent window, for a process whose job is to pass bytes along. The SDK's *client* is what the tests
 * and the MCP Inspector drive this with, so conformance is checked against the real thing.
 */
import type { Logger } from '../packages/log/index.js';
import { TickBatchedWriter, type McpToolResult } from '../packages/protocol/index.js';

/** Protocol revisions we speak, newest first (same wire format for everything this server does). */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];

type Id = string | number;

interface JsonRpcMessage {
  jsonrpc?: '2.0';
  id?: Id | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface ToolCallContext {
  signal: AbortSignal;
  /** Present when the client asked for progress (`_meta.progressToken`). */
  progress?: (progress: number, total?: number, message?: string) => void;
}

export type CallToolResult = McpToolResult;

/** A result already serialised (the daemon's answer, forwarded without parsing it). */
export class RawJson {
  constructor(readonly json: string) {}
}

export interface McpServerOptions {
  name: string;
  version: string;
  instructions: string;
  tools: unknown[];
  log: Logger;
  callTool(name: string, args: Record<string, unknown>, ctx: ToolCallContext): Promise<CallToolResult | RawJson>;
  onInitialized?(client: { name: string; version: string }, capabilities: Record<string, unknown>): void;
  onRootsChanged?(): void;
}

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;

export class StdioMcpServer {
  private clientCapabilities: Record<string, unknown> = {};
  private client = { name: 'unknown', version: '' };
  private readonly inflight = new Map<Id, AbortController>();
  private readonly cancelled = new Set<Id>();
  private readonly pending = new Map<Id, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private buffered = '';
  /** Answers completed in one tick (a burst of forwarded calls) leave in one write to the agent. */
  private readonly stdout = new TickBatchedWriter(process.stdout);

  constructor(private readonly opts: McpServerOptions) {}

  /** Starts reading stdin. */
  start(input: NodeJS.ReadableStream = process.stdin): void {
    input.setEncoding?.('utf8');
    input.on('data', (chunk: string) => this.onData(chunk));
  }

  get capabilities(): Record<string, unknown> {
    return this.clientCapabilities;
  }

  /** A request from server to client (e.g. roots/list). */
  request(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
    const id = `codehive-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: Record<string, unknown>): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  private send(msg: JsonRpcMessage): void {
    this.stdout.write(JSON.stringify(msg) + '\n');
  }


  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.send({ jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: 'Parse error: not JSON' } });
      return;
    }
    // Older protocol revisions allowed batches.
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) this.dispatch(msg as JsonRpcMessage);
  }

  private dispatch(msg: JsonRpcMessage): void {
    if (!msg || typeof msg !== 'object') {
      this.send({ jsonrpc: '2.0', id: null, error: { code: INVALID_REQUEST, message: 'Invalid request' } });
      return;
    }
    if (msg.method === undefined && msg.id !== undefined && msg.id !== null) return this.onResponse(msg);
    if (typeof msg.method !== 'string') {
      this.send({ jsonrpc: '2.0', id: msg.id ?? null, error: { code: INVALID_REQUEST, message: 'Invalid request: no method' } });
      return;
    }
    if (msg.id === undefined || msg.id === null) return this.onNotification(msg.method, msg.params ?? {});
    void this.onRequest(msg.id, msg.method, msg.params ?? {});
  }

  private onResponse(msg: JsonRpcMessage): void {
    const waiter = this.pending.get(msg.id as Id);
    if (!waiter) return;
    this.pending.delete(msg.id as Id);
    if (msg.error) waiter.reject(new Error(msg.error.message));
    else waiter.resolve(msg.result);
  }

  private onNotification(method: string, params: Record<string, unknown>): void {
    if (method === 'notifications/initialized') {
      this.opts.onInitialized?.(this.client, this.clientCapabilities);
    } else if (method === 'notifications/cancelled') {
      const controller = this.inflight.get(params.requestId as Id);
      if (controller) {
        this.cancelled.add(params.requestId as Id);
        controller.abort();
      }
    } else if (method === 'notifications/roots/list_changed') {
      this.opts.onRootsChanged?.();
    }
  }

  private async onRequest(id: Id, method: string, params: Record<string, unknown>): Promise<void> {
    try {
      const result = await this.handle(id, method, params);
      // A cancelled request gets no answer (the client has forgotten its id).
      if (this.cancelled.delete(id)) return;
      if (result instanceof RawJson) this.stdout.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result.json}}\n`);
      else this.send({ jsonrpc: '2.0', id, result });
    } catch (err) {
      if (this.cancelled.delete(id)) return;
      const e = err as { rpcCode?: number; message?: string };
      this.send({ jsonrpc: '2.0', id, error: { code: e.rpcCode ?? INVALID_PARAMS, message: e.message ?? String(err) } });
    }
  }

  private async handle(id: Id, method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case 'initialize':
        return this.initialize(params);
      case 'ping':
        return {};
      case 'tools/list':
        return { tools: this.opts.tools };
      case 'tools/call':
        return this.callTool(id, params);
      case 'logging/setLevel':
        return {};
      case 'resources/list':
        return { resources: [] };
      case 'prompts/list':
        return { prompts: [] };
      default:
        throw Object.assign(new Error(`Method not found: ${method}`), { rpcCode: METHOD_NOT_FOUND });
    }
  }

  private initialize(params: Record<string, unknown>): unknown {
    const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : SUPPORTED_PROTOCOL_VERSIONS[0]!;
    const info = params.clientInfo as { name?: unknown; version?: unknown } | undefined;
    this.client = { name: String(info?.name ?? 'unknown'), version: String(info?.version ?? '') };
    this.clientCapabilities = (params.capabilities as Record<string, unknown>) ?? {};
    return {
      protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : SUPPORTED_PROTOCOL_VERSIONS[0],
      capabilities: { tools: { listChanged: false } },
      serverInfo: { name: this.opts.name, version: this.opts.version },
      instructions: this.opts.instructions,
    };
  }

  private async callTool(id: Id, params: Record<string, unknown>): Promise<CallToolResult | RawJson> {
    const name = params.name;
    if (typeof name !== 'string') throw new Error('tools/call needs a tool name');
    const args = params.arguments ?? {};
    if (typeof args !== 'object' || Array.isArray(args)) throw new Error('tools/call arguments must be an object');
    const token = (params._meta as { progressToken?: string | number } | undefined)?.progressToken;
    const controller = new AbortController();
    this.inflight.set(id, controller);
    try {
      return await this.opts.callTool(name, args as Record<string, unknown>, {
        signal: controller.signal,
        progress:
          token === undefined
            ? undefined
            : (progress, total, message) => this.notify('notifications/progress', { progressToken: token, progress, total, message }),
      });
    } finally {
      this.inflight.delete(id);
    }
  }
}
