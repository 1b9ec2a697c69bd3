/**
 * tree-sitter's runtime and grammars for the parse workers, loaded with `require`.
 *
 * The packages are CommonJS. Imported from an ES module, Node first scans its source for export names
 * (cjs-module-lexer, in JavaScript): tree-sitter's index.js is large enough that every fresh parse worker
 * ran the scan hot and had it optimised on V8's background threads. A worker that imported the package cost
 * the process ~55 ms more CPU and started ~12 ms later than one that required it (`.scratch/cjsload2.mjs`),
 * and a full index starts three workers.
 */
import { createRequire } from 'node:module';
import type Parser from 'tree-sitter';
import type { Lang } from '../facts.js';

const require = createRequire(import.meta.url);

export const TreeSitter = require('tree-sitter') as typeof Parser;

/** The grammar of `lang`; its native module loads on the first call (tree-sitter-typescript holds both TS and TSX). */
export function grammar(lang: Lang): unknown {
  if (lang === 'javascript') return require('tree-sitter-javascript') as unknown;
  const ts = require('tree-sitter-typescript') as { typescript: unknown; tsx: unknown };
  return lang === 'typescript' ? ts.typescript : ts.tsx;
}
