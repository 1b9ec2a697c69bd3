/**
 * One file from disk to facts (extract/parse-file.ts), in this thread as a parse worker runs it: the source is
 * read into a buffer the thread reuses, syntax errors are counted by a walk of the tree, and a line fix that
 * left errors is judged against an incremental re-parse of the unfixed text. None of it may show: a file's
 * hash, lines and facts are its own whatever was read before it, the error count is what the `(ERROR)` query
 * finds, and the facts are those of fresh parses.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Parser from 'tree-sitter';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFacts, encodeFacts, type Lang, type ParseResult } from '../../packages/indexer/facts.js';
import { extractFacts } from '../../packages/indexer/extract/extract.js';
import { languageKits } from '../../packages/indexer/extract/kits.js';
import { parseFile } from '../../packages/indexer/extract/parse-file.js';
import { repairLineGenerics } from '../../packages/indexer/extract/repair.js';

const dir = mkdtempSync(join(tmpdir(), 'codehive-parse-file-'));
const kit = languageKits();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(path: string, lang: Lang = 'typescript', maxFileBytes = Infinity): ParseResult {
  return parseFile(dir, { path, lang, knownHash: null }, maxFileBytes, kit);
}

function parsed(path: string, lang: Lang = 'typescript'): Extract<ParseResult, { status: 'parsed' }> {
  const r = parse(path, lang);
  if (r.status !== 'parsed') throw new Error(`${path}: ${r.status}`);
  return r;
}

function names(r: Extract<ParseResult, { status: 'parsed' }>): string[] {
  return decodeFacts(r.facts).defs.map((d) => d.name);
}

/** `n` functions named `${prefix}0…`, one per line pair. */
function functions(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) => `export function ${prefix}${i}(): number {\n  return ${i};\n}\n`).join('');
}

describe('reading a file', () => {
  it('gives each file its own bytes, after larger and much larger ones', () => {
    const files: Array<[string, string]> = [
      ['big.ts', functions('big', 12_000)], // ~500 KB: past the buffer's first size
      ['small.ts', functions('small', 3)],
      ['huge.ts', `${functions('huge', 3)}// ${'x'.repeat(5 * 1024 * 1024)}\n`], // 5 MB: a buffer of its own, not kept
      ['tiny.ts', 'export const t = 1;\n'],
      ['medium.ts', functions('medium', 2_000)],
      ['small2.ts', functions('other', 2)],
    ];
    for (const [path, text] of files) writeFileSync(join(dir, path), text);
    for (const [path, text] of files) {
      const r = parsed(path);
      const bytes = readFileSync(join(dir, path));
      expect(r.hash, path).toBe(createHash('sha1').update(bytes).digest('hex'));
      expect(r.size, path).toBe(bytes.length);
      expect(r.lines, path).toBe(text.split('\n').length - 1);
      expect(r.errors, path).toEqual([]);
    }
    expect(names(parsed('small.ts'))).toEqual(['small0', 'small1', 'small2']);
    expect(names(parsed('tiny.ts'))).toEqual(['t']);
    expect(names(parsed('huge.ts'))).toEqual(['huge0', 'huge1', 'huge2']);
    expect(names(parsed('small2.ts'))).toEqual(['other0', 'other1']);
  });

  it('skips what is over the limit, not a regular file, or gone', () => {
    writeFileSync(join(dir, 'limit.ts'), 'x'.repeat(2048));
    expect(parse('limit.ts', 'typescript', 1024)).toMatchObject({ status: 'skipped', reason: 'too large (0.0 MiB > 0.0 MiB)' });
    expect(parse('limit.ts', 'typescript', 2048)).toMatchObject({ status: 'parsed', size: 2048 });
    expect(parse('missing.ts')).toMatchObject({ status: 'skipped', reason: 'unreadable: ENOENT' });
    // A FIFO where a source file was: opening it must not wait for a writer.
    execFileSync('mkfifo', [join(dir, 'pipe.ts')]);
    expect(parse('pipe.ts')).toMatchObject({ status: 'skipped', reason: 'not a regular file' });
  });
});

describe('syntax errors', () => {
  const sources: Array<[Lang, string]> = [
    ['typescript', 'export function broken( {\n  return ;;; }}}\n'],
    ['typescript', 'class A { m() { if (x { y(); } }\nconst = 3;\nfunction f(a, , b) {}\n'],
    ['typescript', 'let x = ;\n'], // a missing token: an error without an ERROR node
    ['tsx', 'const v = <div>{</div>;\nfunction g() { return <A b={} /> }\n'],
    ['javascript', 'module.exports = { a: , b: function( { } };\nfor (;;\n'],
    ['typescript', 'export const ok = (a: number): number => a + 1;\n'],
  ];

  it('counts the ERROR nodes the (ERROR) query finds, at least 1 for a tree with an error', () => {
    const counted: number[] = [];
    sources.forEach(([lang, text], i) => {
      const path = `err${i}.${lang === 'tsx' ? 'tsx' : lang === 'javascript' ? 'js' : 'ts'}`;
      writeFileSync(join(dir, path), text);
      const { parser } = kit(lang);
      const tree = parser.parse(text);
      const query = new Parser.Query(parser.getLanguage(), '(ERROR) @e');
      const expected = tree.rootNode.hasError ? Math.max(1, query.captures(tree.rootNode).length) : 0;
      const r = parsed(path, lang);
      expect(r.parseErrors, path).toBe(expected);
      expect(r.errors, path).toEqual(expected ? [`syntax errors: ${expected} (indexed what parsed)`] : []);
      counted.push(r.parseErrors);
    });
    // The sources cover several ERROR nodes in one file, a missing token, and no error at all.
    expect(Math.max(...counted)).toBeGreaterThan(1);
    expect(counted.at(-1)).toBe(0);
    expect(counted.filter((n) => n > 0).length).toBe(sources.length - 1);
  });
});

describe('a line fix that left errors', () => {
  /** The choice parse-file.ts makes, from two fresh parses: the fixed text unless the plain one has fewer errors. */
  function oracle(text: string): { facts: Uint8Array; parseErrors: number } {
    const { parser, capture } = kit('typescript');
    const count = (t: Parser.Tree) => (t.rootNode.hasError ? Math.max(1, new Parser.Query(parser.getLanguage(), '(ERROR) @e').captures(t.rootNode).length) : 0);
    const fixedText = repairLineGenerics(text);
    if (fixedText === null) throw new Error('no line fix in this source');
    const fixed = parser.parse(fixedText);
    const plain = parser.parse(text);
    const [tree, src] = count(plain) < count(fixed) ? [plain, text] : [fixed, fixedText];
    return { facts: encodeFacts(extractFacts(tree, src, capture)), parseErrors: count(tree) };
  }

  const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('');
  // Repeated, so that an incremental re-parse has subtrees to reuse (a small file is re-read whole anyway).
  const sources: Record<string, string> = {
    // A type member ends a line and the next one starts with `<`: the fix puts a `;` before that `<` and helps;
    // an unrelated error at the end makes the file re-parsed without it, and the fix is kept.
    'kept.ts':
      many(20, (i) => `export interface Pipe${i} {\n  (a: A): B\n  <C>(c: C): C\n}\nexport function ok${i}(x: number): number {\n  return x + ${i};\n}\n`) +
      'const broken = (;\n',
    // A call's arguments broken over lines look like the pattern; the fix breaks them and the plain text wins.
    'dropped.ts':
      'export function f(a: number, b: number): void {}\n' +
      many(20, (i) => `export function g${i}(x: number): number {\n  f(a\n    <b, c> (d));\n  return x;\n}\n`) +
      'export function h(): void { f(1, 2 }\n',
  };

  it('keeps the facts and error count two fresh parses give', () => {
    const chosen: string[] = [];
    for (const [path, text] of Object.entries(sources)) {
      writeFileSync(join(dir, path), text);
      const expected = oracle(text);
      const r = parsed(path);
      expect(r.parseErrors, path).toBe(expected.parseErrors);
      expect(Buffer.from(r.facts).equals(Buffer.from(expected.facts)), path).toBe(true);
      chosen.push(`${path}: ${r.parseErrors}`);
    }
    // Each file kept the text with fewer errors: the fixed one, then the plain one (21 errors with the fix).
    expect(chosen).toEqual(['kept.ts: 1', 'dropped.ts: 1']);
    expect(names(parsed('kept.ts'))).toEqual(expect.arrayContaining(['Pipe0', 'ok0', 'Pipe19', 'ok19']));
    expect(names(parsed('dropped.ts'))).toEqual(expect.arrayContaining(['f', 'g0', 'g19', 'h']));
  });
});
