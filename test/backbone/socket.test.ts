import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, connectMcp, makeTestEnv, REPO, type McpSession, type TestEnv } from '../helpers/processes.js';

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

describe('the socket protocol under bad input', () => {
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
