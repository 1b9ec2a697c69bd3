/**
 * Faster syntax nodes on tree-sitter 0.21, for the parse workers.
 *
 * In 0.21 every node property is a native call (marshal the node into a transfer buffer, call, unmarshal):
 * on effect, `type`, `startIndex` and `startPosition` cost ~200 ms of the ~2.5 s CPU a parse worker spends.
 * But the JS node object already holds what they return:
 * - a node's class is chosen by its (alias-aware) grammar symbol, one subclass per named symbol, so the
 *   type name of any node whose class is not the base `SyntaxNode` is fixed per class (asked natively once);
 * - fields 2–4 of a node object are the TSNode context: start byte, start row, start column in bytes of the
 *   UTF-16 text the binding parses (the native getters halve them into string offsets and columns).
 *
 * And every node the binding hands to JS (each capture, each `childForFieldName`) is registered in its tree's
 * node cache: a heap-allocated entry, a weak reference and a finalizer per node, so that asking for the same
 * node again returns the same object and `tree.edit` can move it. Extraction never compares nodes by
 * identity and never edits a tree, so the workers skip the registration: extraction of effect took 30 % less
 * CPU (the finalizers also cost every GC), with byte-identical facts (test/indexer/fast-nodes.test.ts).
 *
 * `installFastNodes` checks the getters' claims on a sample tree of each language, as the worker first needs
 * it, against the native getters, and switches them off if any node disagrees (a different binding version),
 * so extraction results cannot change. The workers edit a tree only with same-length edits on one line
 * (parse-file.ts `reparse`), which move no node: an edit that moved positions would leave node objects
 * made before it with stale ones.
 */
import type Parser from 'tree-sitter';
import { TreeSitter } from './tree-sitter.js';

type Node = Parser.SyntaxNode & Record<number, number>;

/** The binding's base node class; every named node type gets a subclass of it per language. */
const Base = (TreeSitter as unknown as { SyntaxNode: { prototype: object } }).SyntaxNode;

const SAMPLE = `/** doc */
export abstract class A<in out T extends B = C> extends D.E<T> implements F {
  private readonly x: Map<string, number> = new Map();
  constructor(private y: G) { super(); this.m(1, 'é', \`t\${z}\`); }
  static async *gen(this: A<T>, ...rest: any[]): AsyncGenerator<number> { yield* other(rest); }
  get v(): number { return this.x.size ?? 0 }
}
import def, { a as b, type c } from './m.js';
export * as ns from "./ns";
namespace Q { export const r = (p: number) => p + 1; }
interface I { m(): void; [k: string]: unknown }
type U = { [K in keyof I]-?: I[K] } | (() => void);
enum En { A = 1, B }
label: for (const [k, v] of Object.entries({ a: 1 })) { if (k) break label; else continue; }
const re = /a[/]b/g, obj = { m() { return <const>[1] }, ['x' + 1]: 2 };
function f(this: void, { a, b: [c] }: { a: 1; b: [2] } = {} as never) { try { f() } catch { } }
let broken = (;
`;

/** 'on' once a language verified, 'off' for good once one did not (or the binding lacks the getters). */
let state: 'unknown' | 'on' | 'off' = 'unknown';
/** Whether the shortcuts (not the natives) are on the prototypes now. */
let switchedOn = false;
const verified = new Set<unknown>();
/** The prototypes' own descriptors, and the shortcuts for them; `useFastNodes` switches between the two. */
let natives: Array<[object, string, PropertyDescriptor]> = [];
let shortcuts: Array<[object, string, PropertyDescriptor]> = [];
let nativeGetters: { type: () => string; startIndex: () => number; startPosition: () => Parser.Point } | null = null;
/** Each node class's type as the native getter gave it, across every language verified. */
const classType = new Map<unknown, string>();

/**
 * Verifies the shortcuts on `language` (once per language: a worker parsing only TypeScript never loads or
 * checks the others) and installs them after the first language passes. A language that fails switches
 * them off for good, so extraction results cannot change. Returns whether the shortcuts are on.
 */
export function installFastNodes(language: unknown): boolean {
  if (state === 'off') return false;
  if (verified.has(language)) return true;
  if (!nativeGetters && !prepare()) {
    state = 'off';
    return false;
  }
  if (!verify(language, nativeGetters!)) {
    useFastNodes(false);
    state = 'off';
    return false;
  }
  verified.add(language);
  if (state === 'unknown') {
    useFastNodes(true);
    state = 'on';
  }
  return true;
}

/** Whether the shortcuts are installed and switched on. */
export function fastNodesActive(): boolean {
  return state === 'on' && switchedOn;
}

function prepare(): boolean {
  const proto = Base.prototype;
  const typeDesc = Object.getOwnPropertyDescriptor(proto, 'type');
  const startIndexDesc = Object.getOwnPropertyDescriptor(proto, 'startIndex');
  const startPositionDesc = Object.getOwnPropertyDescriptor(proto, 'startPosition');
  if (!typeDesc?.get || !startIndexDesc?.get || !startPositionDesc?.get) return false;
  const nativeType = typeDesc.get;
  const typeByClass = new Map<unknown, string>();
  const fastType = function (this: Node): string {
    const cls = this.constructor;
    if (cls === Base) return nativeType.call(this) as string;
    let t = typeByClass.get(cls);
    if (t === undefined) {
      t = nativeType.call(this) as string;
      typeByClass.set(cls, t);
    }
    return t;
  };
  const fastStartIndex = function (this: Node): number {
    return this[2]! >>> 1;
  };
  const fastStartPosition = function (this: Node): Parser.Point {
    return { row: this[3]!, column: this[4]! >>> 1 };
  };
  nativeGetters = { type: nativeType, startIndex: startIndexDesc.get, startPosition: startPositionDesc.get };
  natives = [
    [proto, 'type', typeDesc],
    [proto, 'startIndex', startIndexDesc],
    [proto, 'startPosition', startPositionDesc],
  ];
  shortcuts = [
    [proto, 'type', { ...typeDesc, get: fastType }],
    [proto, 'startIndex', { ...startIndexDesc, get: fastStartIndex }],
    [proto, 'startPosition', { ...startPositionDesc, get: fastStartPosition }],
  ];
  const treeProto = (TreeSitter as unknown as { Tree: { prototype: object } }).Tree.prototype;
  for (const name of ['_cacheNode', '_cacheNodes']) {
    const desc = Object.getOwnPropertyDescriptor(treeProto, name);
    if (typeof desc?.value !== 'function') continue;
    natives.push([treeProto, name, desc]);
    shortcuts.push([treeProto, name, { ...desc, value: skipNodeCache }]);
  }
  return true;
}

/** Every node of the sample tree (walked with a cursor: no node property shortcuts) against the native getters. */
function verify(language: unknown, native: NonNullable<typeof nativeGetters>): boolean {
  const parser = new TreeSitter();
  parser.setLanguage(language);
  const cursor = parser.parse(SAMPLE).walk();
  for (;;) {
    const node = cursor.currentNode as Node;
    const type = native.type.call(node);
    const start = native.startIndex.call(node);
    const pos = native.startPosition.call(node);
    if (node[2]! >>> 1 !== start || node[3] !== pos.row || node[4]! >>> 1 !== pos.column) return false;
    if (node.constructor !== Base) {
      const seen = classType.get(node.constructor);
      if (seen !== undefined && seen !== type) return false;
      classType.set(node.constructor, type);
    }
    if (cursor.gotoFirstChild() || cursor.gotoNextSibling()) continue;
    for (;;) {
      if (!cursor.gotoParent()) return true;
      if (cursor.gotoNextSibling()) break;
    }
  }
}

function skipNodeCache(): void {}

/** Switches the installed shortcuts off (native getters, cached nodes) or back on: for tests comparing the two. */
export function useFastNodes(on: boolean): void {
  if (on && state === 'off') return;
  for (const [target, name, desc] of on ? shortcuts : natives) Object.defineProperty(target, name, desc);
  switchedOn = on && shortcuts.length > 0;
}
