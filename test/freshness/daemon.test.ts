/**
 * Read-your-writes across sessions, with the real daemon watching a real repository: what one agent window
 * writes to disk is in the very next answer another window gets — no sleeps between the edit and the query.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareExports } from '../../bench/soak/graph-diff.js';
import { callTool, connectMcp, makeTestEnv, REPO, runCli, type McpSession, type TestEnv } from '../helpers/processes.js';

const FIXTURE = join(REPO, 'test/fixtures/backbone-repo');

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, stdio: 'ignore' });
}

/** The graph of `repo` indexed from scratch in a separate cache dir, as JSON lines. */
async function fromScratch(repo: string): Promise<string> {
  const fresh = makeTestEnv();
  try {
    expect((await runCli(fresh, ['index', repo, '--full'])).code).toBe(0);
    const out = await runCli(fresh, ['export', repo, '--format', 'jsonl']);
    expect(out.code).toBe(0);
    return out.stdout;
  } finally {
    await fresh.cleanup();
  }
}

describe('fresh answers across sessions (watching on)', () => {
  let repo: string;
  let t: TestEnv;
  let a: McpSession;
  let b: McpSession;

  beforeAll(() => {
    repo = realpathSync(mkdtempSync(join(tmpdir(), 'chv-fresh-')));
    cpSync(FIXTURE, repo, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'base');
    // A second branch where parsePort is gone and a new module exists.
    git(repo, 'checkout', '-q', '-b', 'other');
    writeFileSync(join(repo, 'src/util/config.ts'), 'export function readPort(): number {\n  return 8080;\n}\n');
    writeFileSync(join(repo, 'src/util/extra.ts'), 'export function onlyOnOther(): string {\n  return "other";\n}\n');
    writeFileSync(join(repo, 'src/index.ts'), readFileSync(join(repo, 'src/index.ts'), 'utf8').replace(/parsePort\(argv\[0\] \?\? '8080'\)/, 'readPort()').replace('parsePort', 'readPort'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'other');
    git(repo, 'checkout', '-q', 'main');
  });
  afterAll(async () => {
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await t?.cleanup();
    rmSync(repo, { recursive: true, force: true });
  });

  it('a function added in one window is found by the next search from another', async () => {
    t = makeTestEnv({ CODEHIVE_WATCH: '1' });
    a = await connectMcp(t, repo, 'window-a');
    b = await connectMcp(t, repo, 'window-b');
    const indexed = await callTool(a, 'index_repository', { path: repo });
    expect(indexed.isError).toBe(false);
    // The daemon starts watching what it indexed, and the answer already says so (not "watch stopped").
    expect(indexed.text).toMatch(/· watch watching$/);
    writeFileSync(join(repo, 'src/util/config.ts'), readFileSync(join(repo, 'src/util/config.ts'), 'utf8') + '\nexport function freshlyAdded(): number {\n  return 42;\n}\n');
    const r = await callTool(b, 'search_graph', { name_pattern: '^freshlyAdded$' });
    expect(r.text).toContain('src/util/config.ts#freshlyAdded');
    expect(r.text).toMatch(/0 files changed since · watch watching/);
  });

  it('a rename moves the callers’ edges; a deleted file takes its symbols with it', async () => {
    const config = join(repo, 'src/util/config.ts');
    writeFileSync(config, readFileSync(config, 'utf8').replace('export function parsePort', 'export function parsePortNumber'));
    const index = join(repo, 'src/index.ts');
    writeFileSync(index, readFileSync(index, 'utf8').replaceAll('parsePort', 'parsePortNumber'));
    const callers = await callTool(b, 'trace_path', { symbol: 'src/util/config.ts#parsePortNumber', direction: 'callers' });
    expect(callers.isError).toBe(false);
    expect(callers.text).toContain('src/index.ts#main');
    const old = await callTool(b, 'search_graph', { name_pattern: '^parsePort$' });
    expect(old.text).toMatch(/^0 symbols/);

    unlinkSync(join(repo, 'src/util/log.ts'));
    const gone = await callTool(a, 'search_graph', { name_pattern: '^log$', kind: 'Function' });
    expect(gone.text).toMatch(/^0 symbols/);
    git(repo, 'checkout', '-q', '--', '.');
  });

  it('a 500-file burst is coalesced into few re-indexes and the graph equals a from-scratch index', async () => {
    mkdirSync(join(repo, 'src/burst'), { recursive: true });
    for (let i = 0; i < 500; i++) {
      writeFileSync(join(repo, 'src/burst', `m${i}.ts`), `import { parsePort } from '../util/config.js';\nexport function burst${i}(): number {\n  return parsePort('${i}');\n}\n`);
    }
    const last = await callTool(b, 'search_graph', { name_pattern: '^burst499$' });
    expect(last.text).toContain('src/burst/m499.ts#burst499');
    const log = readFileSync(join(t.cacheDir, 'daemon.log'), 'utf8');
    const burstJobs = log.split('\n').filter((l) => l.includes('job start') && / changed=\d{2,}/.test(l));
    // One batch per debounce window, not one job per file.
    expect(burstJobs.length).toBeGreaterThan(0);
    expect(burstJobs.length).toBeLessThanOrEqual(4);

    const live = await runCli(t, ['export', repo, '--format', 'jsonl']);
    const diff = compareExports(live.stdout, await fromScratch(repo));
    expect({ missing: diff.missing, extra: diff.extra }).toEqual({ missing: [], extra: [] });
    rmSync(join(repo, 'src/burst'), { recursive: true, force: true });
  });

  it('edits made while the daemon was stopped are in the first answer after it comes back', async () => {
    expect((await runCli(t, ['stop'])).code).toBe(0);
    const config = join(repo, 'src/util/config.ts');
    writeFileSync(config, readFileSync(config, 'utf8') + '\nexport function addedWhileDown(): void {}\n');
    const r = await callTool(b, 'search_graph', { name_pattern: '^addedWhileDown$' });
    expect(r.text).toContain('src/util/config.ts#addedWhileDown');
    git(repo, 'checkout', '-q', '--', '.');
  });

  it('a git checkout of another branch is reflected in the graph', async () => {
    git(repo, 'checkout', '-q', 'other');
    const r = await callTool(b, 'search_graph', { name_pattern: '^(onlyOnOther|parsePort|readPort)$' });
    expect(r.text).toContain('src/util/extra.ts#onlyOnOther');
    expect(r.text).toContain('src/util/config.ts#readPort');
    expect(r.text).not.toContain('#parsePort');
    const live = await runCli(t, ['export', repo, '--format', 'jsonl']);
    const diff = compareExports(live.stdout, await fromScratch(repo));
    expect({ missing: diff.missing, extra: diff.extra }).toEqual({ missing: [], extra: [] });
    git(repo, 'checkout', '-q', 'main');
  });
});
