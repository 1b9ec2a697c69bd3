/**
 * One file from disk to facts, inside a parse worker: read, reject what must not be parsed (too large,
 * binary, vanished), hash, and skip the parse when the content hash is unchanged. Broken UTF-8 and syntax
 * errors are reported, never fatal: tree-sitter recovers and we index what parses.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import type Parser from 'tree-sitter';
import { encodeFacts, type Lang, type ParseResult } from '../facts.js';
import type { Capturer } from './captures.js';
import { extractFacts } from './extract.js';
import { repairLineGenerics, repairModifiers } from './repair.js';

export interface LanguageKit {
  parser: Parser;
  capture: Capturer;
}

export function parseFile(
  root: string,
  file: { path: string; lang: Lang; knownHash: string | null },
  maxFileBytes: number,
  kit: (lang: Lang) => LanguageKit,
): ParseResult {
  const read = readSource(join(root, file.path), maxFileBytes);
  if ('skip' in read) return { path: file.path, status: 'skipped', reason: read.skip };
  const { buf, mtimeMs } = read;
  if (buf.indexOf(0) !== -1) return { path: file.path, status: 'skipped', reason: 'binary (NUL byte)' };
  const hash = createHash('sha1').update(buf).digest('hex');
  if (hash === file.knownHash) return { path: file.path, status: 'unchanged', hash, size: buf.length, mtimeMs };

  const errors: string[] = [];
  if (!isUtf8(buf)) errors.push('invalid UTF-8 (decoded with replacement characters)');
  const src = buf.toString('utf8');
  const { parser, capture } = kit(file.lang);
  // Syntax the grammar lacks, repaired with same-length edits (positions stay exact): see repair.ts.
  const safe = file.lang === 'javascript' ? src : repairModifiers(src);
  const lineFix = file.lang === 'javascript' ? null : repairLineGenerics(safe);
  let text = lineFix ?? safe;
  // tree-sitter 0.21 rejects input of 32 KiB or more unless the buffer size is given.
  let tree = parser.parse(text, undefined, { bufferSize: text.length + 1 });
  let parseErrors = 0;
  if (tree.rootNode.hasError) {
    parseErrors = syntaxErrors(tree);
    if (lineFix !== null) {
      // The line-start `;` is a guess (`f(a⏎ <b, c> d)` is valid JavaScript): keep it only if it helped.
      const plain = reparse(parser, tree, lineFix, safe);
      const left = syntaxErrors(plain);
      if (left < parseErrors) [tree, text, parseErrors] = [plain, safe, left];
    }
    if (parseErrors > 0) errors.push(`syntax errors: ${parseErrors} (indexed what parsed)`);
  }
  const facts = extractFacts(tree, text, capture);
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

/**
 * The file's bytes, in a buffer this thread reuses: valid until the next call (the caller hashes and decodes
 * them before it returns). A fresh buffer per file (readFileSync) cost a parse worker 30-70 ms of a full
 * index of effect in allocation alone (`.scratch/prof`: `createUnsafeBuffer` under `readFileSync`).
 */
function readSource(abs: string, maxFileBytes: number): { buf: Buffer; mtimeMs: number } | { skip: string } {
  let fd: number | null = null;
  try {
    // Non-blocking: a FIFO put where a source file was must not hang the worker (fstat then rejects it).
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return { skip: 'not a regular file' };
    if (st.size > maxFileBytes) return { skip: tooLarge(st.size, maxFileBytes) };
    // One byte more than the size: a file that grew since fstat fills the buffer and is read to its end.
    let buf = sourceBuffer(st.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxFileBytes) return { skip: tooLarge(n, maxFileBytes) };
      if (n === buf.length) buf = sourceBuffer(buf.length * 2, buf.subarray(0, n));
    }
    return { buf: buf.subarray(0, n), mtimeMs: Math.floor(st.mtimeMs) };
  } catch (err) {
    // Deleted, renamed or made unreadable between listing and reading.
    return { skip: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Kept between files up to this size; a larger file gets a buffer of its own, dropped after it. */
const KEEP_SOURCE_BUFFER = 4 * 1024 * 1024;
/** Made on the first read (only parse workers read sources), then grown by doubling. */
let kept = Buffer.alloc(0);

/** A buffer of at least `size` bytes starting with `prefix`: the kept one when it is large enough. */
function sourceBuffer(size: number, prefix?: Buffer): Buffer {
  if (size <= kept.length) return kept;
  const buf = Buffer.allocUnsafe(Math.max(size, kept.length * 2, 256 * 1024));
  prefix?.copy(buf);
  if (buf.length <= KEEP_SOURCE_BUFFER) kept = buf;
  return buf;
}

/**
 * `to` parsed incrementally from `tree`, the tree of `from` (a same-length text): every character that differs
 * is an edit, so tree-sitter reuses what lies between them. A second full parse of the files whose line fix
 * left errors was a sixth of effect's parse time (7 files, most of them large); this costs ~60 % of it. Edits of
 * equal length that add or remove no line break move no node, so `tree` still describes `from` exactly and
 * may be kept. (Texts differing in a line break are parsed afresh: the line fix never makes one.)
 */
function reparse(parser: Parser, tree: Parser.Tree, from: string, to: string): Parser.Tree {
  const edits: Parser.Edit[] = [];
  let row = 0;
  let lineStart = 0;
  for (let i = 0; i < from.length; i++) {
    const c = from.charCodeAt(i);
    if (c !== to.charCodeAt(i)) {
      if (c === 10 || to.charCodeAt(i) === 10) return parser.parse(to, undefined, { bufferSize: to.length + 1 });
      const start = { row, column: i - lineStart };
      const end = { row, column: i - lineStart + 1 };
      edits.push({ startIndex: i, oldEndIndex: i + 1, newEndIndex: i + 1, startPosition: start, oldEndPosition: end, newEndPosition: end });
    }
    if (c === 10) {
      row++;
      lineStart = i + 1;
    }
  }
  for (const e of edits) tree.edit(e);
  return parser.parse(to, tree, { bufferSize: to.length + 1 });
}

/**
 * Syntax-error nodes in a tree that reports an error (at least 1: a missing token is an error without an
 * ERROR node). A native walk: the `(ERROR)` query it replaces cost each fresh parse worker 10-26 ms to compile.
 */
function syntaxErrors(tree: Parser.Tree): number {
  return tree.rootNode.hasError ? Math.max(1, tree.rootNode.descendantsOfType('ERROR').length) : 0;
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
