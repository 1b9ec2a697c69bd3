/**
 * The tree-sitter side of extraction, per language: a parser and what finds the nodes to extract (captures.ts).
 * Made on first use and kept — a parse worker holds them for its whole life (parser objects leak before
 * tree-sitter 0.22).
 *
 * Everything here is paid by a worker's start-up, which a cold full index waits for on both workers: so a
 * grammar is loaded and verified for the node shortcuts only when a file of its language comes.
 */
import type { Lang } from '../facts.js';
import { buildCapturer } from './captures.js';
import { installFastNodes } from './fast-nodes.js';
import type { LanguageKit } from './parse-file.js';
import { grammar, TreeSitter } from './tree-sitter.js';

/**
 * A kit per language for `parseFile`. Also installs the node-getter shortcuts (fast-nodes.ts): native node
 * getters are most of the extraction's cost in tree-sitter 0.21.
 */
export function languageKits(): (lang: Lang) => LanguageKit {
  const kits = new Map<Lang, LanguageKit>();
  return (lang) => {
    let k = kits.get(lang);
    if (!k) {
      const language = grammar(lang);
      installFastNodes(language);
      const parser = new TreeSitter();
      parser.setLanguage(language);
      k = { parser, capture: buildCapturer(language) };
      kits.set(lang, k);
    }
    return k;
  };
}
