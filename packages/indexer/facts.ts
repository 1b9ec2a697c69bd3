/**
 * "Facts": what the extractor learns from one file, as plain JSON-able data. Facts cross the worker boundary
 * (trees cannot), are stored in `files.facts`, and are the only input of resolution — so an incremental
 * re-index re-parses only changed files and re-resolves from stored facts (the call sites of only the files
 * the change can affect: resolve/reuse.ts), which keeps "incremental == from scratch" true by construction.
 *
 * Indices (`d`, `i`, `def`, `src`) point into the same file's `defs` / `imports` arrays.
 */
export type Lang = 'typescript' | 'tsx' | 'javascript';

/**
 * Bump whenever extraction changes what facts say (a new field, a grammar repair, a fixed capture): a
 * project whose stored facts carry another version is re-parsed in full on its next index, since stored
 * facts of unchanged files are otherwise reused as they are.
 */
export const FACTS_VERSION = 2;

export type DefKind = 'Class' | 'Interface' | 'TypeAlias' | 'Enum' | 'Function' | 'Method' | 'Variable' | 'Namespace';

/**
 * How the first identifier of a callee or type name was bound by the lexical scope of its file:
 * a definition in this file, an import, a local variable/parameter (with its declared type if any),
 * `this`/`super` (with the class that owns `this`, -1 when unknown), or nothing (a global).
 */
export type RootRef =
  | { k: 'def'; d: number }
  | { k: 'import'; i: number }
  | { k: 'local'; t?: TypeRef; cb?: CallbackParam }
  | { k: 'this'; cls: number }
  | { k: 'super'; cls: number }
  | { k: 'global' }
  | { k: 'dynamic' };

/**
 * An untyped parameter of a function literal passed as an argument: `[call, arg, param]` = parameter
 * `param` of the function given as argument `arg` of this file's call `calls[call]`. Its type is the one
 * the callee declares for that parameter (`operate((source, subscriber) => …)` against
 * `operate(init: (source: Observable<T>, subscriber: Subscriber<R>) => …)`). Positions skip `this`.
 */
export type CallbackParam = [call: number, arg: number, param: number];

/** A named type (`Foo`, `ns.Foo`): the scope binding of its first name plus its whole dotted path. */
export interface TypeRef {
  ref: RootRef;
  chain: string[];
}

export interface DefFact {
  name: string;
  kind: DefKind;
  /** Enclosing def (class for a method, function for a nested function), -1 at the file top level. */
  parent: number;
  /** start line (1-based), start column (0-based), end line, end column. */
  pos: [number, number, number, number];
  sig: string | null;
  exported: boolean;
  doc: string | null;
  /** Class/interface fields with a declared (or `new X()`) type, for `this.field.m()`. */
  fields?: Record<string, TypeRef>;
  /**
   * Functions/methods: for a parameter declared with a function type, the named types of that function
   * type's own parameters (`init: (a: A, b: B) => void` → `{ 0: [A, B] }`; null where untyped/unnamed).
   * Positions skip `this` parameters.
   */
  cbParams?: Record<number, Array<TypeRef | null>>;
}

export interface ImportFact {
  spec: string;
  /** Imported export name; `default`, `*` (namespace import) or `*cjs` (a whole `require()` result). */
  name: string;
  local: string;
  line: number;
}

export type ExportFact =
  | { name: string; ref: RootRef } // export { local as name }, export function name, module.exports = …
  | { name: string; spec: string; imported: string }; // export { imported as name } from 'spec'; imported '*' for `export * as name`

export interface CallFact {
  /** Innermost enclosing Function/Method/Variable def, -1 for file top-level code. */
  src: number;
  line: number;
  /** The callee as a dotted path: ['f'], ['ns', 'f'], ['this', 'm'], ['this', 'a', 'm'], ['super', 'm'], ['super']. */
  chain: string[];
  root: RootRef;
  isNew: boolean;
  /** Callee text (truncated), for unresolved call sites. */
  text: string;
}

export interface HeritageFact {
  def: number;
  kind: 'extends' | 'implements';
  type: TypeRef;
}

export interface FileFacts {
  defs: DefFact[];
  imports: ImportFact[];
  exports: ExportFact[];
  /** `export * from 'spec'`. */
  stars: string[];
  calls: CallFact[];
  heritage: HeritageFact[];
  /** Has import/export/require/module.exports: a module, not a global script. */
  isModule: boolean;
}

/**
 * Facts travel and rest as UTF-8 JSON bytes, never as a JS string: the main thread only stores them and
 * passes them on, and a string costs it twice. Sending every file's facts to the resolve worker as strings
 * was a 42 ms serialisation on the event loop for effect (6.3M characters, half of its files with a non-Latin-1
 * character, so two bytes each); bytes are one copy of 6 MB. And strings live in the V8 heap, where a
 * scavenge copies them, bytes outside it.
 */
export function encodeFacts(facts: FileFacts): Uint8Array {
  return utf8.encode(JSON.stringify(facts));
}

export function decodeFacts(bytes: Uint8Array): FileFacts {
  return JSON.parse(utf8Decoder.decode(bytes)) as FileFacts;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** What a parse worker returns for one file. */
export type ParseResult =
  | {
      path: string;
      status: 'parsed';
      hash: string;
      size: number;
      mtimeMs: number;
      lines: number;
      parseErrors: number;
      facts: Uint8Array; // encodeFacts(FileFacts)
      errors: string[];
    }
  | { path: string; status: 'unchanged'; hash: string; size: number; mtimeMs: number }
  | { path: string; status: 'skipped'; reason: string };

/** Sent (without an id, and answered by nothing) to a standby parse worker: get every parser ready now. */
export const WARM_UP = { kind: 'warm-up' } as const;

export interface ParseTask {
  root: string;
  maxFileBytes: number;
  files: Array<{ path: string; lang: Lang; knownHash: string | null }>;
}
