/**
 * A client's link to the daemon (the MCP shim's, or the CLI's): finds or spawns the daemon, attaches a
 * session whose channel carries its calls (and whose closing tells the daemon the client is gone, even
 * after SIGKILL), and calls tools. When the daemon dies, the next call respawns it; a read-only call in
 * flight is retried once.
 */
import type { Logger } from '../log/index.js';
import {
  CodehiveError,
  ROUTES,
  type AttachReply,
  type AttachRequest,
  type ClientInfo,
  type ErrorBody,
  type SessionUpdate,
  type ToolCallRequest,
  type ToolEvent,
  type ToolResult,
} from '../protocol/index.js';
import { ChannelClient } from './channel.js';
import { ensureDaemon, type DaemonEndpoint } from './daemon.js';
import { errorFromBody, isConnectionError, ndjsonLines, openRequest, readBody, requestJson, resetConnections } from './http.js';

export interface ConnectionOptions {
  env?: NodeJS.ProcessEnv;
  log: Logger;
  kind: 'mcp' | 'cli';
  client: ClientInfo;
  cwd: string;
  /** Attach a session and call through its channel (MCP shims do; one-off CLI calls don't need one). */
  session: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: number, total?: number, message?: string) => void;
  /** Safe to run twice: retried once if the daemon dies mid-call. */
  readOnly: boolean;
}

export class DaemonConnection {
  private endpoint: DaemonEndpoint | null = null;
  private sessionId: string | null = null;
  private channel: ChannelClient | null = null;
  private connecting: Promise<DaemonEndpoint> | null = null;
  private client: ClientInfo;
  private roots: string[] = [];
  private closed = false;

  constructor(private readonly opts: ConnectionOptions) {
    this.client = opts.client;
  }

  /** The daemon endpoint, spawning the daemon and attaching the session if needed (single-flight). */
  connect(): Promise<DaemonEndpoint> {
    if (this.endpoint) return Promise.resolve(this.endpoint);
    this.connecting ??= this.doConnect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async doConnect(): Promise<DaemonEndpoint> {
    const ep = await ensureDaemon({ env: this.opts.env, log: this.opts.log });
    if (this.opts.session) await this.attach(ep);
    this.endpoint = ep;
    return ep;
  }

  private async attach(ep: DaemonEndpoint): Promise<void> {
    const req: AttachRequest = { client: this.client, pid: process.pid, cwd: this.opts.cwd, roots: this.roots, kind: this.opts.kind };
    const { sessionId } = await requestJson<AttachReply>(ep.socketPath, ROUTES.sessions, { body: req });
    this.sessionId = sessionId;
    const channel: ChannelClient = await ChannelClient.open(ep.socketPath, sessionId, (why) => {
      if (this.channel === channel) this.lost(`session channel closed: ${why}`);
    });
    this.channel = channel;
    this.opts.log.info('attached', { sessionId, daemonPid: ep.health.pid });
  }

  /** Forget the daemon: the next call finds or spawns one again. */
  private lost(why: string): void {
    if (!this.endpoint && !this.channel) return;
    this.opts.log.warn('daemon connection lost', { why });
    if (this.endpoint) resetConnections(this.endpoint.socketPath);
    const channel = this.channel;
    this.channel = null;
    this.endpoint = null;
    this.sessionId = null;
    channel?.close();
  }

  async setClient(client: ClientInfo): Promise<void> {
    this.client = client;
    await this.patchSession({ client });
  }

  async setRoots(roots: string[]): Promise<void> {
    this.roots = roots;
    await this.patchSession({ roots });
  }

  private async patchSession(update: SessionUpdate): Promise<void> {
    // An attach in flight may have been sent before this update: let it finish, then patch.
    const ep = this.endpoint ?? (this.connecting ? await this.connecting.catch(() => null) : null);
    if (!ep || !this.sessionId) return; // not attached: the next attach carries it
    try {
      await requestJson(ep.socketPath, ROUTES.session.replace(':id', this.sessionId), { method: 'PATCH', body: update });
    } catch (err) {
      this.opts.log.warn('session update failed', { err: (err as Error).message });
    }
  }

  /** Calls a tool over HTTP (no session needed) and returns its result. */
  callTool(name: string, args: Record<string, unknown>, opts: CallOptions): Promise<ToolResult> {
    return this.withRetry(name, opts, (ep, sent) => this.callOnce(ep, name, args, opts, sent));
  }

  /**
   * Calls a tool on the session's channel and returns the MCP CallToolResult as JSON text, unparsed: the
   * shim forwards it to its agent as is. Needs `session: true`.
   */
  callToolForMcp(name: string, args: Record<string, unknown>, opts: CallOptions): Promise<string> {
    return this.withRetry(name, opts, (_ep, sent) => {
      if (!this.channel) throw new CodehiveError('DAEMON_DIED', 'no session channel (is this connection made with session: true?)');
      return this.channel.call(name, args, opts, sent);
    });
  }

  /**
   * Connects (spawning the daemon if needed) and runs `once`. When the daemon goes away, a call that was
   * not yet sent is sent again; one that was sent is retried only if it is read-only.
   */
  private async withRetry<T>(name: string, opts: CallOptions, once: (ep: DaemonEndpoint, sent: () => void) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const ep = await this.connect();
      let delivered = false;
      try {
        return await once(ep, () => (delivered = true));
      } catch (err) {
        if (opts.signal?.aborted) throw new CodehiveError('CANCELLED', `${name} was cancelled`);
        if (!isConnectionError(err)) throw err;
        this.lost(`${name}: ${(err as Error).message}`);
        // Not delivered (refused, draining) is always safe to resend; delivered is safe only for reads.
        const retryable = !delivered || opts.readOnly || (err instanceof CodehiveError && err.code === 'DRAINING');
        if (attempt === 0 && retryable && !this.closed) continue;
        throw new CodehiveError(
          'DAEMON_DIED',
          delivered && !opts.readOnly
            ? `the codehive daemon stopped while ${name} was running; it has been restarted. The work may be incomplete: call ${name} again.`
            : `the codehive daemon stopped during ${name} and did not come back; see the log in the cache dir and try again`,
        );
      }
    }
  }

  private async callOnce(
    ep: DaemonEndpoint,
    name: string,
    args: Record<string, unknown>,
    opts: CallOptions,
    markDelivered: () => void,
  ): Promise<ToolResult> {
    const body: ToolCallRequest = {
      sessionId: this.sessionId ?? undefined,
      cwd: this.opts.cwd,
      arguments: args,
      progress: Boolean(opts.onProgress),
    };
    const res = await openRequest(ep.socketPath, ROUTES.tool.replace(':name', encodeURIComponent(name)), { body, signal: opts.signal });
    markDelivered();
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readBody(res);
      let parsed: unknown = {};
      try {
        parsed = JSON.parse(text);
      } catch {
        /* fall through to a generic error */
      }
      throw errorFromBody(parsed, res.statusCode ?? 500);
    }
    // The last event is the answer; the loop still reads to the end of the response. Leaving a for-await
    // early destroys the stream, and with it the keep-alive connection: every call then dialled a new one
    // (connect, accept and close on both sides showed in CPU profiles of 8 sessions × 50 calls).
    let last: ToolEvent | undefined;
    try {
      for await (const line of ndjsonLines(res)) {
        const ev = line as ToolEvent;
        if (ev.type === 'progress') opts.onProgress?.(ev.progress, ev.total, ev.message);
        else last = ev;
      }
    } catch (err) {
      // The whole answer arrived before the connection broke: it stands.
      if (last?.type !== 'result') throw new CodehiveError('DAEMON_DIED', `connection to the daemon broke during ${name}: ${(err as Error).message}`);
    }
    if (last?.type === 'result') return last.result;
    if (last?.type === 'error') throw CodehiveError.fromBody(last.error as ErrorBody);
    throw new CodehiveError('DAEMON_DIED', `the daemon ended ${name}'s answer early`);
  }

  /**
   * Waits (bounded) for a connect in progress to finish. A client that exits in the middle of one may die
   * between proper-lockfile creating the start lock and recording it for release at exit: the lock then
   * stays until it is stale (30 s), and every other client's start waits that long.
   */
  async settle(maxMs: number): Promise<void> {
    if (!this.connecting) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.connecting.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, maxMs)))]);
    clearTimeout(timer);
  }

  /** The endpoint if connected (no spawn). */
  current(): DaemonEndpoint | null {
    return this.endpoint;
  }

  close(): void {
    this.closed = true;
    this.channel?.close();
    this.channel = null;
    if (this.endpoint) resetConnections(this.endpoint.socketPath);
    this.endpoint = null;
  }
}
