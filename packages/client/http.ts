/**
 * HTTP/1.1 over the daemon's Unix socket. Plain node:http with a keep-alive agent: a round trip costs a
 * fraction of a millisecond, and connections are reused across calls.
 */
import http from 'node:http';
import { CLIENT_BUILD_HEADER, CLIENT_PROTOCOL_HEADER, CodehiveError, PROTOCOL_VERSION, type ErrorBody } from '../protocol/index.js';
import { buildInfo } from '../config/index.js';

const agents = new Map<string, http.Agent>();

function agentFor(socketPath: string): http.Agent {
  let agent = agents.get(socketPath);
  if (!agent) {
    // Calls spend most of their time waiting (read-your-writes fences, index jobs), not computing: a window
    // with many calls in flight needs as many connections, or its calls queue behind each other's waits.
    agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(socketPath, agent);
  }
  return agent;
}

/** Drops pooled connections (after the daemon died, so the next call dials afresh). */
export function resetConnections(socketPath: string): void {
  agents.get(socketPath)?.destroy();
  agents.delete(socketPath);
}

/** Errors that mean "nobody is listening" or "the daemon went away mid-request". */
export function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ENOENT' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ENOTSOCK' ||
    code === 'ETIMEDOUT' ||
    (err instanceof CodehiveError && (err.code === 'DAEMON_DIED' || err.code === 'DRAINING'))
  );
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Abort if no response head arrives in time (probes use a short one). */
  timeoutMs?: number;
  /** Use a fresh connection (the long-held session request must not occupy a pooled one). */
  dedicated?: boolean;
}

/** What every request to the daemon carries: the client's build and protocol, and the body's type and length. */
export function clientHeaders(body?: string): http.OutgoingHttpHeaders {
  const info = buildInfo();
  const h: http.OutgoingHttpHeaders = {
    [CLIENT_BUILD_HEADER]: `${info.version}+${info.buildId}`,
    [CLIENT_PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
  };
  if (body !== undefined) {
    h['content-type'] = 'application/json';
    h['content-length'] = Buffer.byteLength(body);
  }
  return h;
}

/**
 * Starts a request and resolves with the response head; the caller consumes the body. A connect refused
 * with EAGAIN (the daemon's accept queue is momentarily full) never reached the daemon, so it is retried
 * with a short backoff.
 */
export async function openRequest(socketPath: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
  for (let attempt = 0, delay = 5; ; attempt++, delay = Math.min(delay * 2, 100)) {
    try {
      return await openOnce(socketPath, path, opts);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || attempt >= 30 || opts.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function openOnce(socketPath: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      socketPath,
      path,
      method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: clientHeaders(body),
      agent: opts.dedicated ? false : agentFor(socketPath),
      signal: opts.signal,
    });
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out waiting for the daemon'), { code: 'ETIMEDOUT' })), opts.timeoutMs);
    }
    req.on('response', (res) => {
      if (timer) clearTimeout(timer);
      resolve(res);
    });
    req.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

export async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON request; non-2xx answers throw the daemon's typed error. */
export async function requestJson<T>(socketPath: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await openRequest(socketPath, path, opts);
  let text: string;
  try {
    text = await readBody(res);
  } catch (err) {
    throw new CodehiveError('DAEMON_DIED', `the daemon closed the connection mid-answer (${(err as Error).message})`);
  }
  const status = res.statusCode ?? 0;
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new CodehiveError('INTERNAL', `the daemon sent a non-JSON answer (HTTP ${status}): ${text.slice(0, 200)}`);
  }
  if (status >= 400) throw errorFromBody(parsed, status);
  return parsed as T;
}

export function errorFromBody(parsed: unknown, status: number): CodehiveError {
  const body = (parsed as { error?: ErrorBody }).error;
  if (body && typeof body.code === 'string') return CodehiveError.fromBody(body);
  return new CodehiveError('INTERNAL', `the daemon answered HTTP ${status}`);
}

/** Reads an NDJSON response line by line. */
export async function* ndjsonLines(res: http.IncomingMessage): AsyncGenerator<unknown> {
  let buffered = '';
  for await (const chunk of res) {
    buffered += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line);
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered);
}
