/**
 * One file from disk to facts, inside a parse worker: read, reject what must not be parsed (too large,
 * binary, vanished), hash, and skip the parse when the content hash is unchanged. Broken UTF-8 and syntax
 * errors are reported, never fatal: tree-sitter recovers and we index what parses.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import Parser from 'tree-sitter';
import { encodeFacts, type Lang, type ParseResult } from '../facts.js';
import { extractFacts } from './extract.js';
import { repairLineGenerics, repairModifiers } from './repair.js';

export interface LanguageKit {
  parser: Parser;
  query: Parser.Query;
  errors: Parser.Query;
}

export function parseFile(
  root: string,
  file: { path: string; lang: Lang; knownHash: string | null },
  maxFileBytes: number,
  kit: (lang: Lang) => LanguageKit,
): ParseResult {
  const abs = join(root, file.path);
  let buf: Buffer;
  let mtimeMs: number;
  try {
    const st = statSync(abs);
    if (!st.isFile()) return { path: file.path, status: 'skipped', reason: 'not a regular file' };
    if (st.size > maxFileBytes) return { path: file.path, status: 'skipped', reason: tooLarge(st.size, maxFileBytes) };
    mtimeMs = Math.floor(st.mtimeMs);
    buf = readFileSync(abs);
  } catch (err) {
    // Deleted, renamed or made unreadable between listing and reading.
    return { path: file.path, status: 'skipped', reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (buf.length > maxFileBytes) return { path: file.path, status: 'skipped', reason: tooLarge(buf.length, maxFileBytes) };
  if (buf.indexOf(0) !== -1) return { path: file.path, status: 'skipped', reason: 'binary (NUL byte)' };
  const hash = createHash('sha1').update(buf).digest('hex');
  if (hash === file.knownHash) return { path: file.path, status: 'unchanged', hash, size: buf.length, mtimeMs };

  const errors: string[] = [];
  if (!isUtf8(buf)) errors.push('invalid UTF-8 (decoded with replacement characters)');
  const src = buf.toString('utf8');
  const { parser, query, errors: errorQuery } = kit(file.lang);
  // Syntax the grammar lacks, repaired with same-length edits (positions stay exact): see repair.ts.
  const safe = file.lang === 'javascript' ? src : repairModifiers(src);
  const lineFix = file.lang === 'javascript' ? null : repairLineGenerics(safe);
  let text = lineFix ?? safe;
  // tree-sitter 0.21 rejects input of 32 KiB or more unless the buffer size is given.
  let tree = parser.parse(text, undefined, { bufferSize: text.length + 1 });
  let parseErrors = 0;
  if (tree.rootNode.hasError) {
    parseErrors = Math.max(1, errorQuery.captures(tree.rootNode).length);
    if (lineFix !== null) {
      // The line-start `;` is a guess (`f(a⏎ <b, c> d)` is valid JavaScript): keep it only if it helped.
      const plain = parser.parse(safe, undefined, { bufferSize: safe.length + 1 });
      const left = plain.rootNode.hasError ? Math.max(1, errorQuery.captures(plain.rootNode).length) : 0;
      if (left < parseErrors) [tree, text, parseErrors] = [plain, safe, left];
    }
    if (parseErrors > 0) errors.push(`syntax errors: ${parseErrors} (indexed what parsed)`);
  }
  const facts = extractFacts(tree, text, query);
  return {
    path: file.path,
    status: 'parsed',
    hash,
    size: buf.length,
    mtimeMs,
    lines: countLines(src),
    parseErrors,
    facts: encodeFacts(facts),
    errors,
  };
}

export function tooLarge(size: number, max: number): string {
  return `too large (${mib(size)} > ${mib(max)})`;
}

function mib(n: number): string {
  const m = n / (1024 * 1024);
  return Number.isInteger(m) ? `${m} MiB` : `${m.toFixed(1)} MiB`;
}

function countLines(src: string): number {
  let n = 1;
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) n++;
  return src.endsWith('\n') ? n - 1 : n;
}
