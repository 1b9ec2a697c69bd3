/**
 * One fixture per resolution feature, asserting the exact CALLS edge set (and, where it matters, IMPORTS,
 * INHERITS, IMPLEMENTS and the unresolved call sites). Real tree-sitter, real SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, edges, liveSnapshotOf, nodes, openEnv, unresolved, type Env } from './helpers.js';

let env: Env;
beforeAll(() => {
  env = openEnv();
});
afterAll(async () => {
  await env.close();
});

/** Orders `src:line -> …` strings by source then numeric line. */
function byLine(a: string, b: string): number {
  const pa = /^(.*):(\d+) /.exec(a)!;
  const pb = /^(.*):(\d+) /.exec(b)!;
  return pa[1]! < pb[1]! ? -1 : pa[1]! > pb[1]! ? 1 : Number(pa[2]) - Number(pb[2]) || (a < b ? -1 : 1);
}

async function index(name: string): Promise<string> {
  const root = copyFixture(name, env.dir);
  await env.indexer.index(root, { mode: 'full' });
  return root;
}

describe('resolution fixtures', () => {
  it('relative imports with index and .js → .ts resolution', async () => {
    const root = await index('relative');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'src/main.ts#run:9 -> src/main.ts#local (same-file)',
      'src/main.ts#run:9 -> src/util/index.ts#helper (import)',
      'src/main.ts#run:9 -> src/util/math.ts#add (import)',
      'src/main.ts:12 -> src/main.ts#run (same-file)',
    ]);
    expect(edges(env.store, root, 'IMPORTS')).toEqual([
      'src/main.ts -> src/util/index.ts ["helper"]',
      'src/main.ts -> src/util/math.ts ["add"]',
    ]);
    expect(edges(env.store, root, 'CONTAINS')).toContain('src -> src/util');
    expect(edges(env.store, root, 'DEFINES')).toContain('src/main.ts -> src/main.ts#run');
  });

  it('re-exports: renamed, export * and chains of them', async () => {
    const root = await index('reexports');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'src/main.ts#main:5 -> src/a.ts#foo (re-export)',
      'src/main.ts#main:6 -> src/a.ts#foo (re-export)',
      'src/main.ts#main:7 -> src/a.ts#other (re-export)',
    ]);
    expect(edges(env.store, root, 'IMPORTS')).toEqual([
      'src/b.ts -> src/a.ts ["foo"]',
      'src/c.ts -> src/a.ts ["*"]',
      'src/index.ts -> src/b.ts ["*"]',
      'src/index.ts -> src/c.ts ["*"]',
      'src/main.ts -> src/c.ts ["foo"]',
      'src/main.ts -> src/index.ts ["bar","other"]',
    ]);
  });

  it('default exports and instances created with new', async () => {
    const root = await index('defaults');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'src/main.ts#main:5 -> src/make.ts#make (import)',
      'src/main.ts#main:6 -> src/widget.ts#Widget (import)',
      'src/main.ts#main:7 -> src/widget.ts#Widget.render (type-annotation)',
    ]);
    const make = nodes(env.store, root, `qname = 'src/make.ts#make'`)[0]!;
    expect(make).toMatchObject({ kind: 'Function', exported: 1, doc: 'Makes a thing.', signature: '(): string', words: 'make' });
  });

  it('namespace imports', async () => {
    const root = await index('namespace');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'src/main.ts#main:4 -> src/ops.ts#sum (namespace-import)',
      'src/main.ts#main:4 -> src/ops.ts#twice (namespace-import)',
      'src/ops.ts#twice:4 -> src/ops.ts#sum (same-file)',
    ]);
  });

  it('CommonJS require, exports.x, module.exports', async () => {
    const root = await index('commonjs');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'lib.js#b:5 -> lib.js#a (same-file)',
      'main.js#main:6 -> lib.js#a (commonjs)',
      'main.js#main:7 -> lib.js#b (import)',
      'main.js#main:8 -> obj.js#run (commonjs)',
      'main.js#main:9 -> obj.js#stop (commonjs)',
    ]);
  });

  it('tsconfig paths and baseUrl, following extends', async () => {
    const root = await index('tsconfig-paths');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'src/main.ts#main:5 -> src/app/service.ts#serve (import)',
      'src/main.ts#main:6 -> src/lib/tool.ts#tool (import)',
    ]);
  });

  it('workspace packages resolve into their sources', async () => {
    const root = await index('workspace');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'packages/app/src/main.ts#main:5 -> packages/core/src/extra.ts#extraFn (import)',
      'packages/app/src/main.ts#main:5 -> packages/core/src/impl.ts#coreFn (re-export)',
    ]);
  });

  it('this, super, inheritance and implements', async () => {
    const root = await index('classes');
    expect(edges(env.store, root, 'CALLS')).toEqual([
      'src/child.ts#Child.constructor:9 -> src/base.ts#Base (super)',
      'src/child.ts#Child.greet:12 -> src/base.ts#Base.greet (super)',
      'src/child.ts#Child.greet:13 -> src/base.ts#Base.log (inherited)',
      'src/child.ts#Child.greet:14 -> src/child.ts#Child.own (this-class)',
      'src/child.ts#Child.size~2:21 -> src/child.ts#Child.own (this-class)',
    ]);
    expect(edges(env.store, root, 'INHERITS')).toEqual(['src/child.ts#Child -> src/base.ts#Base']);
    expect(edges(env.store, root, 'IMPLEMENTS')).toEqual(['src/child.ts#Child -> src/child.ts#Greeter']);
    expect(edges(env.store, root, 'DEFINES_METHOD')).toContain('src/child.ts#Greeter -> src/child.ts#Greeter.greet');
  });

  it('calls through declared types of fields, parameters and variables', async () => {
    const root = await index('typed');
    expect(edges(env.store, root, 'CALLS').sort(byLine)).toEqual([
      'src/repo.ts#makeRepo:10 -> src/repo.ts#Repo (same-file)',
      // A field initializer runs outside any method: attributed to the file.
      'src/service.ts:4 -> src/repo.ts#makeRepo (import)',
      'src/service.ts#Service.run:9 -> src/repo.ts#Repo.find (type-annotation)', // this.repo: a constructor parameter property
      'src/service.ts#Service.run:10 -> src/repo.ts#Store.save (type-annotation)', // an interface method
      'src/service.ts#Service.run:11 -> src/repo.ts#Repo.find (type-annotation)', // this.cache: a typed field
      'src/service.ts#Service.run:12 -> src/repo.ts#Repo.find (type-annotation)', // r: a typed parameter
      'src/service.ts#Service.run:13 -> src/repo.ts#makeRepo (import)',
      'src/service.ts#Service.run:14 -> src/repo.ts#Repo.find (type-annotation)', // x: a typed variable
    ]);
  });

  it('binds a unique global name with low confidence and never an ambiguous one', async () => {
    const root = await index('ambiguous');
    expect(edges(env.store, root, 'CALLS')).toEqual(['main.js#go:3 -> b.js#solo (unique-name)']);
    const conf = env.store.db
      .prepare(`SELECT confidence FROM edges WHERE type = 'CALLS' AND snapshot = ?`)
      .all(liveSnapshotOf(env.store, root)) as Array<{ confidence: number }>;
    expect(conf.map((c) => c.confidence <= 0.5)).toEqual([true]);
    expect(unresolved(env.store, root)).toEqual(['main.js#go:2 dup (ambiguous)', 'main.js#go:4 thing.dup (dynamic)']);
  });

  it('records unresolved call sites with their reason', async () => {
    const root = await index('unresolved');
    expect(edges(env.store, root, 'CALLS')).toEqual(['src/main.ts#main:10 -> src/main.ts#getFn (same-file)']);
    expect(unresolved(env.store, root)).toEqual([
      'src/main.ts#main:10 (getFn()) (dynamic)',
      'src/main.ts#main:11 console.log (external)',
      'src/main.ts#main:6 readFileSync (external)',
      'src/main.ts#main:7 lodash.map (external)',
      'src/main.ts#main:8 cb (dynamic)',
      'src/main.ts#main:9 gone (not-found)',
    ]);
  });
});

describe('syntax the grammar lacks', () => {
  it('repairs variance/const modifiers, line-start generic signatures and `+?` so the file still yields its declarations', async () => {
    const root = await index('grammar');
    expect(edges(env.store, root, 'CALLS').sort(byLine)).toEqual([
      'src/fn.ts#Holder.get:26 -> src/fn.ts#identity (same-file)',
      'src/use.ts#run:6 -> src/fn.ts#Holder (import)',
      'src/use.ts#run:6 -> src/fn.ts#tuple (import)',
      'src/use.ts#run:7 -> src/fn.ts#Holder.get (type-annotation)',
      'src/use.ts#twice:3 -> src/fn.ts#dual (import)',
    ]);
    const q = nodes(env.store, root).map((n) => n.qname);
    expect(q).toEqual(expect.arrayContaining(['src/fn.ts#Box', 'src/fn.ts#Partial2', 'src/fn.ts#dual', 'src/fn.ts#tuple', 'src/fn.ts#Holder.get', 'src/fn.ts#note']));
    const errs = env.store.db.prepare(`SELECT path, parse_errors FROM files WHERE snapshot = ? ORDER BY path`).all(liveSnapshotOf(env.store, root));
    expect(errs).toEqual([
      { path: 'src/fn.ts', parse_errors: 0 },
      { path: 'src/use.ts', parse_errors: 0 },
    ]);
  });
});

describe('parameters of function literals passed as arguments', () => {
  it('take the parameter types the callee declares (functions and constructors), nothing else', async () => {
    const root = await index('callbacks');
    expect(edges(env.store, root, 'CALLS').sort(byLine)).toEqual([
      'src/lib.ts#operate:10 -> src/lib.ts#Source (same-file)',
      'src/lib.ts#operate:10 -> src/lib.ts#Subscriber (same-file)',
      'src/main.ts#run:5 -> src/lib.ts#operate (import)',
      'src/main.ts#run:6 -> src/lib.ts#Source.subscribe (callback-param)',
      'src/main.ts#run:7 -> src/lib.ts#Subscriber.next (callback-param)',
      'src/main.ts#run:9 -> src/lib.ts#operate (import)',
      'src/main.ts#run:10 -> src/lib.ts#Source.subscribe (callback-param)',
      'src/main.ts#run:12 -> src/lib.ts#Stream (import)',
      'src/main.ts#run:12 -> src/lib.ts#Subscriber.next (callback-param)',
      'src/main.ts#run:14 -> src/lib.ts#generic (import)',
      'src/main.ts#run:16 -> src/lib.ts#Subscriber.next (type-annotation)',
      'src/main.ts#run:16 -> src/lib.ts#operate (import)',
      'src/main.ts#run:17 -> src/lib.ts#operate (import)',
      'src/main.ts#run:19 -> src/main.ts#run.inner (same-file)',
    ]);
    expect(unresolved(env.store, root)).toEqual(expect.arrayContaining([
      'src/main.ts#run:14 value.next (external)',
      'src/main.ts#run:15 subscriber.next (dynamic)',
      'src/main.ts#run.inner:18 (source as Source).subscribe (dynamic)',
    ]));
  });
});

describe('declaration merging and classes held by consts', () => {
  it('a type name shared by a namespace and an interface means the interface; super() of a const is not bound', async () => {
    const root = await index('merged');
    expect(edges(env.store, root, 'CALLS').sort(byLine)).toEqual([
      'src/main.ts#use:5 -> src/types.ts#Differ.patch (type-annotation)',
    ]);
    expect(unresolved(env.store, root)).toEqual(expect.arrayContaining(['src/main.ts#MyError.constructor:10 super (dynamic)']));
  });
});
