/**
 * extract/captures.ts finds the nodes the extractor reads with one native walk instead of a tree-sitter query.
 * The query it replaced is the oracle here: on this repository's sources, the test fixtures, a JavaScript
 * package and a source written to hit every pattern's edge (methods in class bodies and object literals,
 * keywords that share a node type's name, bindings captured through a field, calls and functions that start
 * where an enclosing node starts, syntax errors), both must give the same nodes, named alike, in the same order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Parser from 'tree-sitter';
import { describe, expect, it } from 'vitest';
import { buildCapturer } from '../../packages/indexer/extract/captures.js';
import { languageKits } from '../../packages/indexer/extract/kits.js';
import type { Lang } from '../../packages/indexer/facts.js';

const REPO = join(import.meta.dirname, '../..');

/** The extraction query as it was (packages/indexer/extract/queries.ts until 2026-11-29). */
const PATTERNS = [
  '(function_declaration) @fn',
  '(generator_function_declaration) @fn',
  '(function_signature) @fnsig',
  '(function_expression) @anon',
  '(generator_function) @anon',
  '(arrow_function) @anon',
  '(class_declaration) @class',
  '(abstract_class_declaration) @class',
  '(class) @class',
  '(interface_declaration) @iface',
  '(type_alias_declaration) @alias',
  '(enum_declaration) @enum',
  '(internal_module) @ns',
  '(class_body (method_definition) @method)',
  '(class_body (method_signature) @msig)',
  '(class_body (abstract_method_signature) @msig)',
  '(interface_body (method_signature) @msig)',
  '(object (method_definition)) @objm',
  '(object (method_definition) @omethod)',
  '(public_field_definition) @field',
  '(field_definition) @field',
  '(variable_declarator) @var',
  '(call_expression) @call',
  '(new_expression) @new',
  '(import_statement) @import',
  '(export_statement) @export',
  '(program (expression_statement (assignment_expression) @assign))',
  '(comment) @comment',
  '(catch_clause parameter: (_) @bind)',
  '(for_in_statement left: (_) @bind)',
];

const EDGES_TS = `
/** doc */ export abstract class A<T> extends B implements C {
  @dec() field = f(1);
  private x: number = new Map().size;
  abstract m(a: T): void;
  n() { return { a: g(), m() { return this; }, o: { p() {}, q: () => 1 } }.m(); }
  get v() { return class { w() {} }; }
}
interface I { m(): void; n: (x: number) => void; <T>(t: T): T }
const obj = { s() {}, t: function () {}, u: async () => {}, *gen() {} };
const K = class Named { static make() { return new K(); } };
module.exports.x = require('y'), exports.z = 1;
a.b().c = d();
function outer() { inner.x = 1; return (() => 2)(); }
f(a)(b)(c);
x.y().z().w();
({ m() {} }).m();
try { risky(); } catch (e) { log(e); } finally { done(); }
try { risky(); } catch { }
try { risky(); } catch ({ message }) { log(message); }
for (const k in o) use(k);
for (const [k, v] of Object.entries(o)) use(k, v);
for (let i = 0; i < 3; i++) use(i);
namespace N { export function f() {} export enum E { A } }
declare function over(x: string): void;
type U = { m(): void };
label: for (const q of qs) { if (q) continue label; }
export default function () {}
export * from './m';
import def, { a as b } from './n';
let broken = (;
`;

const EDGES_JS = `
class A extends B { field = 1; #p = f(); m() { return { n() {}, o: () => g() }.n(); } static { init(); } }
const C = class { d() {} };
module.exports = { e() {}, f: function () {} };
exports.g = (x) => x;
try { h(); } catch (err) { i(err); }
for (var k in o) j(k);
new (class {})();
`;

function sourcesUnder(dir: string, into: Array<[string, Lang, string]>): void {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'node_modules') continue;
    if (statSync(p).isDirectory()) sourcesUnder(p, into);
    else {
      const lang: Lang | null = /\.tsx$/.test(e) ? 'tsx' : /\.[mc]?ts$/.test(e) ? 'typescript' : /\.[mc]?jsx?$/.test(e) ? 'javascript' : null;
      if (lang) into.push([p, lang, readFileSync(p, 'utf8')]);
    }
  }
}

describe('captures', () => {
  const kit = languageKits();
  const grammar = (lang: Lang) => kit(lang).parser.getLanguage();
  const oracles = new Map<Lang, Parser.Query>();
  const oracle = (lang: Lang) => {
    let q = oracles.get(lang);
    if (!q) {
      // Patterns naming a node type the grammar lacks are left out, as the extractor did.
      const usable = PATTERNS.filter((p) => {
        try {
          new Parser.Query(grammar(lang), p);
          return true;
        } catch {
          return false;
        }
      });
      q = new Parser.Query(grammar(lang), usable.join('\n'));
      oracles.set(lang, q);
    }
    return q;
  };
  const key = (c: { name: string; node: Parser.SyntaxNode }) => `${c.name}@${c.node.startIndex}-${c.node.endIndex}`;

  function compare(sources: Array<[string, Lang, string]>): number {
    let total = 0;
    for (const [path, lang, text] of sources) {
      const tree = kit(lang).parser.parse(text, undefined, { bufferSize: text.length + 1 });
      const expected = oracle(lang).captures(tree.rootNode).map(key);
      const got = buildCapturer(grammar(lang))(tree.rootNode).map(key);
      expect(got, path).toEqual(expected);
      total += got.length;
    }
    return total;
  }

  it('finds what the extraction query found, in its order, on sources written for its edges', () => {
    const sources: Array<[string, Lang, string]> = [
      ['edges.ts', 'typescript', EDGES_TS],
      ['edges.tsx', 'tsx', EDGES_TS + 'const el = <div onClick={() => go()}>{items.map((i) => <span>{i}</span>)}</div>;\n'],
      ['edges.js', 'javascript', EDGES_JS],
    ];
    compare(sources);
    // Every kind of capture occurs, and the class keywords did not count as class expressions.
    const names = new Set(buildCapturer(grammar('typescript'))(kit('typescript').parser.parse(EDGES_TS).rootNode).map((c) => c.name));
    expect([...names].sort()).toEqual(['alias', 'anon', 'assign', 'bind', 'call', 'class', 'comment', 'enum', 'export', 'field', 'fn', 'fnsig', 'iface', 'import', 'method', 'msig', 'new', 'ns', 'objm', 'omethod', 'var'].sort());
  });

  it('finds what the extraction query found on this repository, its fixtures and a JavaScript package', () => {
    const sources: Array<[string, Lang, string]> = [];
    for (const dir of ['packages', 'daemon', 'shim', 'bench', 'test/fixtures', 'node_modules/fastify/lib']) sourcesUnder(join(REPO, dir), sources);
    expect(new Set(sources.map(([, lang]) => lang))).toEqual(new Set(['typescript', 'javascript'])); // TSX: the test above
    expect(compare(sources)).toBeGreaterThan(10_000);
  });
});
