import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, makeTestEnv, REPO, waitFor, type McpSession, type TestEnv } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

function raw(socketPath: string, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: body === undefined ? {} : { 'content-type': contentType } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// One daemon for the whole file: every test below leaves it as it found it (that is part of what they check).
let t: TestEnv;
let s: McpSession;
let sock: string;
beforeAll(async () => {
  t = makeTestEnv();
  s = await connectMcp(t, FIXTURE);
  await callTool(s, 'list_projects');
  sock = JSON.parse(readFileSync(join(t.cacheDir, 'daemon.json'), 'utf8')).socketPath;
});
afterAll(async () => {
  await s.close();
  await t.cleanup();
});

describe('the socket protocol under bad input', () => {
  it('malformed JSON gets a 400 with a message', async () => {
    const r = await raw(sock, 'POST', '/v1/tools/list_projects', '{"arguments": {');
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('BAD_REQUEST');
    expect(r.json.error.message).toMatch(/JSON/i);
  });

  it('a non-object body gets a 400', async () => {
    const r = await raw(sock, 'POST', '/v1/sessions', '[1,2]');
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('JSON object');
  });

  it('unknown routes get a 404 naming the route', async () => {
    const r = await raw(sock, 'GET', '/v1/nope');
    expect(r.status).toBe(404);
    expect(r.json.error).toEqual({ code: 'UNKNOWN_ROUTE', message: expect.stringContaining('GET /v1/nope') });
  });

  it('an unknown tool and wrong arguments come back as typed errors', async () => {
    const wrong = await callTool(s, 'search_graph', { query: 'x', limit: 'ten' });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain('limit');
    const lines = await new Promise<string>((resolve, reject) => {
      const req = http.request({ socketPath: sock, method: 'POST', path: '/v1/tools/frobnicate', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ arguments: {} }));
    });
    const last = JSON.parse(lines.trim().split('\n').pop()!);
    expect(last.type).toBe('error');
    expect(last.error.code).toBe('UNKNOWN_TOOL');
    expect(last.error.message).toContain('search_graph');
  });

  it('garbage bytes on the socket do not hurt the daemon', async () => {
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      const c = net.connect(sock, () => c.write('\x00\xff not http at all\r\n\r\n'));
      c.on('data', (d) => (text += d));
      c.on('end', () => resolve(text));
      c.on('close', () => resolve(text));
      c.on('error', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    const health = await raw(sock, 'GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.json.ok).toBe(true);
    expect((await callTool(s, 'list_projects')).isError).toBe(false);
  });
});

/** A raw client of the session channel: the upgrade by hand, then lines in and frames out. */
async function openChannel(sock: string, sessionId: string, upgrade = 'codehive-channel') {
  const c = net.connect(sock);
  let buffered = '';
  const frames: string[] = [];
  let wake: (() => void) | null = null;
  c.on('data', (d) => {
    buffered += d;
    wake?.();
  });
  c.write(`GET /v1/sessions/${sessionId}/channel HTTP/1.1\r\nHost: codehive\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`);
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
  };
  await until(() => buffered.includes('\r\n\r\n'));
  const head = buffered.slice(0, buffered.indexOf('\r\n\r\n'));
  buffered = buffered.slice(head.length + 4);
  return {
    head,
    body: () => buffered,
    send: (line: string) => c.write(line + '\n'),
    /** The next answer frame, split into [call, kind, payload]. */
    async frame(): Promise<[number, string, any]> {
      await until(() => buffered.includes('\n'));
      const line = buffered.slice(0, buffered.indexOf('\n'));
      buffered = buffered.slice(line.length + 1);
      frames.push(line);
      const [call, kind] = line.split(' ', 2);
      return [Number(call), kind!, JSON.parse(line.slice(call!.length + kind!.length + 2))];
    },
    close: () => c.destroy(),
  };
}

describe('the session channel', () => {
  const attach = async (name: string) =>
    (await raw(sock, 'POST', '/v1/sessions', JSON.stringify({ client: { name, version: '1' }, pid: process.pid, cwd: FIXTURE, kind: 'mcp' }))).json
      .sessionId as string;
  const sessionNames = async () => ((await raw(sock, 'GET', '/v1/status')).json.sessions as Array<{ client: string }>).map((x) => x.client);

  it('carries calls as lines and answers with frames; bad lines get errors and the channel lives on', async () => {
    const ch = await openChannel(sock, await attach('raw-channel'));
    expect(ch.head).toMatch(/^HTTP\/1\.1 101/);
    ch.send('{"call": 1, "tool": "list_projects"');
    expect(await ch.frame()).toEqual([0, 'error', { code: 'BAD_REQUEST', message: expect.stringContaining('JSON') }]);
    ch.send('{"call": 2, "tool": "list_projects", "arguments": [1]}');
    expect(await ch.frame()).toEqual([2, 'error', { code: 'BAD_REQUEST', message: expect.stringContaining('arguments: object') }]);
    ch.send('{"call": 3, "tool": "frobnicate", "arguments": {}}');
    const [, kind, unknown] = await ch.frame();
    expect(kind).toBe('error');
    expect(unknown.code).toBe('UNKNOWN_TOOL');
    ch.send(JSON.stringify({ call: 4, tool: 'index_repository', arguments: { path: FIXTURE }, progress: true }));
    let frame: [number, string, any];
    while ((frame = await ch.frame())[1] === 'progress') expect(frame[0]).toBe(4);
    expect(frame.slice(0, 2)).toEqual([4, 'result']);
    ch.send('{"call": 5, "tool": "list_projects", "arguments": {}}');
    const [call, resultKind, result] = await ch.frame();
    expect([call, resultKind]).toEqual([5, 'result']);
    // The payload is MCP's CallToolResult, ready to forward.
    expect(result.content[0].type).toBe('text');
    expect(result.content[0].text).toContain(FIXTURE);
    expect(result.structuredContent.projects.map((p: { root: string }) => p.root)).toContain(FIXTURE);
    expect(await sessionNames()).toContain('raw-channel@1');
    ch.close();
    await waitFor(async () => !(await sessionNames()).includes('raw-channel@1'), 10_000, 'the channel close to end the session');
  });

  it('a session held by GET /hold (shims built before the channel) lives as long as that request', async () => {
    const id = await attach('old-shim');
    const held = await new Promise<http.ClientRequest>((resolve, reject) => {
      const req = http.request({ socketPath: sock, path: `/v1/sessions/${id}/hold` }, (res) => {
        expect(res.statusCode).toBe(200);
        resolve(req);
      });
      req.on('error', reject);
      req.end();
    });
    expect(await sessionNames()).toContain('old-shim@1');
    // Its calls go over HTTP, one request each, and count for the session.
    const r = await raw(sock, 'POST', '/v1/tools/list_projects', JSON.stringify({ sessionId: id, arguments: {} }));
    expect(r.status).toBe(200);
    held.destroy();
    await waitFor(async () => !(await sessionNames()).includes('old-shim@1'), 10_000, 'the hold close to end the session');
  });

  it('refuses an unknown session or upgrade with an HTTP error, and the daemon is unharmed', async () => {
    const unknown = await openChannel(sock, 'no-such-session');
    expect(unknown.head).toMatch(/^HTTP\/1\.1 404/);
    const wrongToken = await openChannel(sock, await attach('wrong-token'), 'websocket');
    expect(wrongToken.head).toMatch(/^HTTP\/1\.1 404/);
    await waitFor(() => wrongToken.body().includes('}'), 5_000, 'the error body');
    expect(JSON.parse(wrongToken.body()).error.code).toBe('UNKNOWN_ROUTE');
    unknown.close();
    wrongToken.close();
    expect((await callTool(s, 'list_projects')).isError).toBe(false);
  });
});
