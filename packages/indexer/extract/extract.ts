/**
 * Tree → facts. Runs inside a parse worker. The captures (captures.ts) arrive in document order, so one pass
 * keeps a stack of open "frames" (functions, classes, containers) by their end offset: the innermost frame
 * gives a new definition its parent, a call its enclosing function, and `this` its class. Names are bound to
 * scopes as they are declared, and callee roots are looked up only at the end, when every scope is complete
 * (so a function called before its hoisted declaration still binds, and a parameter still shadows a top-level
 * function of the same name).
 */
import type Parser from 'tree-sitter';
import type { Capturer } from './captures.js';
import type { CallbackParam, CallFact, DefFact, DefKind, ExportFact, FileFacts, HeritageFact, ImportFact, RootRef, TypeRef } from '../facts.js';
import { bindingNames, calleeChain, docLine, isFunctionValue, signatureOf, stringValue, textOf, typeChain, useSource } from './nodes.js';

type SyntaxNode = Parser.SyntaxNode;

type Binding = { d: number } | { i: number } | { local: true; type?: PendingType; cb?: CallbackParam };

interface PendingType {
  scope: Scope;
  chain: string[];
  space: 'type' | 'value';
}

class Scope {
  readonly values = new Map<string, Binding>();
  readonly types = new Map<string, Binding>();
  constructor(readonly parent: Scope | null) {}
}

interface Frame {
  end: number;
  /** The def this frame belongs to, -1 for an anonymous function. */
  def: number;
  /** Calls inside are attributed to `def` (functions, methods, variables). */
  callable: boolean;
  /** Function-like frames and namespaces open a scope. */
  scope: Scope | null;
  /** The class `this` refers to inside (-1: some other object); undefined: inherited (arrow functions). */
  thisCls?: number;
  /** An object literal with methods; `objectOwner` is the def owning them (-2: `module.exports`). */
  object?: boolean;
  objectStart?: number;
  objectOwner?: number;
}

interface PendingCall {
  fact: CallFact;
  scope: Scope;
  thisCls: number;
}

const MAX_CALLEE_TEXT = 80;

export function extractFacts(tree: Parser.Tree, src: string, capture: Capturer): FileFacts {
  useSource(src);
  try {
    return new Extractor(src).run(tree, capture);
  } finally {
    useSource('');
  }
}

class Extractor {
  private readonly defs: DefFact[] = [];
  /** Defs without a body (overload signatures, `declare function`), merged into their implementation at the end. */
  private readonly bodyless = new Set<number>();
  private readonly imports: ImportFact[] = [];
  private readonly exports: Array<{ name: string; pending?: { scope: Scope; local: string }; ref?: RootRef; spec?: string; imported?: string }> = [];
  private readonly stars: string[] = [];
  private readonly calls: PendingCall[] = [];
  private readonly heritage: Array<{ def: number; kind: 'extends' | 'implements'; type: PendingType }> = [];
  private readonly fieldTypes: Array<{ cls: number; name: string; type: PendingType }> = [];
  private isModule = false;
  private readonly module = new Scope(null);
  private readonly frames: Frame[] = [];
  /** Start offset of a function/class value bound to a name → the def created for it by its declarator. */
  private readonly boundValue = new Map<number, number>();
  /** Start offset of a function literal passed as a call argument → [index of the call, argument position]. */
  private readonly callbackArgs = new Map<number, [number, number]>();
  /** Declared function-typed parameters of named functions: the types of their own parameters. */
  private readonly cbParamTypes: Array<{ def: number; param: number; types: Array<PendingType | undefined> }> = [];
  /** Start offset of an object literal bound to a name → the Variable def that owns its methods. */
  private readonly objectOwner = new Map<number, number>();
  /** Start offset of an exported declaration (or declarator) → whether it is the default export. */
  private readonly exportedAt = new Map<number, boolean>();
  /** The last comment seen, for doc lines. */
  private lastComment: { start: number; end: number } | null = null;

  constructor(private readonly src: string) {
    this.frames.push({ end: Infinity, def: -1, callable: false, scope: this.module, thisCls: -1 });
  }

  run(tree: Parser.Tree, capture: Capturer): FileFacts {
    for (const { name, node } of capture(tree.rootNode)) {
      this.popFramesBefore(node.startIndex);
      this.visit(name, node);
    }
    return this.finish();
  }

  private popFramesBefore(offset: number): void {
    while (this.frames.length > 1 && this.frames[this.frames.length - 1]!.end <= offset) this.frames.pop();
  }

  // ---- frame queries -------------------------------------------------------------------------------------

  private parentDef(): number {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i]!.def >= 0) return this.frames[i]!.def;
    return -1;
  }

  private callableDef(): number {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.callable && f.def >= 0) return f.def;
    }
    return -1;
  }

  private scope(): Scope {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i]!.scope) return this.frames[i]!.scope!;
    return this.module;
  }

  private thisClass(): number {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const t = this.frames[i]!.thisCls;
      if (t !== undefined) return t;
    }
    return -1;
  }

  private atModuleLevel(): boolean {
    return this.scope() === this.module;
  }

  // ---- dispatch ------------------------------------------------------------------------------------------

  private visit(capture: string, node: SyntaxNode): void {
    switch (capture) {
      case 'fn':
        return this.functionDeclaration(node, false);
      case 'fnsig':
        return this.functionDeclaration(node, true);
      case 'anon':
        return this.functionValue(node);
      case 'class':
        return this.classNode(node);
      case 'iface':
        return this.interfaceNode(node);
      case 'alias':
        return this.simpleType(node, 'TypeAlias', false);
      case 'enum':
        return this.simpleType(node, 'Enum', true);
      case 'ns':
        return this.namespaceNode(node);
      case 'method':
        return this.method(node, false, this.classOwner());
      case 'msig':
        return this.method(node, true, this.classOwner());
      case 'omethod':
        return this.method(node, false, this.objectFrameOwner());
      case 'objm':
        return this.objectWithMethods(node);
      case 'comment':
        this.lastComment = { start: node.startIndex, end: node.endIndex };
        return;
      case 'field':
        return this.field(node);
      case 'var':
        return this.declarator(node);
      case 'call':
      case 'new':
        return this.call(node, capture === 'new');
      case 'import':
        return this.importStatement(node);
      case 'export':
        return this.exportStatement(node);
      case 'assign':
        return this.assignment(node);
      case 'bind':
        for (const n of bindingNames(node)) this.scope().values.set(n, { local: true });
        return;
    }
  }

  // ---- definitions ---------------------------------------------------------------------------------------

  private addDef(node: SyntaxNode, name: string, kind: DefKind, opts: { exported?: boolean; sig?: string | null; parent?: number } = {}): number {
    const idx = this.defs.length;
    this.defs.push({
      name,
      kind,
      parent: opts.parent ?? this.parentDef(),
      pos: [node.startPosition.row + 1, node.startPosition.column, node.endPosition.row + 1, node.endPosition.column],
      sig: opts.sig ?? null,
      exported: opts.exported ?? false,
      doc: docLine(this.lastComment, node.startIndex),
    });
    return idx;
  }

  /** Export status of a declaration, marked by its `export` statement (captured just before it). */
  private exportInfo(node: SyntaxNode): { exported: boolean; isDefault: boolean } {
    const isDefault = this.exportedAt.get(node.startIndex);
    return isDefault === undefined ? { exported: false, isDefault: false } : { exported: true, isDefault };
  }

  /** Marks what an `export` statement declares: the declaration, the one inside `declare`, each declarator. */
  private markExported(decl: SyntaxNode, isDefault: boolean, depth = 0): void {
    this.exportedAt.set(decl.startIndex, isDefault);
    if (depth > 2) return;
    const t = decl.type;
    if (t === 'ambient_declaration' || t === 'expression_statement') {
      const inner = decl.namedChild(0);
      if (inner) this.markExported(inner, isDefault, depth + 1);
    } else if (t === 'lexical_declaration' || t === 'variable_declaration') {
      for (let i = 0; i < decl.namedChildCount; i++) {
        const d = decl.namedChild(i);
        if (d?.type === 'variable_declarator') this.exportedAt.set(d.startIndex, isDefault);
      }
    }
  }

  /** Records a module-level export of a def (namespace members are reached through the namespace). */
  private exportDef(def: number, name: string, isDefault: boolean): void {
    this.isModule = true;
    if (this.atModuleLevel()) this.exports.push({ name: isDefault ? 'default' : name, ref: { k: 'def', d: def } });
  }

  private functionDeclaration(node: SyntaxNode, bodyless: boolean): void {
    const nameNode = node.childForFieldName('name');
    const name = nameNode ? textOf(nameNode) : 'default';
    const { exported, isDefault } = this.exportInfo(node);
    const def = this.addDef(node, name, 'Function', { exported, sig: signatureOf(node) });
    if (bodyless) this.bodyless.add(def);
    if (nameNode) this.scope().values.set(name, { d: def });
    if (exported) this.exportDef(def, name, isDefault);
    if (!bodyless) this.openFunction(node, def, -1);
  }

  /** An arrow/function expression: the body of a named def when a declarator bound it, else anonymous. */
  private functionValue(node: SyntaxNode): void {
    const def = this.boundValue.get(node.startIndex) ?? -1;
    const isArrow = node.type === 'arrow_function';
    const owner = def >= 0 ? this.defs[def]!.parent : -1;
    // A function bound as a class field (`m = () => this.x()`) keeps the class as `this`.
    const thisCls = isArrow ? undefined : def >= 0 && owner >= 0 && this.defs[owner]!.kind === 'Class' ? owner : -1;
    this.openFunction(node, def, thisCls);
  }

  private openFunction(node: SyntaxNode, def: number, thisCls: number | undefined): void {
    const scope = new Scope(this.scope());
    this.frames.push({ end: node.endIndex, def, callable: def >= 0, scope, thisCls });
    this.bindParameters(node, scope, thisCls, def, def < 0 ? this.callbackArgs.get(node.startIndex) : undefined);
  }

  /**
   * `def`: the named function owning the parameters (-1: anonymous); `arg`: where an anonymous function is
   * passed as a call argument, so its untyped parameters take the types the callee declares for them.
   */
  private bindParameters(fn: SyntaxNode, scope: Scope, thisCls: number | undefined, def = -1, arg?: [number, number]): void {
    const single = fn.childForFieldName('parameter');
    if (single) {
      scope.values.set(textOf(single), arg ? { local: true, cb: [arg[0], arg[1], 0] } : { local: true });
      return;
    }
    const params = fn.childForFieldName('parameters');
    if (!params) return;
    let position = 0;
    for (let i = 0; i < params.namedChildCount; i++) {
      const p = params.namedChild(i)!;
      if (p.type === 'comment') continue;
      const pattern = p.childForFieldName('pattern') ?? p;
      if (pattern.type === 'this') continue; // `this: T` is not a positional parameter
      const at = position++;
      const typeNode = p.childForFieldName('type');
      const type = typeNode ? this.pendingType(typeNode, 'type') : undefined;
      const cb: CallbackParam | undefined = !typeNode && arg && pattern.type === 'identifier' ? [arg[0], arg[1], at] : undefined;
      for (const n of bindingNames(pattern)) scope.values.set(n, type ? { local: true, type } : cb ? { local: true, cb } : { local: true });
      if (def >= 0 && typeNode) this.functionTypedParam(def, at, typeNode);
      // `constructor(private readonly repo: Repo)` declares a field too.
      if (type && thisCls !== undefined && thisCls >= 0 && pattern.type === 'identifier' && pattern.startIndex > p.startIndex &&
        /\b(public|private|protected|readonly|override)\b/.test(this.src.slice(p.startIndex, pattern.startIndex))) {
        this.fieldTypes.push({ cls: thisCls, name: textOf(pattern), type });
      }
    }
  }

  /** `init: (a: A, b: B) => R` on a named function: remember A and B for function literals passed as `init`. */
  private functionTypedParam(def: number, param: number, typeNode: SyntaxNode): void {
    let t: SyntaxNode | null = typeNode.type === 'type_annotation' ? typeNode.namedChild(0) : typeNode;
    while (t?.type === 'parenthesized_type') t = t.namedChild(0);
    if (t?.type !== 'function_type') return;
    const params = t.childForFieldName('parameters');
    if (!params) return;
    const types: Array<PendingType | undefined> = [];
    for (let i = 0; i < params.namedChildCount; i++) {
      const p = params.namedChild(i)!;
      if (p.type === 'comment') continue;
      const pattern = p.childForFieldName('pattern') ?? p;
      if (pattern.type === 'this') continue;
      const pt = p.childForFieldName('type');
      types.push(pt && p.type !== 'rest_parameter' ? this.pendingType(pt, 'type') : undefined);
    }
    if (types.some((x) => x)) this.cbParamTypes.push({ def, param, types });
  }

  private pendingType(node: SyntaxNode, space: 'type' | 'value'): PendingType | undefined {
    const chain = typeChain(node);
    return chain ? { scope: this.scope(), chain, space } : undefined;
  }

  private classNode(node: SyntaxNode): void {
    let def = this.boundValue.get(node.startIndex);
    if (def === undefined) {
      const nameNode = node.childForFieldName('name');
      if (!nameNode && node.type === 'class' && !this.exportedAt.has(node.startIndex)) {
        // An anonymous class expression: its methods are not addressable; `this` is still that class.
        this.frames.push({ end: node.endIndex, def: -1, callable: false, scope: null, thisCls: -1 });
        return;
      }
      const name = nameNode ? textOf(nameNode) : 'default';
      const { exported, isDefault } = this.exportInfo(node);
      def = this.addDef(node, name, 'Class', { exported });
      if (nameNode) {
        this.scope().values.set(name, { d: def });
        this.scope().types.set(name, { d: def });
      }
      if (exported) this.exportDef(def, name, isDefault);
    }
    this.frames.push({ end: node.endIndex, def, callable: false, scope: null, thisCls: def });
    this.classHeritage(node, def);
  }

  private classHeritage(node: SyntaxNode, def: number): void {
    const heritage = node.namedChildren.find((c) => c.type === 'class_heritage');
    if (!heritage) return;
    for (const clause of heritage.namedChildren) {
      if (clause.type === 'extends_clause') {
        const value = clause.childForFieldName('value');
        const type = value && this.pendingType(value, 'value');
        if (type) this.heritage.push({ def, kind: 'extends', type });
      } else if (clause.type === 'implements_clause') {
        for (const t of clause.namedChildren) {
          const type = this.pendingType(t, 'type');
          if (type) this.heritage.push({ def, kind: 'implements', type });
        }
      } else {
        // JavaScript: `class A extends B` puts the expression directly in class_heritage.
        const type = this.pendingType(clause, 'value');
        if (type) this.heritage.push({ def, kind: 'extends', type });
      }
    }
  }

  private interfaceNode(node: SyntaxNode): void {
    const nameNode = node.childForFieldName('name');
    const name = nameNode ? textOf(nameNode) : '?';
    const { exported, isDefault } = this.exportInfo(node);
    const def = this.addDef(node, name, 'Interface', { exported });
    this.scope().types.set(name, { d: def });
    if (exported) this.exportDef(def, name, isDefault);
    this.frames.push({ end: node.endIndex, def, callable: false, scope: null });
    const ext = node.namedChildren.find((c) => c.type === 'extends_type_clause');
    for (const t of ext?.namedChildren ?? []) {
      const type = this.pendingType(t, 'type');
      if (type) this.heritage.push({ def, kind: 'extends', type });
    }
  }

  private simpleType(node: SyntaxNode, kind: DefKind, isValue: boolean): void {
    const nameNode = node.childForFieldName('name');
    const name = nameNode ? textOf(nameNode) : '?';
    const { exported, isDefault } = this.exportInfo(node);
    const def = this.addDef(node, name, kind, { exported });
    this.scope().types.set(name, { d: def });
    if (isValue) this.scope().values.set(name, { d: def });
    if (exported) this.exportDef(def, name, isDefault);
    if (kind === 'Enum') this.frames.push({ end: node.endIndex, def, callable: false, scope: null });
  }

  private namespaceNode(node: SyntaxNode): void {
    const nameNode = node.childForFieldName('name');
    if (!nameNode || nameNode.type === 'string') {
      // `declare module "x" { … }`: an ambient module. Its declarations are not this file's exports.
      this.frames.push({ end: node.endIndex, def: -1, callable: false, scope: new Scope(this.scope()) });
      return;
    }
    const name = textOf(nameNode);
    const { exported, isDefault } = this.exportInfo(node);
    const def = this.addDef(node, name, 'Namespace', { exported });
    this.scope().values.set(name, { d: def });
    this.scope().types.set(name, { d: def });
    if (exported) this.exportDef(def, name, isDefault);
    this.frames.push({ end: node.endIndex, def, callable: false, scope: new Scope(this.scope()) });
  }

  /** The class or interface a `class_body`/`interface_body` member belongs to (undefined: anonymous class). */
  private classOwner(): number | undefined {
    const f = this.frames[this.frames.length - 1]!;
    if (f.def < 0 || f.callable) return undefined;
    const kind = this.defs[f.def]!.kind;
    return kind === 'Class' || kind === 'Interface' ? f.def : undefined;
  }

  /** The owner of an object-literal method: the innermost object-with-methods frame, when it is owned. */
  private objectFrameOwner(): number | undefined {
    const f = this.frames[this.frames.length - 1]!;
    return f.object ? f.objectOwner : undefined;
  }

  /** An object literal with methods: a frame so its methods know whether a named binding owns them. */
  private objectWithMethods(node: SyntaxNode): void {
    const top = this.frames[this.frames.length - 1]!;
    if (top.object && top.objectStart === node.startIndex) return; // one capture per method; one frame
    this.frames.push({ end: node.endIndex, def: -1, callable: false, scope: null, object: true, objectStart: node.startIndex, objectOwner: this.objectOwner.get(node.startIndex) });
  }

  private method(node: SyntaxNode, bodyless: boolean, owner: number | undefined): void {
    if (owner === undefined) {
      if (!bodyless) this.openFunction(node, -1, -1);
      return;
    }
    const inClass = owner >= 0 && this.defs[owner]!.kind === 'Class';
    const nameNode = node.childForFieldName('name');
    const name = nameNode ? textOf(nameNode) : '?';
    const accessor = nameNode ? /\b(get|set)\s*$/.exec(this.src.slice(node.startIndex, nameNode.startIndex))?.[1] : undefined;
    const sig = signatureOf(node);
    let def: number;
    if (owner === -2) {
      // A method in `module.exports = { … }`: a top-level exported function of the module.
      def = this.addDef(node, name, 'Function', { exported: true, sig, parent: -1 });
      this.exports.push({ name, ref: { k: 'def', d: def } });
    } else {
      def = this.addDef(node, name, 'Method', { sig: accessor ? `${accessor} ${sig ?? ''}` : sig, parent: owner });
    }
    if (bodyless) this.bodyless.add(def);
    else this.openFunction(node, def, inClass ? owner : -1);
  }

  private field(node: SyntaxNode): void {
    const owner = this.classOwner();
    if (owner === undefined || this.defs[owner]!.kind !== 'Class') return;
    const nameNode = node.childForFieldName('name') ?? node.childForFieldName('property');
    if (!nameNode) return;
    const value = node.childForFieldName('value');
    if (value && isFunctionValue(value)) {
      const def = this.addDef(node, textOf(nameNode), 'Method', { sig: signatureOf(value), parent: owner });
      this.boundValue.set(value.startIndex, def);
      return;
    }
    const typeNode = node.childForFieldName('type');
    const type = typeNode ? this.pendingType(typeNode, 'type') : value?.type === 'new_expression' ? this.newType(value) : undefined;
    if (type) this.fieldTypes.push({ cls: owner, name: textOf(nameNode), type });
  }

  private newType(newExpr: SyntaxNode): PendingType | undefined {
    const ctor = newExpr.childForFieldName('constructor');
    return ctor ? this.pendingType(ctor, 'value') : undefined;
  }

  private declarator(node: SyntaxNode): void {
    const nameNode = node.childForFieldName('name');
    if (!nameNode) return;
    const value = node.childForFieldName('value');
    const typeNode = node.childForFieldName('type');
    if (nameNode.type !== 'identifier') {
      if (value && nameNode.type === 'object_pattern' && this.requireImport(value, nameNode)) return;
      for (const n of bindingNames(nameNode)) this.scope().values.set(n, { local: true });
      return;
    }
    const name = textOf(nameNode);
    const { exported } = this.exportInfo(node);
    const scope = this.scope();
    if (value && isFunctionValue(value)) {
      const def = this.addDef(node, name, 'Function', { exported, sig: signatureOf(value) });
      this.boundValue.set(value.startIndex, def);
      scope.values.set(name, { d: def });
      if (exported) this.exportDef(def, name, false);
      return;
    }
    if (value?.type === 'class') {
      const def = this.addDef(node, name, 'Class', { exported });
      this.boundValue.set(value.startIndex, def);
      scope.values.set(name, { d: def });
      scope.types.set(name, { d: def });
      if (exported) this.exportDef(def, name, false);
      return;
    }
    if (value && this.requireImport(value, nameNode)) return;
    const hasMethods = value?.type === 'object' && value.namedChildren.some((c) => c.type === 'method_definition' || (c.type === 'pair' && isFunctionValue(c.childForFieldName('value'))));
    if (exported || hasMethods) {
      const sig = typeNode ? truncate(textOf(typeNode).replace(/^:\s*/, ''), 200) : null;
      const def = this.addDef(node, name, 'Variable', { exported, sig });
      scope.values.set(name, { d: def });
      if (exported) this.exportDef(def, name, false);
      if (hasMethods) this.objectOwner.set(value!.startIndex, def);
      this.frames.push({ end: node.endIndex, def, callable: true, scope: null });
      if (hasMethods) this.objectPairs(value!, def);
      return;
    }
    const type = typeNode ? this.pendingType(typeNode, 'type') : value?.type === 'new_expression' ? this.newType(value) : undefined;
    scope.values.set(name, type ? { local: true, type } : { local: true });
  }

  /** `key: () => …` pairs of an owned object literal become methods of its owner. */
  private objectPairs(object: SyntaxNode, owner: number): void {
    for (const pair of object.namedChildren) {
      if (pair.type !== 'pair') continue;
      const value = pair.childForFieldName('value');
      const key = pair.childForFieldName('key');
      if (!value || !key || !isFunctionValue(value)) continue;
      const name = key.type === 'string' ? stringValue(key) : textOf(key);
      const def = owner === -2
        ? this.addDef(pair, name, 'Function', { exported: true, sig: signatureOf(value), parent: -1 })
        : this.addDef(pair, name, 'Method', { sig: signatureOf(value), parent: owner });
      if (owner === -2) this.exports.push({ name, ref: { k: 'def', d: def } });
      this.boundValue.set(value.startIndex, def);
    }
  }

  /** `const x = require('m')` / `const { a, b: c } = require('m')`. */
  private requireImport(value: SyntaxNode, nameNode: SyntaxNode): boolean {
    const spec = requireSpec(value);
    if (spec === null) return false;
    this.isModule = true;
    const line = value.startPosition.row + 1;
    if (nameNode.type === 'identifier') {
      this.bindImport({ spec, name: '*cjs', local: textOf(nameNode), line });
      return true;
    }
    for (const prop of nameNode.namedChildren) {
      if (prop.type === 'shorthand_property_identifier_pattern') {
        this.bindImport({ spec, name: textOf(prop), local: textOf(prop), line });
      } else if (prop.type === 'pair_pattern') {
        const key = prop.childForFieldName('key');
        const val = prop.childForFieldName('value');
        if (key && val?.type === 'identifier') this.bindImport({ spec, name: textOf(key), local: textOf(val), line });
        else for (const n of bindingNames(val ?? prop)) this.scope().values.set(n, { local: true });
      } else {
        for (const n of bindingNames(prop)) this.scope().values.set(n, { local: true });
      }
    }
    return true;
  }

  private bindImport(imp: ImportFact): void {
    const i = this.imports.length;
    this.imports.push(imp);
    if (!imp.local) return;
    this.scope().values.set(imp.local, { i });
    this.scope().types.set(imp.local, { i });
  }

  // ---- imports and exports -------------------------------------------------------------------------------

  private importStatement(node: SyntaxNode): void {
    this.isModule = true;
    const line = node.startPosition.row + 1;
    const req = node.namedChildren.find((c) => c.type === 'import_require_clause');
    if (req) {
      // TypeScript `import x = require('m')`.
      const id = req.namedChildren.find((c) => c.type === 'identifier');
      const local = id && textOf(id);
      const source = req.childForFieldName('source');
      if (local && source) this.bindImport({ spec: stringValue(source), name: '*cjs', local, line });
      return;
    }
    const source = node.childForFieldName('source');
    if (!source) return;
    const spec = stringValue(source);
    const clause = node.namedChildren.find((c) => c.type === 'import_clause');
    if (!clause) {
      this.imports.push({ spec, name: '', local: '', line }); // side-effect import
      return;
    }
    for (const part of clause.namedChildren) {
      if (part.type === 'identifier') this.bindImport({ spec, name: 'default', local: textOf(part), line });
      else if (part.type === 'namespace_import') {
        const id = part.namedChildren.find((c) => c.type === 'identifier');
        if (id) this.bindImport({ spec, name: '*', local: textOf(id), line });
      } else if (part.type === 'named_imports') {
        for (const s of part.namedChildren) {
          if (s.type !== 'import_specifier') continue;
          const name = s.childForFieldName('name');
          if (!name) continue;
          const alias = s.childForFieldName('alias');
          const imported = name.type === 'string' ? stringValue(name) : textOf(name);
          this.bindImport({ spec, name: imported, local: alias ? textOf(alias) : imported, line });
        }
      }
    }
  }

  private exportStatement(node: SyntaxNode): void {
    this.isModule = true;
    const decl = node.childForFieldName('declaration');
    if (decl) {
      // The declaration's own capture comes next and reads this mark.
      this.markExported(decl, /\bdefault\b/.test(this.src.slice(node.startIndex, decl.startIndex)));
      return;
    }
    if (!this.atModuleLevel()) return;
    const source = node.childForFieldName('source');
    const spec = source ? stringValue(source) : null;
    const clause = node.namedChildren.find((c) => c.type === 'export_clause');
    if (clause) {
      for (const s of clause.namedChildren) {
        if (s.type !== 'export_specifier') continue;
        const nameNode = s.childForFieldName('name');
        if (!nameNode) continue;
        const local = nameNode.type === 'string' ? stringValue(nameNode) : textOf(nameNode);
        const aliasNode = s.childForFieldName('alias');
        const exported = aliasNode ? (aliasNode.type === 'string' ? stringValue(aliasNode) : textOf(aliasNode)) : local;
        if (spec !== null) this.exports.push({ name: exported, spec, imported: local });
        else this.exports.push({ name: exported, pending: { scope: this.module, local } });
      }
      return;
    }
    if (spec !== null) {
      const ns = node.namedChildren.find((c) => c.type === 'namespace_export');
      const alias = ns?.namedChildren[0];
      if (alias) this.exports.push({ name: alias.type === 'string' ? stringValue(alias) : textOf(alias), spec, imported: '*' });
      else this.stars.push(spec);
      return;
    }
    const value = node.childForFieldName('value');
    if (!value) return;
    if (value.type === 'identifier') {
      this.exports.push({ name: 'default', pending: { scope: this.module, local: textOf(value) } });
    } else if (isFunctionValue(value)) {
      const n = value.childForFieldName('name');
      const name = n ? textOf(n) : 'default';
      const def = this.addDef(value, name, 'Function', { exported: true, sig: signatureOf(value) });
      this.boundValue.set(value.startIndex, def);
      this.exports.push({ name: 'default', ref: { k: 'def', d: def } });
    }
  }

  /** CommonJS exports written plainly at the top level: `module.exports = …`, `exports.x = …`. */
  private assignment(node: SyntaxNode): void {
    // Only assignments that are top-level statements are captured.
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right || left.type !== 'member_expression') return;
    const chain = calleeChain(left);
    if (!chain) return;
    const isModuleExports = chain.length === 2 && chain[0] === 'module' && chain[1] === 'exports';
    const named =
      chain.length === 2 && chain[0] === 'exports' ? chain[1]! :
      chain.length === 3 && chain[0] === 'module' && chain[1] === 'exports' ? chain[2]! : null;
    if (!isModuleExports && named === null) return;
    this.isModule = true;
    const exportName = named ?? 'default';
    if (right.type === 'identifier') {
      this.exports.push({ name: exportName, pending: { scope: this.module, local: textOf(right) } });
    } else if (isFunctionValue(right) || right.type === 'class') {
      const rn = right.childForFieldName('name');
      const name = named ?? (rn ? textOf(rn) : 'default');
      const def = this.addDef(node, name, right.type === 'class' ? 'Class' : 'Function', { exported: true, sig: right.type === 'class' ? null : signatureOf(right) });
      this.boundValue.set(right.startIndex, def);
      this.exports.push({ name: exportName, ref: { k: 'def', d: def } });
    } else if (isModuleExports && right.type === 'object') {
      this.objectOwner.set(right.startIndex, -2);
      for (const prop of right.namedChildren) {
        if (prop.type === 'shorthand_property_identifier') {
          this.exports.push({ name: textOf(prop), pending: { scope: this.module, local: textOf(prop) } });
        } else if (prop.type === 'pair') {
          const key = prop.childForFieldName('key');
          const val = prop.childForFieldName('value');
          if (key && val?.type === 'identifier') this.exports.push({ name: key.type === 'string' ? stringValue(key) : textOf(key), pending: { scope: this.module, local: textOf(val) } });
        }
      }
      this.objectPairs(right, -2);
    } else if (named !== null) {
      const def = this.addDef(node, named, 'Variable', { exported: true });
      this.exports.push({ name: named, ref: { k: 'def', d: def } });
      this.frames.push({ end: node.endIndex, def, callable: true, scope: null });
    }
  }

  // ---- calls ---------------------------------------------------------------------------------------------

  private call(node: SyntaxNode, isNew: boolean): void {
    const callee = node.childForFieldName(isNew ? 'constructor' : 'function');
    if (!callee || callee.type === 'import') return;
    const chain = calleeChain(callee);
    const fact: CallFact = {
      src: this.callableDef(),
      line: node.startPosition.row + 1,
      chain: chain ?? [],
      root: { k: 'dynamic' },
      isNew,
      text: truncate(this.src.slice(callee.startIndex, Math.min(callee.endIndex, callee.startIndex + MAX_CALLEE_TEXT * 2)), MAX_CALLEE_TEXT),
    };
    const args = node.childForFieldName('arguments');
    if (args) {
      let position = 0;
      for (let i = 0; i < args.namedChildCount; i++) {
        const a = args.namedChild(i)!;
        if (a.type === 'comment') continue;
        if (a.type === 'spread_element') break; // positions after a spread are unknown
        if (isFunctionValue(a)) this.callbackArgs.set(a.startIndex, [this.calls.length, position]);
        position++;
      }
    }
    this.calls.push({ fact, scope: this.scope(), thisCls: this.thisClass() });
  }

  // ---- finishing: bind roots, merge overloads ------------------------------------------------------------

  private lookup(scope: Scope, name: string, space: 'value' | 'type'): RootRef {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const b = (space === 'value' ? s.values : s.types).get(name);
      if (!b) continue;
      if ('d' in b) return { k: 'def', d: b.d };
      if ('i' in b) return { k: 'import', i: b.i };
      const t = b.type && this.resolveType(b.type);
      return t ? { k: 'local', t } : b.cb ? { k: 'local', cb: b.cb } : { k: 'local' };
    }
    return { k: 'global' };
  }

  private resolveType(p: PendingType): TypeRef {
    // A type name is looked up among types first; a class or import is both a type and a value.
    let ref = this.lookup(p.scope, p.chain[0]!, p.space);
    if (ref.k === 'local' && p.space === 'type') ref = { k: 'global' };
    if (ref.k === 'local') delete (ref as { t?: TypeRef }).t; // `new x()` on a variable: no static type
    return { ref, chain: p.chain };
  }

  private finish(): FileFacts {
    const calls = this.calls.map(({ fact, scope, thisCls }) => {
      const head = fact.chain[0];
      if (head === 'this') fact.root = { k: 'this', cls: thisCls };
      else if (head === 'super') fact.root = { k: 'super', cls: thisCls };
      else if (head !== undefined) fact.root = this.lookup(scope, head, 'value');
      return fact;
    });
    for (const { cls, name, type } of this.fieldTypes) {
      const def = this.defs[cls]!;
      (def.fields ??= {})[name] = this.resolveType(type);
    }
    for (const { def, param, types } of this.cbParamTypes) {
      (this.defs[def]!.cbParams ??= {})[param] = types.map((t) => (t ? this.resolveType(t) : null));
    }
    const heritage: HeritageFact[] = this.heritage.map((h) => ({ def: h.def, kind: h.kind, type: this.resolveType(h.type) }));
    const exports: ExportFact[] = this.exports.map((e) => {
      if (e.spec !== undefined) return { name: e.name, spec: e.spec, imported: e.imported! };
      if (e.ref) return { name: e.name, ref: e.ref };
      const p = e.pending!;
      const ref = this.lookup(p.scope, p.local, 'value');
      return { name: e.name, ref: ref.k === 'global' ? this.lookup(p.scope, p.local, 'type') : ref };
    });
    const facts: FileFacts = { defs: this.defs, imports: this.imports, exports, stars: this.stars, calls, heritage, isModule: this.isModule };
    return this.bodyless.size ? mergeOverloads(facts, this.bodyless) : facts;
  }
}

/** `require('m')` → 'm'. */
function requireSpec(node: SyntaxNode): string | null {
  if (node.type !== 'call_expression') return null;
  const fn = node.childForFieldName('function');
  if (fn?.type !== 'identifier' || textOf(fn) !== 'require') return null;
  const arg = node.childForFieldName('arguments')?.namedChildren[0];
  return arg?.type === 'string' ? stringValue(arg) : null;
}

function truncate(s: string, max: number): string {
  const oneLine = s.replace(/\s+/g, ' ');
  return oneLine.length > max ? oneLine.slice(0, max - 1) + '…' : oneLine;
}

/**
 * Overload signatures and `declare` duplicates share one node: the implementation when there is one (what
 * a call really runs), else the first signature. Every index into `defs` is remapped.
 */
function mergeOverloads(facts: FileFacts, bodyless: Set<number>): FileFacts {
  const groups = new Map<string, number[]>();
  facts.defs.forEach((d, i) => {
    if (d.kind !== 'Function' && d.kind !== 'Method') return;
    const key = `${d.parent}\u0000${d.name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  });
  const rep = facts.defs.map((_, i) => i);
  for (const g of groups.values()) {
    if (g.length < 2 || !g.some((i) => bodyless.has(i))) continue;
    const impls = g.filter((i) => !bodyless.has(i));
    // Only merge signatures into one implementation; two real same-named functions stay distinct.
    if (impls.length > 1) continue;
    const keep = impls[0] ?? g[0]!;
    for (const i of g) rep[i] = keep;
  }
  const newIndex: number[] = [];
  const defs: DefFact[] = [];
  facts.defs.forEach((d, i) => {
    if (rep[i] === i) {
      newIndex[i] = defs.length;
      defs.push(d);
    }
  });
  const map = (i: number): number => (i < 0 ? i : newIndex[rep[i]!]!);
  for (const d of defs) d.parent = map(d.parent);
  const mapRef = (r: RootRef): RootRef => {
    if (r.k === 'def') return { k: 'def', d: map(r.d) };
    if ((r.k === 'this' || r.k === 'super') && r.cls >= 0) return { k: r.k, cls: map(r.cls) };
    if (r.k === 'local' && r.t) return { ...r, t: mapType(r.t) };
    return r;
  };
  const mapType = (t: TypeRef): TypeRef => ({ ref: mapRef(t.ref), chain: t.chain });
  for (const d of defs) if (d.fields) for (const k of Object.keys(d.fields)) d.fields[k] = mapType(d.fields[k]!);
  for (const d of defs) if (d.cbParams) for (const k of Object.keys(d.cbParams)) d.cbParams[+k] = d.cbParams[+k]!.map((t) => t && mapType(t));
  return {
    ...facts,
    defs,
    exports: facts.exports.map((e) => ('ref' in e ? { name: e.name, ref: mapRef(e.ref) } : e)),
    calls: facts.calls.map((c) => ({ ...c, src: map(c.src), root: mapRef(c.root) })),
    heritage: facts.heritage.map((h) => ({ def: map(h.def), kind: h.kind, type: mapType(h.type) })),
  };
}
