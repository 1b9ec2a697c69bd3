/**
 * A client's end of a session channel (packages/protocol/channel.ts): writes call and cancel lines, routes
 * answer frames back to their calls. When the connection closes, every call still waiting fails with
 * DAEMON_DIED, which the connection's retry loop understands.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import {
  CHANNEL_UPGRADE,
  CodehiveError,
  decodeFrame,
  LineSplitter,
  ROUTES,
  TickBatchedWriter,
  type ChannelRequest,
  type ProgressPayload,
} from '../protocol/index.js';
import { clientHeaders, errorFromBody, readBody } from './http.js';

export interface ChannelCallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: number, total?: number, message?: string) => void;
}

interface Waiter {
  tool: string;
  resolve(payload: string): void;
  reject(err: Error): void;
  onProgress?: ChannelCallOptions['onProgress'];
  done(): void;
}

export class ChannelClient {
  private readonly waiting = new Map<number, Waiter>();
  private readonly lines: LineSplitter;
  private readonly out: TickBatchedWriter;
  private nextCall = 1;
  private closedWhy: string | null = null;

  /**
   * Opens the channel of an attached session; `onClosed` is called once when it closes, for whatever reason.
   * Rejects with the daemon's typed error if it refuses.
   */
  static open(socketPath: string, sessionId: string, onClosed: (why: string) => void): Promise<ChannelClient> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath,
        path: ROUTES.sessionChannel.replace(':id', encodeURIComponent(sessionId)),
        headers: { ...clientHeaders(), connection: 'Upgrade', upgrade: CHANNEL_UPGRADE },
        agent: false,
      });
      req.on('upgrade', (_res, socket, head) => resolve(new ChannelClient(socket as Socket, head, onClosed)));
      req.on('response', (res) => {
        readBody(res)
          .then((text) => reject(errorFromBody(safeJson(text) ?? {}, res.statusCode ?? 500)))
          .catch(reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private constructor(
    private readonly socket: Socket,
    head: Buffer,
    private readonly onClosed: (why: string) => void,
  ) {
    this.lines = new LineSplitter(
      (line) => this.onLine(line),
      () => this.socket.destroy(new Error('the daemon sent a line longer than 4 MiB')),
    );
    this.out = new TickBatchedWriter(socket);
    socket.on('data', (chunk: Buffer) => this.lines.push(chunk));
    socket.on('error', (err) => (this.closedWhy ??= err.message));
    socket.on('close', () => this.onClose());
    if (head.length > 0) this.lines.push(head);
  }

  get open(): boolean {
    return this.closedWhy === null && !this.socket.destroyed;
  }

  /**
   * Sends one call; resolves with the `result` frame's payload (an MCP CallToolResult as JSON text, passed on
   * unparsed). `sent` runs once the call is on the wire: from then on the daemon may have started it.
   */
  call(tool: string, args: Record<string, unknown>, opts: ChannelCallOptions, sent: () => void): Promise<string> {
    if (!this.open) return Promise.reject(new CodehiveError('DAEMON_DIED', `the session channel closed before ${tool} was sent`));
    if (opts.signal?.aborted) return Promise.reject(new CodehiveError('CANCELLED', `${tool} was cancelled`));
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.write({ cancel: id });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => opts.signal?.removeEventListener('abort', onAbort);
      this.waiting.set(id, { tool, resolve, reject, onProgress: opts.onProgress, done });
      this.write({ call: id, tool, arguments: args, progress: Boolean(opts.onProgress) });
      sent();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private write(msg: ChannelRequest): void {
    if (this.open) this.out.write(JSON.stringify(msg) + '\n');
  }

  private onLine(line: string): void {
    const frame = decodeFrame(line);
    const waiter = frame ? this.waiting.get(frame.call) : undefined;
    if (!frame || !waiter) return; // call 0 (our own malformed line) or a call already given up
    if (frame.kind === 'progress') {
      const p = safeJson(frame.payload) as ProgressPayload | undefined;
      if (p) waiter.onProgress?.(p.progress, p.total, p.message);
      return;
    }
    this.waiting.delete(frame.call);
    waiter.done();
    if (frame.kind === 'result') waiter.resolve(frame.payload);
    else waiter.reject(errorFromBody({ error: safeJson(frame.payload) }, 500));
  }

  private onClose(): void {
    const why = (this.closedWhy ??= 'closed by the daemon');
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.done();
      w.reject(new CodehiveError('DAEMON_DIED', `connection to the daemon broke during ${w.tool}: ${why}`));
    }
    this.onClosed(why);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
