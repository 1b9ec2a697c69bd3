/**
 * The one tree-sitter query the extractor runs per file. It captures only the nodes extraction cares about
 * (declarations, calls, imports/exports, bindings); the native query engine finds them, so JS never walks
 * the whole tree. Capture names tell the extractor what each node is.
 *
 * The TypeScript and JavaScript grammars name some nodes differently; a pattern naming a node type that a
 * grammar lacks would make the whole query fail, so each pattern is compiled alone first and kept only if
 * the grammar knows it.
 */
import type Parser from 'tree-sitter';
import { TreeSitter } from './tree-sitter.js';

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

export function buildQuery(language: unknown): Parser.Query {
  // Compile the whole query; when the grammar lacks a node type, the error names the offset of the
  // offending pattern: drop that one and retry. (Probing each pattern alone costs 70–200 ms per worker.)
  // Patterns naming a type the grammar's node-types list lacks are dropped first: each failed compile of the
  // TypeScript query cost a worker's start-up ~7 ms.
  let usable = knownTo(language, PATTERNS);
  for (let attempt = 0; attempt <= PATTERNS.length; attempt++) {
    const text = usable.join('\n');
    try {
      return new TreeSitter.Query(language, text);
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      if (!m) break;
      const at = Number(m[1]);
      let offset = 0;
      const bad = usable.findIndex((p) => {
        const hit = at >= offset && at <= offset + p.length;
        offset += p.length + 1;
        return hit;
      });
      if (bad === -1) break;
      usable.splice(bad, 1);
    }
  }
  usable = PATTERNS.filter((p) => {
    try {
      new TreeSitter.Query(language, p);
      return true;
    } catch {
      return false;
    }
  });
  return new TreeSitter.Query(language, usable.join('\n'));
}

/** The patterns whose node types all appear in the grammar's node-types list (all of them without that list). */
function knownTo(language: unknown, patterns: string[]): string[] {
  const info = (language as { nodeTypeInfo?: Array<{ type: string }> }).nodeTypeInfo;
  if (!Array.isArray(info)) return [...patterns];
  const types = new Set(info.map((t) => t.type));
  return patterns.filter((p) => [...p.matchAll(/\((\w+)/g)].every((m) => m[1] === '_' || types.has(m[1]!)));
}
