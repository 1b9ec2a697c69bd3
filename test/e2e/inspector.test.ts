/**
 * A real third-party client: the MCP Inspector (@modelcontextprotocol/inspector 2.x, a dev dependency) in
 * its CLI mode (`mcp-inspector --cli <command> --method …`) starts `codehive mcp` over stdio, lists the
 * tools and calls two of them. Server env goes in with `-e KEY=VALUE`; the Inspector's own catalog file is
 * kept in the temp dir (MCP_CATALOG_PATH) so the test never writes to ~/.mcp-inspector.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TOOLS } from '../../packages/tools/definitions.js';
import { BIN, makeTestEnv, REPO, type TestEnv } from '../helpers/processes.js';
import { copyProject } from './helpers.js';

const INSPECTOR = join(REPO, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');

let t: TestEnv;
let project: ReturnType<typeof copyProject>;

beforeAll(() => {
  t = makeTestEnv();
  project = copyProject('backbone-repo');
});
afterAll(async () => {
  await t?.cleanup();
  project?.remove();
});

/** `mcp-inspector --cli -e … node bin/codehive.js mcp <args>`; resolves with the parsed JSON it prints. */
function inspector(args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const serverEnv = ['CODEHIVE_CACHE_DIR', 'CODEHIVE_SOCKET_DIR', 'CODEHIVE_IDLE_TIMEOUT', 'CODEHIVE_WATCH'].flatMap((k) => ['-e', `${k}=${t.env[k]}`]);
  const argv = [INSPECTOR, '--cli', ...serverEnv, '--cwd', project.root, process.execPath, BIN, 'mcp', ...args];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { cwd: REPO, env: { ...process.env, MCP_CATALOG_PATH: join(t.cacheDir, 'inspector-catalog.json') }, maxBuffer: 16 * 1024 * 1024, timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = { unparsed: stdout };
        }
        resolve({ code, json, stderr });
      },
    );
  });
}

test('the binary is the 2.x launcher named in package.json', async () => {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(join(REPO, 'node_modules/@modelcontextprotocol/inspector/package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  expect(pkg.version).toMatch(/^2\./);
  expect(pkg.bin['mcp-inspector']).toBe('./clients/launcher/build/index.js');
});

test('tools/list through codehive mcp', async () => {
  const r = await inspector(['--method', 'tools/list']);
  expect(r.code, r.stderr).toBe(0);
  const tools = r.json.tools as Array<{ name: string; outputSchema?: unknown; annotations: { readOnlyHint: boolean } }>;
  expect(tools.map((x) => x.name).sort()).toEqual(TOOLS.map((x) => x.name).sort());
  for (const x of tools) expect(x.outputSchema, x.name).toBeTypeOf('object');
});

test('tools/call list_projects, index_repository, then search_graph', async () => {
  const empty = await inspector(['--method', 'tools/call', '--tool-name', 'list_projects']);
  expect(empty.code, empty.stderr).toBe(0);
  expect(empty.json.structuredContent).toEqual({ projects: [], total: 0, truncated: 0 });

  const indexed = await inspector(['--method', 'tools/call', '--tool-name', 'index_repository', '--tool-arg', `path=${project.root}`]);
  expect(indexed.code, indexed.stderr).toBe(0);
  expect(indexed.json.isError ?? false).toBe(false);
  expect((indexed.json.structuredContent as { root: string }).root).toBe(project.root);
  expect((indexed.json.structuredContent as { files: { total: number } }).files.total).toBe(4);

  const found = await inspector(['--method', 'tools/call', '--tool-name', 'search_graph', '--tool-arg', 'name_pattern=parsePort']);
  expect(found.code, found.stderr).toBe(0);
  const results = (found.json.structuredContent as { results: Array<{ qname: string }> }).results;
  expect(results.map((x) => x.qname)).toEqual(['src/util/config.ts#parsePort']);
  const text = (found.json.content as Array<{ text: string }>)[0]!.text;
  expect(text).toContain('Function src/util/config.ts#parsePort  src/util/config.ts:');
});

test('a tool error comes back as an MCP tool error', async () => {
  const r = await inspector(['--method', 'tools/call', '--tool-name', 'search_graph', '--tool-arg', 'project=nope', 'query=x']);
  expect(r.json.isError).toBe(true);
  expect((r.json.content as Array<{ text: string }>)[0]!.text).toContain(`UNKNOWN_PROJECT: no project named nope. Known projects: ${project.root}`);
});
