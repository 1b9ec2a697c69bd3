/**
 * The nodes the extractor reads from a file's tree, in document order, each with what it is (its capture
 * name: extract.ts dispatches on it): declarations, calls, imports/exports, bindings, comments. One native
 * walk finds them (`descendantsOfType`), so JS never walks the whole tree.
 *
 * Why not a tree-sitter query, which says the same in patterns: on tree-sitter 0.21 the query cursor's walk
 * is the cost, whatever the patterns. Over effect's 360 parsed trees (`.scratch/capcmp.mjs`, one thread) a
 * query of one pattern that never matches took 323 ms and the extractor's query 450 ms; `descendantsOfType`
 * of one type 186 ms, of every type below 270 ms. And the query was compiled in every fresh parse worker
 * (`ts_query_new`, 25-58 ms of its start-up). The few patterns that constrained a node's parent (a method in
 * a class body or an object literal, an assignment that is a top-level statement) or captured a field child
 * (a catch parameter, a for-in's left side) are checked here on the nodes of those types.
 *
 * The order is the query's: by start offset, an enclosing node before the nodes it contains. On 15,479 files
 * (every source in node_modules, effect, rxjs, typescript's lib, test/fixtures; `.scratch/emucap2.mjs`) the
 * captures were the query's, node for node and in order, but in 4: a function called where it is written
 * (`(function () {…}())`), which the query listed before the call it starts and the walk lists after it (the
 * extractor's facts for that construct came out the same either way in a check, `.scratch/iife.mjs`).
 */
import type Parser from 'tree-sitter';

type SyntaxNode = Parser.SyntaxNode;

export type CaptureName =
  | 'fn' | 'fnsig' | 'anon' | 'class' | 'iface' | 'alias' | 'enum' | 'ns'
  | 'method' | 'msig' | 'omethod' | 'objm' | 'field' | 'var' | 'call' | 'new'
  | 'import' | 'export' | 'assign' | 'comment' | 'bind';

export interface Capture {
  name: CaptureName;
  node: SyntaxNode;
}

/** The captures of a file's tree, from its root. */
export type Capturer = (root: SyntaxNode) => Capture[];

/** Node types captured wherever they are. */
const BY_TYPE: Readonly<Record<string, CaptureName>> = {
  function_declaration: 'fn',
  generator_function_declaration: 'fn',
  function_signature: 'fnsig',
  function_expression: 'anon',
  generator_function: 'anon',
  arrow_function: 'anon',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  class: 'class',
  interface_declaration: 'iface',
  type_alias_declaration: 'alias',
  enum_declaration: 'enum',
  internal_module: 'ns',
  public_field_definition: 'field',
  field_definition: 'field',
  variable_declarator: 'var',
  call_expression: 'call',
  new_expression: 'new',
  import_statement: 'import',
  export_statement: 'export',
  comment: 'comment',
};

/** Node types captured only in some places, or through a child (see `inContext`). */
const IN_CONTEXT = ['method_definition', 'method_signature', 'abstract_method_signature', 'assignment_expression', 'catch_clause', 'for_in_statement'];

export function buildCapturer(language: unknown): Capturer {
  const info = (language as { nodeTypeInfo?: Array<{ type: string; named: boolean }> }).nodeTypeInfo;
  const known = Array.isArray(info) ? info : null;
  // A name the grammar lacks finds nothing; leaving it out only saves the binding a lookup per file.
  const types = [...Object.keys(BY_TYPE), ...IN_CONTEXT].filter((t) => !known || known.some((i) => i.named && i.type === t));
  // `descendantsOfType` matches every symbol of a name, and `class` also names the keyword token.
  const keywordToo = new Set(types.filter((t) => !known || known.some((i) => !i.named && i.type === t)));
  return (root) => capturesOf(root, types, keywordToo);
}

interface Found extends Capture {
  start: number;
  end: number;
  /** Position in the walk: the tie-break between nodes of the same span. */
  order: number;
}

function capturesOf(root: SyntaxNode, types: string[], keywordToo: Set<string>): Capture[] {
  const out: Found[] = [];
  const add = (name: CaptureName, node: SyntaxNode) => out.push({ name, node, start: node.startIndex, end: node.endIndex, order: out.length });
  /** Object literals already captured as holding methods (by start offset). */
  const objects = new Set<number>();
  let outOfOrder = false;
  for (const node of root.descendantsOfType(types)) {
    const t = node.type;
    const name = BY_TYPE[t];
    if (name !== undefined) {
      if (!keywordToo.has(t) || node.isNamed) add(name, node);
      continue;
    }
    outOfOrder = inContext(t, node, add, objects) || outOfOrder;
  }
  // The walk is in document order (an enclosing node first); an object captured at its first method and a
  // catch or for-in binding captured at its statement are put back in their places.
  if (outOfOrder) out.sort((a, b) => a.start - b.start || b.end - a.end || a.order - b.order);
  return out;
}

/** Captures `node` (or its parent or a child) where its place calls for it; true if one went out of order. */
function inContext(t: string, node: SyntaxNode, add: (name: CaptureName, node: SyntaxNode) => void, objects: Set<number>): boolean {
  switch (t) {
    case 'method_definition': {
      const parent = node.parent;
      const pt = parent?.type;
      if (pt === 'class_body') add('method', node);
      else if (pt === 'object') {
        const added = !objects.has(parent!.startIndex);
        if (added) {
          objects.add(parent!.startIndex);
          add('objm', parent!);
        }
        add('omethod', node);
        return added;
      }
      return false;
    }
    case 'method_signature': {
      const pt = node.parent?.type;
      if (pt === 'class_body' || pt === 'interface_body') add('msig', node);
      return false;
    }
    case 'abstract_method_signature':
      if (node.parent?.type === 'class_body') add('msig', node);
      return false;
    case 'assignment_expression': {
      const statement = node.parent;
      if (statement?.type === 'expression_statement' && statement.parent?.type === 'program') add('assign', node);
      return false;
    }
    case 'catch_clause':
    case 'for_in_statement': {
      const bound = node.childForFieldName(t === 'catch_clause' ? 'parameter' : 'left');
      if (!bound?.isNamed) return false;
      add('bind', bound);
      return true;
    }
    default:
      return false;
  }
}
