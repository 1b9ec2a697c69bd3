/**
 * The daemon's end of session channels (packages/protocol/channel.ts): accepts the HTTP upgrade, runs each
 * call line through the ToolRunner, writes answer frames, and ends the session when the connection closes
 * (the client exited, even by SIGKILL: the kernel closes its socket).
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CHANNEL_UPGRADE,
  CodehiveError,
  drainingError,
  encodeError,
  encodeFrame,
  LineSplitter,
  ROUTES,
  TickBatchedWriter,
  toMcpResult,
  type ChannelCall,
  type ChannelRequest,
} from '../packages/protocol/index.js';
import type { Logger } from '../packages/log/index.js';
import type { Session, SessionRegistry } from './sessions.js';
import type { ToolRunner } from './tools.js';

export interface ChannelHost {
  readonly sessions: SessionRegistry;
  readonly tools: ToolRunner;
  readonly log: Logger;
  readonly draining: boolean;
  readonly channels: Set<SessionChannel>;
}

const CHANNEL_PATH = new RegExp(`^${ROUTES.sessionChannel.replace(':id', '([^/?]+)')}$`);

/** Handles the HTTP server's `upgrade` event: a channel for a live session, or an HTTP error and close. */
export function acceptChannel(host: ChannelHost, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => undefined); // a client gone mid-handshake; 'close' follows
  const match = CHANNEL_PATH.exec((req.url ?? '').split('?')[0]!);
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (!match || req.method !== 'GET' || upgrade !== CHANNEL_UPGRADE) {
    return refuse(socket, new CodehiveError('UNKNOWN_ROUTE', `no upgrade ${JSON.stringify(upgrade)} on ${req.method} ${req.url}; see docs/protocol.md for the routes`));
  }
  const session = host.sessions.get(decodeURIComponent(match[1]!));
  if (!session) return refuse(socket, new CodehiveError('UNKNOWN_SESSION', `no session ${match[1]}; attach again`));
  if (host.draining) return refuse(socket, drainingError());
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${CHANNEL_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`);
  const channel = new SessionChannel(host, session, socket);
  if (head.length > 0) channel.push(head);
}

function refuse(socket: Duplex, err: CodehiveError): void {
  const body = JSON.stringify({ error: err.toBody() });
  const status = err.httpStatus;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export class SessionChannel {
  private readonly calls = new Map<number, AbortController>();
  private readonly lines: LineSplitter;
  private readonly out: TickBatchedWriter;

  constructor(
    private readonly host: ChannelHost,
    private readonly session: Session,
    private readonly socket: Duplex,
  ) {
    this.lines = new LineSplitter(
      (line) => this.onLine(line),
      () => this.fail('a channel line longer than 4 MiB'),
    );
    this.out = new TickBatchedWriter(socket);
    session.held = true;
    host.channels.add(this);
    socket.on('data', (chunk: Buffer) => this.lines.push(chunk));
    // The HTTP server's sockets allow half-open: without this, a client that exits leaves its end open here.
    socket.on('end', () => socket.destroy());
    socket.on('close', () => this.onClose());
  }

  push(chunk: Buffer): void {
    this.lines.push(chunk);
  }

  /** Ends the channel (the daemon is shutting down); the client reconnects on its next call. */
  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    let msg: ChannelRequest;
    try {
      msg = JSON.parse(line) as ChannelRequest;
    } catch {
      return this.send(encodeError(0, { code: 'BAD_REQUEST', message: 'a channel line must be JSON: {call, tool, arguments} or {cancel}' }));
    }
    if (isCancel(msg)) return void this.calls.get(msg.cancel)?.abort();
    if (!isCall(msg)) {
      const call = Number.isSafeInteger((msg as { call?: unknown })?.call) ? (msg as { call: number }).call : 0;
      return this.send(encodeError(call, { code: 'BAD_REQUEST', message: 'a channel call is {call: integer, tool: string, arguments: object, progress?: boolean}' }));
    }
    if (this.calls.has(msg.call)) return this.send(encodeError(msg.call, { code: 'BAD_REQUEST', message: `call ${msg.call} is already running on this channel` }));
    if (this.host.draining) return this.send(encodeError(msg.call, drainingError().toBody()));
    this.start(msg);
  }

  private start(msg: ChannelCall): void {
    const id = msg.call;
    const controller = new AbortController();
    this.calls.set(id, controller);
    const body = { sessionId: this.session.id, arguments: msg.arguments, progress: msg.progress === true };
    void this.host.tools
      .run(msg.tool, body, controller, {
        progress: (p) => this.send(encodeFrame(id, 'progress', p)),
        result: (result) => this.send(encodeFrame(id, 'result', toMcpResult(result))),
        error: (error) => this.send(encodeError(id, error)),
      })
      .finally(() => this.calls.delete(id));
  }

  private send(frame: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.out.write(frame);
  }

  private fail(why: string): void {
    this.host.log.warn('channel closed', { session: this.session.id, why });
    this.socket.end(encodeError(0, { code: 'BAD_REQUEST', message: `${why}; the channel is closed` }));
  }

  private onClose(): void {
    for (const c of this.calls.values()) c.abort();
    this.calls.clear();
    this.host.channels.delete(this);
    this.host.sessions.detach(this.session.id);
  }
}

function isCancel(msg: ChannelRequest): msg is { cancel: number } {
  return typeof msg === 'object' && msg !== null && Number.isSafeInteger((msg as { cancel?: unknown }).cancel);
}

function isCall(msg: ChannelRequest): msg is ChannelCall {
  const m = msg as Partial<ChannelCall> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    Number.isSafeInteger(m.call) &&
    typeof m.tool === 'string' &&
    typeof m.arguments === 'object' &&
    m.arguments !== null &&
    !Array.isArray(m.arguments)
  );
}
