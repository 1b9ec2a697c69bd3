/**
 * tree-sitter's runtime for the parse workers, loaded with `require`.
 *
 * The package is CommonJS. Imported from an ES module, Node first scans its source for export names
 * (cjs-module-lexer, in JavaScript): tree-sitter's index.js is large enough that every fresh parse worker
 * ran the scan hot and had it optimised on V8's background threads. A worker that imported the package cost
 * the process ~55 ms more CPU and started ~12 ms later than one that required it (`.scratch/cjsload2.mjs`),
 * and a full index starts three workers.
 */
import { createRequire } from 'node:module';
import type Parser from 'tree-sitter';

export const TreeSitter = createRequire(import.meta.url)('tree-sitter') as typeof Parser;
