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

  it('refuses a rest that no staged request began', () => {
    const sessions = new ResolveSessions();
    expect(() => sessions.handle({ project: 7, rest: true })).toThrow(/no staged resolution of project 7/);
    sessions.handle(request(7, true));
    sessions.handle({ project: 7, rest: true });
    expect(() => sessions.handle({ project: 7, rest: true })).toThrow(/no staged resolution/);
  });
});
