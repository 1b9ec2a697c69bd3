/**
 * The compiler's call graph: the "true" CALLS edges of a project, against which codehive's are measured.
 *
 * For every call and `new` expression in the project's source files, the TypeScript checker resolves the
 * callee (`getSymbolAtLocation` on the callee identifier / property name, import aliases followed with
 * `getAliasedSymbol`). The declaration it lands on, preferring an implementation (a body) over overload
 * signatures, is the edge's target; the enclosing named function, method, constructor, accessor, class
 * static block, or the file's top level, is its caller. Only targets declared inside the project are kept
 * (not lib.d.ts, not node_modules), and only targets a code graph can have a node for (see `targetKind`):
 * a call through a parameter or a destructured local is not an edge to anything.
 *
 * Line numbers are 1-based like codehive's. Because a declaration's "start line" depends on where a parser
 * puts the start (decorators, `export`, the name, an arrow on the next line), every caller and target
 * carries the set of lines that fairly identify it, and a call carries its start line and the line of the
 * callee's name (multi-line member chains).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const SKIP_DIRS = new Set(['node_modules', '.git']);

export interface TruthNode {
  file: string;
  /** Lines any of which identifies this declaration (see the module comment). */
  lines: number[];
  kind: string;
  name: string;
  /**
   * Callers only: other fair attributions of the same call. Code in a function bound to an object-literal
   * property (`match({ onSome: (x) => f(x) })`) may be attributed to the next named function out; code in
   * a top-level variable's initializer (`export const map = dual(2, (s, f) => …)`) to that variable rather
   * than the file. Granularity choices, not wrong edges.
   */
  alts?: TruthNode[];
}

export interface TruthEdge {
  file: string;
  /** Start line of the call expression. */
  line: number;
  /** Every line that identifies the call site: its start and the callee name's line. */
  lines: number[];
  callee: string;
  /** A `new` expression (or a `super(...)` constructor call). */
  isNew: boolean;
  caller: TruthNode;
  /**
   * Acceptable targets: the chosen declaration first, then equivalents (the constructor of a `new`-ed class,
   * the other overloads of the same function, the members of a union-typed receiver).
   */
  targets: TruthNode[];
}

/** What the compiler said about one call site (used to explain codehive edges that match no truth edge). */
export type SiteOutcome = 'corpus' | 'external' | 'excluded' | 'unresolved';

export interface TruthResult {
  root: string;
  files: number;
  edges: TruthEdge[];
  /** `${file}:${line}` → outcomes of the calls starting on that line. */
  sites: Map<string, SiteOutcome[]>;
  counts: { calls: number; corpus: number; external: number; unresolved: number; excluded: Record<string, number> };
}

export interface TruthOptions {
  /** Extra compiler options (e.g. `paths` for a package's self-imports). */
  paths?: Record<string, string[]>;
}

/** Lists the project's source files the way codehive's scope does (declaration files contain no calls). */
export function listSourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      if (ent.isDirectory()) {
        if (!SKIP_DIRS.has(ent.name)) walk(join(dir, ent.name));
      } else if (ent.isFile() && SOURCE_EXTENSIONS.some((e) => ent.name.endsWith(e)) && !/\.d\.[mc]?ts$/.test(ent.name)) {
        out.push(join(dir, ent.name));
      }
    }
  };
  walk(root);
  return out.sort();
}

function compilerOptions(root: string, opts: TruthOptions): ts.CompilerOptions {
  let base: ts.CompilerOptions = {};
  // A fixture's own tsconfig (paths, baseUrl) decides how its imports resolve, as it does for codehive.
  const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
  if (configPath && dirname(configPath) === root) {
    const cfg = ts.readConfigFile(configPath, ts.sys.readFile);
    if (!cfg.error) base = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root).options;
  }
  return {
    ...base,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    // Bundler resolution accepts both extensionless (rxjs) and `.js`-suffixed (effect) relative imports.
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowJs: true,
    checkJs: false,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    ...(opts.paths ? { baseUrl: root, paths: opts.paths } : {}),
  };
}

export function extractTruth(rootIn: string, opts: TruthOptions = {}): TruthResult {
  const root = resolve(rootIn);
  const files = listSourceFiles(root);
  const program = ts.createProgram({ rootNames: files, options: compilerOptions(root, opts) });
  const checker = program.getTypeChecker();
  const rel = (f: string) => relative(root, f).split(sep).join('/');
  const inCorpus = (f: string) => !f.includes('/node_modules/') && (f + '/').startsWith(root + '/') && !rel(f).startsWith('..');

  const result: TruthResult = {
    root,
    files: files.length,
    edges: [],
    sites: new Map(),
    counts: { calls: 0, corpus: 0, external: 0, unresolved: 0, excluded: {} },
  };
  const seen = new Set<string>();
  const wanted = new Set(files);

  for (const sf of program.getSourceFiles()) {
    if (!wanted.has(resolve(sf.fileName))) continue;
    const file = rel(sf.fileName);
    const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;

    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) handleCall(node);
      ts.forEachChild(node, visit);
    };

    const handleCall = (call: ts.CallExpression | ts.NewExpression) => {
      result.counts.calls++;
      const line = lineOf(call.getStart(sf));
      const { callee, nameNode } = calleeOf(call);
      const siteKey = `${file}:${line}`;
      const record = (o: SiteOutcome) => {
        const list = result.sites.get(siteKey) ?? [];
        list.push(o);
        result.sites.set(siteKey, list);
      };
      const resolved = resolveCallee(checker, call, nameNode);
      if (!resolved) {
        result.counts.unresolved++;
        record('unresolved');
        return;
      }
      const candidates: ts.Declaration[] = [];
      let excludedReason: string | undefined;
      for (const decl of resolved) {
        if (!inCorpus(decl.getSourceFile().fileName)) continue;
        const kind = targetKind(decl);
        if (kind.startsWith('excluded:')) excludedReason = kind;
        else candidates.push(decl);
      }
      if (candidates.length === 0) {
        if (excludedReason) {
          result.counts.excluded[excludedReason] = (result.counts.excluded[excludedReason] ?? 0) + 1;
          record('excluded');
        } else {
          result.counts.external++;
          record('external');
        }
        return;
      }
      result.counts.corpus++;
      record('corpus');
      const isNew = ts.isNewExpression(call) || call.expression.kind === ts.SyntaxKind.SuperKeyword;
      const targets = expandTargets(candidates, isNew).map((d) => describe(d, rel));
      const lines = uniq([line, lineOf(nameNode.getStart(sf))]);
      const caller = enclosingCaller(call, sf, file);
      const key = `${file}:${line}>${targets[0]!.file}:${targets[0]!.lines[0]}`;
      if (seen.has(key)) return; // the same target twice on one line is one edge, as in codehive
      seen.add(key);
      result.edges.push({ file, line, lines, callee, isNew, caller, targets });
    };

    visit(sf);
  }
  return result;
}

function uniq(xs: number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

/** The callee expression (text, truncated) and the node whose symbol names it. */
function calleeOf(call: ts.CallExpression | ts.NewExpression): { callee: string; nameNode: ts.Node } {
  let e: ts.Expression = call.expression;
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) {
    e = e.expression;
  }
  const text = call.expression.getText().replace(/\s+/g, ' ');
  const callee = text.length > 80 ? text.slice(0, 77) + '...' : text;
  if (ts.isPropertyAccessExpression(e)) return { callee, nameNode: e.name };
  if (ts.isElementAccessExpression(e)) return { callee, nameNode: e.argumentExpression };
  return { callee, nameNode: e };
}

function isFunctionPrototypeCallApply(decl: ts.Declaration): boolean {
  const name = ts.getNameOfDeclaration(decl);
  return !!name && ts.isIdentifier(name) && (name.text === 'call' || name.text === 'apply') &&
    ts.isInterfaceDeclaration(decl.parent) && ['Function', 'CallableFunction', 'NewableFunction'].includes(decl.parent.name.text);
}

/** The declarations the callee resolves to, or undefined when the checker cannot say (any, dynamic). */
function resolveCallee(checker: ts.TypeChecker, call: ts.CallExpression | ts.NewExpression, nameNode: ts.Node): ts.Declaration[] | undefined {
  let sym = checker.getSymbolAtLocation(nameNode);
  if (!sym && nameNode.kind === ts.SyntaxKind.SuperKeyword) {
    // `super(...)`: the resolved signature's declaration is the base constructor; no declaration means an
    // implicit constructor, so the base class itself is the target.
    const decl = checker.getResolvedSignature(call as ts.CallExpression)?.declaration;
    if (decl && !ts.isJSDocSignature(decl)) return [decl];
    const base = checker.getTypeAtLocation(nameNode).getSymbol();
    return base?.declarations?.length ? base.declarations : undefined;
  }
  if (!sym) return undefined;
  if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decls = sym.declarations ?? [];
  if (decls.length === 0) return undefined;
  // `f.call(this, …)` / `f.apply(…)` run `f`: the compiler names Function.prototype.call, the code means f.
  if (decls.every(isFunctionPrototypeCallApply) && ts.isPropertyAccessExpression(nameNode.parent)) {
    const inner = nameNode.parent.expression;
    const innerName = ts.isPropertyAccessExpression(inner) ? inner.name : inner;
    return resolveCallee(checker, call, innerName);
  }
  const picked = pickDeclarations(sym, decls);
  const literal = objectLiteralMember(checker, nameNode, picked);
  return literal ? [literal, ...picked] : picked;
}

/**
 * `provider.f()` where `const provider: SomeInterface = { f() { … } }`: the checker names the interface
 * member, but the code that runs is the object literal's member — the implementation, so it is preferred
 * (the interface member stays acceptable).
 */
function objectLiteralMember(checker: ts.TypeChecker, nameNode: ts.Node, picked: ts.Declaration[]): ts.Declaration | undefined {
  if (!picked.every((d) => ts.isPropertySignature(d) || ts.isMethodSignature(d))) return undefined;
  const access = nameNode.parent;
  if (!ts.isPropertyAccessExpression(access) || access.name !== nameNode) return undefined;
  let recv = checker.getSymbolAtLocation(access.expression);
  if (recv && recv.flags & ts.SymbolFlags.Alias) recv = checker.getAliasedSymbol(recv);
  const decl = recv?.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
  let init: ts.Expression = decl.initializer;
  while (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) init = init.expression;
  if (!ts.isObjectLiteralExpression(init)) return undefined;
  const name = (nameNode as ts.Identifier).text;
  return init.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === name && (ts.isMethodDeclaration(p) || ts.isPropertyAssignment(p)));
}

function hasBody(d: ts.Declaration): boolean {
  return ts.isFunctionLike(d) && !!(d as ts.FunctionLikeDeclaration).body;
}

/**
 * Implementation over overload signatures; the value declaration over a merged interface or namespace.
 * A union-typed receiver's property (a synthetic symbol) keeps every member's declaration: any is right.
 */
function pickDeclarations(sym: ts.Symbol, decls: readonly ts.Declaration[]): ts.Declaration[] {
  const impls = decls.filter(hasBody);
  const distinctParents = new Set(decls.map((d) => d.parent));
  if (distinctParents.size > 1 && (sym.flags & (ts.SymbolFlags.Property | ts.SymbolFlags.Method)) !== 0) {
    // Union or intersection member: one declaration per constituent (prefer bodies within each).
    const byParent = new Map<ts.Node, ts.Declaration>();
    for (const d of decls) if (!byParent.has(d.parent) || hasBody(d)) byParent.set(d.parent, d);
    return [...byParent.values()];
  }
  if (impls.length > 0) return [impls[0]!, ...decls.filter((d) => d !== impls[0])];
  if (sym.valueDeclaration) return [sym.valueDeclaration, ...decls.filter((d) => d !== sym.valueDeclaration)];
  return [...decls];
}

function isFunctionInit(e: ts.Expression | undefined): boolean {
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e))) e = e.expression;
  return !!e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isClassExpression(e));
}

function isModuleLevel(decl: ts.VariableDeclaration): boolean {
  const stmt = decl.parent?.parent;
  return !!stmt && ts.isVariableStatement(stmt) && (ts.isSourceFile(stmt.parent) || ts.isModuleBlock(stmt.parent));
}

/**
 * What kind of graph node a target declaration is, or `excluded:<why>` for declarations no code graph has
 * a node for (parameters, destructured or plain local values, fields holding a function value).
 */
export function targetKind(d: ts.Declaration): string {
  if (ts.isFunctionDeclaration(d) || ts.isFunctionExpression(d) || ts.isArrowFunction(d)) return 'function';
  if (ts.isMethodDeclaration(d) || ts.isMethodSignature(d)) return 'method';
  if (ts.isConstructorDeclaration(d) || ts.isConstructSignatureDeclaration(d)) return 'constructor';
  if (ts.isClassDeclaration(d) || ts.isClassExpression(d)) return 'class';
  if (ts.isGetAccessor(d) || ts.isSetAccessor(d)) return 'accessor';
  if (ts.isVariableDeclaration(d)) {
    if (!ts.isIdentifier(d.name)) return 'excluded:destructured';
    if (isFunctionInit(d.initializer)) return 'function';
    return isModuleLevel(d) ? 'variable' : 'excluded:local value';
  }
  if (ts.isPropertyAssignment(d) || ts.isPropertyDeclaration(d)) {
    return isFunctionInit(d.initializer) ? 'function' : 'excluded:property value';
  }
  if (ts.isShorthandPropertyAssignment(d)) return 'excluded:property value';
  if (ts.isPropertySignature(d)) return 'excluded:property signature';
  if (ts.isParameter(d)) return 'excluded:parameter';
  if (ts.isBindingElement(d)) return 'excluded:destructured';
  if (ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isTypeNode(d)) return 'excluded:type';
  if (ts.isModuleDeclaration(d) || ts.isEnumDeclaration(d)) return 'excluded:namespace/enum';
  if (ts.isImportClause(d) || ts.isImportSpecifier(d) || ts.isNamespaceImport(d) || ts.isImportEqualsDeclaration(d)) {
    return 'excluded:unresolved import';
  }
  return `excluded:${ts.SyntaxKind[d.kind]}`;
}

/** `new C()` (and `super()`) may fairly point at the class or at its constructor; both are listed. */
function expandTargets(decls: ts.Declaration[], isNew: boolean): ts.Declaration[] {
  const out = [...decls];
  if (isNew) {
    for (const d of decls) {
      if (ts.isClassLike(d)) for (const m of d.members) if (ts.isConstructorDeclaration(m)) out.push(m);
      if (ts.isConstructorDeclaration(d)) out.push(d.parent);
    }
  }
  return [...new Set(out)];
}

function declLines(d: ts.Node, sf: ts.SourceFile): number[] {
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const lines = [lineOf(d.getStart(sf))];
  const name = ts.getNameOfDeclaration(d as ts.Declaration);
  if (name) lines.push(lineOf(name.getStart(sf)));
  if (ts.isVariableDeclaration(d) && d.parent?.parent && ts.isVariableStatement(d.parent.parent)) {
    lines.push(lineOf(d.parent.parent.getStart(sf)));
  }
  if ((ts.isVariableDeclaration(d) || ts.isPropertyAssignment(d) || ts.isPropertyDeclaration(d)) && d.initializer) {
    lines.push(lineOf(d.initializer.getStart(sf)));
  }
  // A parser may start a decorated declaration at its first decorator or after it.
  const mods = ts.canHaveModifiers(d) ? ts.getModifiers(d) : undefined;
  if (mods?.length) lines.push(lineOf(mods[mods.length - 1]!.getEnd()));
  return uniq(lines);
}

function declName(d: ts.Node): string {
  const name = ts.getNameOfDeclaration(d as ts.Declaration);
  if (name) return name.getText();
  if (ts.isConstructorDeclaration(d)) return 'constructor';
  if (ts.isClassStaticBlockDeclaration(d)) return 'static';
  return ts.isSourceFile(d) ? '<file>' : '<anonymous>';
}

function describe(d: ts.Declaration, rel: (f: string) => string): TruthNode {
  const sf = d.getSourceFile();
  return { file: rel(sf.fileName), lines: declLines(d, sf), kind: targetKind(d), name: declName(d) };
}

/**
 * The named function-like the call runs in. Anonymous callbacks and IIFEs are transparent (their calls
 * belong to the enclosing named function); a function expression or arrow is named when bound to a variable,
 * a property or a class field.
 */
function enclosingCaller(call: ts.Node, sf: ts.SourceFile, file: string): TruthNode {
  let variable: ts.VariableDeclaration | undefined;
  const weak: TruthNode[] = [];
  for (let n: ts.Node | undefined = call.parent; n; n = n.parent) {
    if (ts.isSourceFile(n)) break;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && isModuleLevel(n)) variable = n;
    let named: ts.Node | undefined;
    let kind = '';
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n) || ts.isSetAccessor(n)) {
      named = n;
      kind = ts.isFunctionDeclaration(n) ? 'function' : ts.isConstructorDeclaration(n) ? 'constructor' : ts.isMethodDeclaration(n) ? 'method' : 'accessor';
    } else if (ts.isClassStaticBlockDeclaration(n)) {
      named = n;
      kind = 'static block';
    } else if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      const p: ts.Node = n.parent;
      if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.initializer === n && !ts.isObjectBindingPattern(p.name) && !ts.isArrayBindingPattern(p.name)) {
        named = p;
        kind = 'function';
      } else if (ts.isFunctionExpression(n) && n.name) {
        named = n;
        kind = 'function';
      }
    }
    if (!named) continue;
    const node: TruthNode = { file, lines: declLines(named, sf), kind, name: declName(named) };
    // Object-literal members (`{ onSome: (x) => … }`, `{ m() { … } }`) are the innermost caller, but a
    // graph may attribute their calls to the next named function out: keep looking, remember them.
    if (ts.isPropertyAssignment(named) || (ts.isMethodDeclaration(named) && ts.isObjectLiteralExpression(named.parent))) {
      weak.push(node);
      continue;
    }
    return weak.length ? { ...weak[0]!, alts: [...weak.slice(1), node] } : node;
  }
  const top: TruthNode = { file, lines: [1], kind: 'file', name: '<file>' };
  if (variable) top.alts = [{ file, lines: declLines(variable, sf), kind: 'variable', name: declName(variable) }];
  if (weak.length) return { ...weak[0]!, alts: [...weak.slice(1), top, ...(top.alts ?? [])] };
  return top;
}
