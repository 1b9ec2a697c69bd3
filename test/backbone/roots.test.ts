import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { BIN, REPO, runCli, scopedProcesses } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

describe('MCP roots', () => {
  const scope = scopedProcesses();

  it('a window started outside the repository queries the project its client announces as a root', async () => {
    const t = scope.env();
    expect((await runCli(t, ['index', FIXTURE])).code).toBe(0);
    const client = new Client({ name: 'roots-client', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: pathToFileURL(FIXTURE).href, name: 'fixture' }] }));
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], cwd: tmpdir(), env: t.env as Record<string, string>, stderr: 'ignore' }));
    try {
      const r = (await client.callTool({ name: 'search_graph', arguments: { name_pattern: '^parsePort$' } })) as { content: Array<{ text: string }>; isError?: boolean };
      const answer = r.content[0]!.text;
      expect(r.isError).toBeFalsy();
      expect(answer).toContain('src/util/config.ts#parsePort');
      const status = JSON.parse((await runCli(t, ['status', '--json'])).stdout);
      expect(status.sessions.find((s: { client: string }) => s.client.startsWith('roots-client')).cwd).toBe(tmpdir());
    } finally {
      await client.close();
    }
  });
});
