/**
 * Small readers over single syntax nodes (never whole-tree walks): names bound by a pattern, a callee's
 * dotted path, a type's name, a declaration's signature and doc comment.
 */
import type Parser from 'tree-sitter';

type SyntaxNode = Parser.SyntaxNode;

/**
 * The source being extracted. `node.text` and `node.parent` are slow in tree-sitter 0.21 (each re-walks
 * the tree natively, ~15 µs); slicing the source by offsets costs nothing, so helpers read text from here.
 */
let SOURCE = '';

export function useSource(src: string): void {
  SOURCE = src;
}

export function textOf(node: SyntaxNode): string {
  return SOURCE.slice(node.startIndex, node.endIndex);
}

const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function']);
const MAX_SIG = 300;
const MAX_CHAIN = 5;

export function isFunctionValue(node: SyntaxNode | null | undefined): boolean {
  return !!node && FUNCTION_VALUES.has(node.type);
}

/** Identifiers bound by a parameter or declaration pattern (`a`, `{ a, b: c }`, `[x, ...rest]`, `d = 1`). */
export function bindingNames(node: SyntaxNode | null | undefined, out: string[] = [], depth = 0): string[] {
  if (!node || depth > 8) return out;
  switch (node.type) {
    case 'identifier':
    case 'shorthand_property_identifier_pattern':
      out.push(textOf(node));
      return out;
    case 'object_pattern':
    case 'array_pattern':
    case 'rest_pattern':
    case 'required_parameter':
    case 'optional_parameter':
      for (const c of node.namedChildren) bindingNames(c, out, depth + 1);
      return out;
    case 'pair_pattern':
      return bindingNames(node.childForFieldName('value'), out, depth + 1);
    case 'assignment_pattern':
    case 'object_assignment_pattern':
      return bindingNames(node.childForFieldName('left'), out, depth + 1);
    case 'lexical_declaration':
    case 'variable_declaration':
      for (const d of node.namedChildren) bindingNames(d.childForFieldName('name'), out, depth + 1);
      return out;
    default:
      return out;
  }
}

/**
 * A callee as a dotted path of plain names: `f` → ['f'], `a.b.c` → ['a','b','c'], `this.x.m` →
 * ['this','x','m'], `super.m` → ['super','m'], `a!.b` → ['a','b']. Anything computed (calls, subscripts,
 * parenthesised expressions) → null: the call is dynamic.
 */
export function calleeChain(node: SyntaxNode, depth = 0): string[] | null {
  if (depth > MAX_CHAIN) return null;
  switch (node.type) {
    case 'identifier':
    case 'this':
    case 'super':
      return [textOf(node)];
    case 'non_null_expression':
      return node.namedChildren[0] ? calleeChain(node.namedChildren[0], depth) : null;
    case 'member_expression': {
      const object = node.childForFieldName('object');
      const property = node.childForFieldName('property');
      if (!object || !property) return null;
      const head = calleeChain(object, depth + 1);
      return head ? [...head, textOf(property)] : null;
    }
    default:
      return null;
  }
}

/** The name a type annotation or heritage expression refers to: `Foo`, `ns.Foo<T>`, `: Foo | null` → null. */
export function typeChain(node: SyntaxNode, depth = 0): string[] | null {
  if (depth > MAX_CHAIN) return null;
  switch (node.type) {
    case 'type_annotation':
    case 'parenthesized_type':
      return node.namedChildren[0] ? typeChain(node.namedChildren[0], depth + 1) : null;
    case 'type_identifier':
    case 'identifier':
      return [textOf(node)];
    case 'nested_type_identifier':
    case 'nested_identifier':
    case 'member_expression':
      return calleeChainLoose(node);
    case 'generic_type': {
      const name = node.childForFieldName('name');
      return name ? typeChain(name, depth + 1) : null;
    }
    default:
      return null;
  }
}

/** `a.b.C` as a path, for nested type identifiers whose parts are not member expressions. */
function calleeChainLoose(node: SyntaxNode): string[] | null {
  const text = textOf(node);
  return /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(text) ? text.split('.') : null;
}

/** `<T>(a: T, b?: number): R` as written, whitespace collapsed. */
export function signatureOf(fn: SyntaxNode): string | null {
  const params = fn.childForFieldName('parameters') ?? fn.childForFieldName('parameter');
  if (!params) return null;
  const tp = fn.childForFieldName('type_parameters');
  const rt = fn.childForFieldName('return_type');
  const typeParams = tp ? textOf(tp) : '';
  const ret = rt ? textOf(rt) : '';
  const p = params.type === 'identifier' ? `(${textOf(params)})` : textOf(params);
  const sig = `${typeParams}${p}${ret}`.replace(/\s+/g, ' ');
  return sig.length > MAX_SIG ? sig.slice(0, MAX_SIG - 1) + '…' : sig;
}

/** The contents of a string literal node. */
export function stringValue(node: SyntaxNode): string {
  const t = textOf(node);
  return t.length >= 2 ? t.slice(1, -1) : t;
}

/** Text allowed between a doc comment and the declaration it documents. */
const DOC_GAP = /^\s*(?:(?:export|default|declare|const|let|var|async|function|abstract|public|private|protected|static|readonly|override|accessor)\s+)*$/;

/**
 * The first line of a `/** … *\/` comment (given by offsets) when it sits right above the declaration
 * starting at `declStart` (only modifiers and keywords in between).
 */
export function docLine(comment: { start: number; end: number } | null, declStart: number): string | null {
  if (!comment || comment.end > declStart) return null;
  if (!DOC_GAP.test(SOURCE.slice(comment.end, declStart))) return null;
  const text = SOURCE.slice(comment.start, comment.end);
  if (!text.startsWith('/**')) return null;
  for (const raw of text.slice(3, -2).split('\n')) {
    const line = raw.replace(/^\s*\*?\s?/, '').trim();
    if (line) return line.length > 200 ? line.slice(0, 199) + '…' : line;
  }
  return null;
}
