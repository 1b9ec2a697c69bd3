/**
 * The parse workers' node shortcuts (extract/fast-nodes.ts: node getters read from the node object, no
 * per-tree node cache) must not change a single fact. Real files in all three grammars, extracted with the
 * shortcuts and with the binding's own getters and cache, compared byte for byte.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lang } from '../../packages/indexer/facts.js';
import { fastNodesActive, useFastNodes } from '../../packages/indexer/extract/fast-nodes.js';
import { languageKits } from '../../packages/indexer/extract/kits.js';
import { parseFile } from '../../packages/indexer/extract/parse-file.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const kit = languageKits();

/** Every file under `dir` whose name ends with one of `exts`, as a path relative to the repository. */
function filesUnder(dir: string, exts: string[]): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => exts.some((e) => f.endsWith(e)))
    .map((f) => relative(REPO, join(REPO, dir, f)));
}

function facts(path: string, lang: Lang): Uint8Array {
  const r = parseFile(REPO, { path, lang, knownHash: null }, Infinity, kit);
  if (r.status !== 'parsed') throw new Error(`${path}: ${r.status}`);
  return r.facts;
}

const corpus: Array<[string, Lang]> = [
  ...filesUnder('node_modules/zod/src/v3', ['.ts']).map((p): [string, Lang] => [p, 'typescript']),
  ...filesUnder('packages', ['.ts']).map((p): [string, Lang] => [p, 'typescript']),
  // The same TypeScript through the TSX grammar (no JSX in it, but a different parse table and node classes).
  ...filesUnder('packages/tools', ['.ts']).map((p): [string, Lang] => [p, 'tsx']),
  ...filesUnder('node_modules/fastify/lib', ['.js']).map((p): [string, Lang] => [p, 'javascript']),
  ...filesUnder('test/fixtures', ['.js']).map((p): [string, Lang] => [p, 'javascript']),
];

afterAll(() => useFastNodes(true));

describe('parse-worker node shortcuts', () => {
  it('extract the same facts as the binding’s own getters and node cache', () => {
    expect(corpus.length).toBeGreaterThan(150);
    const fast = corpus.map(([p, lang]) => facts(p, lang));
    // Every grammar verified, so the first pass really ran on the shortcuts.
    expect(fastNodesActive()).toBe(true);
    useFastNodes(false);
    expect(fastNodesActive()).toBe(false);
    const native = corpus.map(([p, lang]) => facts(p, lang));
    useFastNodes(true);
    const differing = corpus.filter((_, i) => Buffer.compare(fast[i]!, native[i]!) !== 0).map(([p, lang]) => `${p} (${lang})`);
    expect(differing).toEqual([]);
    // Something was extracted: an empty fact set from both would compare equal too.
    expect(fast.reduce((n, f) => n + f.length, 0)).toBeGreaterThan(1_000_000);
  });
});
