/**
 * The accuracy checker is itself tested: on a tiny fixture with known calls, the compiler-side truth must
 * be exactly the edges listed here (callers, call lines, every acceptable target), no more, no fewer.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractTruth } from '../../bench/accuracy/truth.js';
import { compare } from '../../bench/accuracy/compare.js';
import type { CodehiveEdge } from '../../bench/accuracy/codehive.js';

const root = fileURLToPath(new URL('../fixtures/accuracy', import.meta.url));

describe('accuracy checker: compiler truth', () => {
  const truth = extractTruth(root);

  it('finds exactly the known edges', () => {
    const got = truth.edges
      .map(
        (e) =>
          `${e.file}:${e.line} ${e.caller.kind} ${e.caller.name}@${e.caller.lines.join('/')} ${e.callee} -> ` +
          e.targets.map((t) => `${t.file}:${t.lines.join('/')} ${t.kind} ${t.name}`).join(' | '),
      )
      .sort();
    expect(got).toEqual(
      [
        'src/math.ts:8 function twice@7 add -> src/math.ts:1 function add',
        'src/math.ts:11 function square@11 mul -> src/math.ts:13 function mul',
        'src/shapes.ts:9 method describe@8 this.area -> src/shapes.ts:5 method area',
        // super(): the base class or its constructor.
        'src/shapes.ts:15 constructor constructor@14 super -> src/shapes.ts:3 class Shape | src/shapes.ts:4 constructor constructor',
        'src/shapes.ts:18 method area@17 add -> src/math.ts:1 function add',
        // CommonJS destructured require resolves through the checker's JS support.
        'src/legacy.js:4 function sum@3 add -> src/math.ts:1 function add',
        // Renamed re-export (Box = Square) followed to the class; class or constructor both count.
        'src/main.ts:6 function run@5 Box -> src/shapes.ts:13 class Square | src/shapes.ts:14 constructor constructor',
        // Calls inside anonymous callbacks belong to the enclosing named function; overloads → implementation first.
        'src/main.ts:7 function run@5 math.twice -> src/math.ts:7 function twice | src/math.ts:5 function twice | src/math.ts:6 function twice',
        'src/main.ts:7 function run@5 math.add -> src/math.ts:1 function add',
        // Inherited method resolves to the declaring class.
        'src/main.ts:8 function run@5 s.describe -> src/shapes.ts:8 method describe',
        'src/main.ts:10 function run@5 Point -> src/shapes.ts:22 class Point',
        // A local arrow bound to a name is a function target.
        'src/main.ts:11 function run@5 local -> src/main.ts:9 function local',
        'src/main.ts:11 function run@5 math.square -> src/math.ts:11 function square',
        'src/main.ts:11 function run@5 s.area -> src/shapes.ts:17 method area',
        'src/main.ts:16 static block static@15 run -> src/main.ts:5 function run',
        'src/main.ts:19 method go@18 shape.area -> src/shapes.ts:5 method area',
        // f.call(this) runs f.
        'src/main.ts:19 method go@18 helper.call -> src/main.ts:23 function helper',
        'src/main.ts:27 file <file>@1 run -> src/main.ts:5 function run',
      ].sort(),
    );
  });

  it('keeps library calls, parameter calls and untyped calls out of the truth, and says so', () => {
    expect(truth.counts.external).toBe(3); // [].map, .reduce, console.log
    expect(truth.counts.excluded).toEqual({ 'excluded:parameter': 1 }); // cb(n)
    expect(truth.counts.unresolved).toBe(2); // require(), list.reduce on an untyped parameter
    expect(truth.sites.get('src/main.ts:9')).toEqual(['excluded']);
  });

  it('scores a graph against the truth: hits, a wrong target, a library call, an unverifiable call', () => {
    const end = (file: string, line: number, kind: string, qname: string) => ({ file, line, kind, qname });
    const edge = (line: number, target: ReturnType<typeof end>, file = 'src/main.ts'): CodehiveEdge => ({
      file,
      line,
      strategy: 'test',
      confidence: 1,
      caller: end(file, 5, 'Function', `${file}#run`),
      target,
    });
    const edges: CodehiveEdge[] = [
      edge(6, end('src/shapes.ts', 14, 'Method', 'src/shapes.ts#Square.constructor')), // new Box → ctor: hit
      edge(6, end('src/shapes.ts', 13, 'Class', 'src/shapes.ts#Square')), // and the class: hit as well
      edge(7, end('src/math.ts', 5, 'Function', 'src/math.ts#twice')), // an overload signature: hit
      edge(8, end('src/shapes.ts', 5, 'Method', 'src/shapes.ts#Shape.area')), // wrong target
      edge(9, end('src/math.ts', 1, 'Function', 'src/math.ts#add')), // cb(n) bound by name: false positive
      edge(4, end('src/shapes.ts', 5, 'Method', 'src/shapes.ts#Shape.area'), 'src/legacy.js'), // list.reduce: unverifiable
    ];
    const r = compare(truth, edges, []);
    expect(r.tp).toBe(3);
    expect(r.fp).toBe(2);
    expect(r.unverifiable).toBe(1);
    expect(r.fn).toBe(truth.edges.length - 2);
    expect(r.recall).toBeCloseTo(2 / truth.edges.length);
  });
});
