/**
 * A staged resolution (resolve/session.ts, `ResolveRequest.staged`): a full index gets every node and the
 * structural edges first, writes them while the calls resolve, then the rest. Together the two answers must
 * be exactly the graph a one-shot resolution of the same facts gives. Real facts: zod's v3 sources parsed
 * with tree-sitter in this thread.
 */
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { languageKits } from '../../packages/indexer/extract/kits.js';
import { parseFile } from '../../packages/indexer/extract/parse-file.js';
import { ResolveSessions, type ResolveReply, type ResolveRequest } from '../../packages/indexer/resolve/session.js';
import { unpackGraph } from '../../packages/indexer/transfer.js';
import { copyZodCorpus } from './helpers.js';

let dir: string;
let root: string;
let files: ResolveRequest['files'];

function request(project: number, staged: boolean): ResolveRequest {
  return { project, root, projectName: 'zod', configs: [], base: null, gen: 1, files, removed: [], delta: false, staged };
}

function packed(reply: ResolveReply, kind: 'graph' | 'structure') {
  expect(reply.kind).toBe(kind);
  if (reply.kind !== kind) throw new Error(`expected ${kind}, got ${reply.kind}`);
  return reply.graph;
}

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'codehive-staged-')));
  root = copyZodCorpus(dir);
  const kit = languageKits();
  const paths = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.ts'));
  files = paths.map((path) => {
    const r = parseFile(root, { path, lang: 'typescript', knownHash: null }, Infinity, kit);
    if (r.status !== 'parsed') throw new Error(`${path}: ${r.status}`);
    return { path, facts: r.facts };
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('staged resolution', () => {
  it('answers the structure, then the rest, which together are the one-shot graph', async () => {
    const whole = await unpackGraph(packed(new ResolveSessions().handle(request(1, false)), 'graph'));
    const sessions = new ResolveSessions();
    const structure = await unpackGraph(packed(sessions.handle(request(1, true)), 'structure'));
    const restPacked = packed(sessions.handle({ project: 1, rest: true }), 'graph');
    const rest = await unpackGraph(restPacked, { nodes: false });

    expect(structure.nodes).toEqual(whole.nodes);
    expect(structure.edges.length).toBeGreaterThan(0);
    expect(new Set(structure.edges.map((e) => e.type))).toEqual(new Set(['CONTAINS', 'DEFINES', 'DEFINES_METHOD']));
    expect(rest.nodes).toEqual([]);
    expect(restPacked.nodes.kind.length).toBe(whole.nodes.length);
    expect([...structure.edges, ...rest.edges]).toEqual(whole.edges);
    expect(rest.unresolved).toEqual(whole.unresolved);
    expect(rest.calls).toEqual(whole.calls);
    expect(rest.edges.some((e) => e.type === 'CALLS')).toBe(true);
  });

  it('remembers the staged graph as its base for the next, incremental request', () => {
    const sessions = new ResolveSessions();
    sessions.handle(request(1, true));
    sessions.handle({ project: 1, rest: true });
    const next = sessions.handle({ ...request(1, false), base: 1, gen: 2, files: [], delta: true });
    expect(next.kind).toBe('delta');
  });

  it('takes facts fed during the parse, and decodes a fed file again when its bytes are not the request’s', async () => {
    const whole = await unpackGraph(packed(new ResolveSessions().handle(request(1, false)), 'graph'));
    const sessions = new ResolveSessions();
    const half = Math.floor(files.length / 2);
    expect(sessions.handle({ project: 1, feed: 1, files: files.slice(0, half) })).toEqual({ kind: 'fed', files: half });
    // The last file fed with another file's facts (what a lost or reordered message would look like).
    const wrong = { path: files.at(-1)!.path, facts: files[0]!.facts };
    expect(sessions.handle({ project: 1, feed: 1, files: [...files.slice(half, -1), wrong] })).toEqual({ kind: 'fed', files: files.length });
    // A feed for another run is ignored by this one.
    sessions.handle({ project: 2, feed: 1, files: files.slice(0, 1) });
    const other = new ResolveSessions();
    other.handle({ project: 1, feed: 1, files });
    other.handle({ project: 2, feed: 1, files: files.slice(0, 1) });
    expect(await unpackGraph(packed(other.handle(request(1, false)), 'graph'))).toEqual(whole);
    expect(other.decodes).toEqual({ fed: 0, decoded: files.length });

    sessions.handle({ project: 1, feed: 1, files: [...files.slice(half, -1), wrong] });
    // Another project's request, resolved meanwhile, leaves this run's feed alone.
    sessions.handle({ ...request(2, false), files: files.slice(0, 2) });
    const structure = await unpackGraph(packed(sessions.handle(request(1, true)), 'structure'));
    const rest = await unpackGraph(packed(sessions.handle({ project: 1, rest: true }), 'graph'), { nodes: false });
    expect(sessions.decodes).toEqual({ fed: files.length - 1 - half, decoded: 2 + half + 1 });
    expect(structure.nodes).toEqual(whole.nodes);
    expect([...structure.edges, ...rest.edges]).toEqual(whole.edges);
    expect(rest.unresolved).toEqual(whole.unresolved);
  });

  it('forgets the project’s last graph once a run from scratch feeds it', () => {
    const sessions = new ResolveSessions();
    sessions.handle(request(1, false));
    sessions.handle({ project: 1, feed: 2, files: files.slice(0, 1) });
    expect(sessions.handle({ ...request(1, false), base: 1, gen: 3, files: [], delta: true })).toEqual({ kind: 'stale' });
  });

  it('refuses a rest that no staged request began', () => {
    const sessions = new ResolveSessions();
    expect(() => sessions.handle({ project: 7, rest: true })).toThrow(/no staged resolution of project 7/);
    sessions.handle(request(7, true));
    sessions.handle({ project: 7, rest: true });
    expect(() => sessions.handle({ project: 7, rest: true })).toThrow(/no staged resolution/);
  });
});
