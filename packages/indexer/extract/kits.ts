/**
 * The tree-sitter side of extraction, per language: a parser and the compiled queries. Made on first use and
 * kept — a parse worker holds them for its whole life (parser objects leak before tree-sitter 0.22, and
 * compiling queries is not free).
 */
import Parser from 'tree-sitter';
import JavaScript from 'tree-sitter-javascript';
import TypeScript from 'tree-sitter-typescript';
import type { Lang } from '../facts.js';
import { installFastNodes } from './fast-nodes.js';
import type { LanguageKit } from './parse-file.js';
import { buildErrorQuery, buildQuery } from './queries.js';

function grammar(lang: Lang): unknown {
  return lang === 'typescript' ? TypeScript.typescript : lang === 'tsx' ? TypeScript.tsx : JavaScript;
}

/**
 * A kit per language for `parseFile`. Also installs the node-getter shortcuts (fast-nodes.ts): native node
 * getters are most of the extraction's cost in tree-sitter 0.21.
 */
export function languageKits(): (lang: Lang) => LanguageKit {
  installFastNodes([TypeScript.typescript, TypeScript.tsx, JavaScript]);
  const kits = new Map<Lang, LanguageKit>();
  return (lang) => {
    let k = kits.get(lang);
    if (!k) {
      const language = grammar(lang);
      const parser = new Parser();
      parser.setLanguage(language);
      k = { parser, query: buildQuery(language), errors: buildErrorQuery(language) };
      kits.set(lang, k);
    }
    return k;
  };
}
