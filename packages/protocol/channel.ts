/**
 * The session channel: one long-lived connection per MCP session that carries all of its tool calls, both
 * ways, and whose closing ends the session. docs/protocol.md ("The session channel") is the prose version.
 *
 * Why not one HTTP request per call: under 8 sessions × 50 concurrent calls, request machinery (a client
 * request, header parsing, routing, a response object, one write and one wake-up per answer) cost the shim
 * and the daemon more CPU than the searches, on a 2-core machine. On the channel a call is one line each
 * way, answers finished in the same tick leave in one write, and the shim forwards an answer to its agent
 * without parsing it (see `ChannelFrame`).
 */
import type { Writable } from 'node:stream';
import type { ErrorBody } from './errors.js';
import type { ToolResult } from './index.js';

/** The `Upgrade` token of `GET /v1/sessions/:id/channel`. */
export const CHANNEL_UPGRADE = 'codehive-channel';

/** Longest line either side accepts (the same bound as an HTTP body). */
export const CHANNEL_MAX_LINE = 4 * 1024 * 1024;

/** Client → daemon: one JSON object per line. `call` ids are the client's, unique per channel. */
export type ChannelRequest = ChannelCall | ChannelCancel;

export interface ChannelCall {
  call: number;
  tool: string;
  arguments: Record<string, unknown>;
  /** Send `progress` frames (MCP progressToken present). */
  progress?: boolean;
}

export interface ChannelCancel {
  cancel: number;
}

export type ChannelFrameKind = 'progress' | 'result' | 'error';

/**
 * Daemon → client: `<call> <kind> <payload JSON>\n`. The head is plain text so a forwarder can route a frame
 * with two `indexOf`s and pass the payload on untouched. Payloads: `result` is an MCP `CallToolResult`
 * (`toMcpResult`), `error` an `ErrorBody`, `progress` a `ProgressPayload`. Call 0 answers a line that named
 * no call (malformed JSON).
 */
export interface ChannelFrame {
  call: number;
  kind: ChannelFrameKind;
  payload: string;
}

export interface ProgressPayload {
  progress: number;
  total?: number;
  message?: string;
}

/** MCP's `CallToolResult`, as the channel carries it. */
export interface McpToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export function encodeFrame(call: number, kind: ChannelFrameKind, payload: unknown): string {
  return `${call} ${kind} ${JSON.stringify(payload)}\n`;
}

export function encodeError(call: number, error: ErrorBody): string {
  return encodeFrame(call, 'error', error);
}

/** Parses a frame's head; null when the line is not a frame. */
export function decodeFrame(line: string): ChannelFrame | null {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  if (b < 0) return null;
  const call = Number(line.slice(0, a));
  const kind = line.slice(a + 1, b);
  if (!Number.isSafeInteger(call) || (kind !== 'progress' && kind !== 'result' && kind !== 'error')) return null;
  return { call, kind, payload: line.slice(b + 1) };
}

/** A tool's answer as MCP wants it. A tool error carries no structured content: clients validate it against the output schema otherwise. */
export function toMcpResult(result: ToolResult): McpToolResult {
  const content = [{ type: 'text' as const, text: result.text }];
  return result.isError ? { content, isError: true } : { content, structuredContent: result.data };
}

/**
 * Splits a byte stream into lines without re-scanning or re-copying what it has buffered (answers of a
 * few hundred KB arrive in many chunks). A line longer than `maxLine` calls `onOverflow` and the rest of
 * the stream is dropped.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly maxLine = CHANNEL_MAX_LINE,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    let nl: number;
    while (!this.overflowed && (nl = chunk.indexOf(0x0a, start)) >= 0) {
      const piece = chunk.subarray(start, nl);
      const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      if (line.length > this.maxLine) return this.overflow();
      if (line.length > 0) this.onLine(line.toString('utf8'));
    }
    if (this.overflowed || start >= chunk.length) return;
    this.parts.push(chunk.subarray(start));
    this.size += chunk.length - start;
    if (this.size > this.maxLine) this.overflow();
  }

  private overflow(): void {
    this.overflowed = true;
    this.parts = [];
    this.onOverflow();
  }
}

/**
 * Writes to a stream corked until the end of the tick: what is written in one tick (a burst of calls, the
 * answers of calls that waited on one fence) leaves in one writev — one system call and one wake-up of the
 * reader — instead of one each. Used on both ends of the channel and for the shim's stdout.
 */
export class TickBatchedWriter {
  private corked = false;

  constructor(private readonly stream: Writable) {}

  write(chunk: string): void {
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.stream.write(chunk);
  }
}
