/**
 * Compares codehive's CALLS edges with the compiler's.
 *
 * Match key: (call file, call line, target file, target line), where the truth side offers a *set* of lines
 * for the call (its start and the callee name's line) and for each acceptable target (declaration start,
 * name, statement, initializer, after decorators; class or constructor for `new`; other overloads). The
 * caller is deliberately not part of the key: a call site lies in exactly one function, so file + line
 * already pins it, and where codehive attributes a call to a different enclosing symbol than the compiler
 * walk does (a granularity choice, not a wrong edge) it is reported separately as a caller mismatch.
 *
 * Both sides are sets: several calls of one target on one line are one edge. A codehive edge is
 * - a true positive when it matches a truth edge (two codehive edges may match one truth edge, e.g. class
 *   and constructor of one `new`; both count as correct, the truth edge is found once);
 * - unverifiable when it matches nothing and the compiler could not resolve some call on that line (any,
 *   untyped JS): left out of precision and counted (conservative: on a line mixing a resolved and an
 *   unresolvable call, a wrong edge can hide here, so the count is printed);
 * - otherwise a false positive, categorised by what the compiler says about that line.
 */
import type { CodehiveEdge, CodehiveUnresolved } from './codehive.js';
import type { TruthEdge, TruthNode, TruthResult } from './truth.js';

export interface Sample {
  category: string;
  text: string;
}

export interface Bucket {
  count: number;
  samples: string[];
}

export interface StrategyStats {
  edges: number;
  tp: number;
  fp: number;
  unverifiable: number;
}

export interface AccuracyReport {
  truthEdges: number;
  codehiveEdges: number;
  tp: number;
  fp: number;
  fn: number;
  unverifiable: number;
  precision: number;
  recall: number;
  byStrategy: Record<string, StrategyStats>;
  fpCategories: Record<string, Bucket>;
  fnCategories: Record<string, Bucket>;
  callerMismatch: Bucket;
}

const SAMPLES_PER_BUCKET = 4;

function add(map: Record<string, Bucket>, category: string, text: string): void {
  const b = (map[category] ??= { count: 0, samples: [] });
  b.count++;
  if (b.samples.length < SAMPLES_PER_BUCKET) b.samples.push(text);
}

function calleeShape(callee: string, isNew: boolean): string {
  if (isNew) return callee === 'super' ? 'super()' : 'new X()';
  if (/^this\./.test(callee)) return 'this.m()';
  if (/^super\./.test(callee)) return 'super.m()';
  if (/^[A-Za-z_$][\w$]*$/.test(callee)) return 'f()';
  return 'x.m()';
}

function fmtTruth(t: TruthEdge): string {
  const tg = t.targets[0]!;
  return `${t.file}:${t.line} ${t.callee}(…) in ${t.caller.name} → ${tg.file}:${tg.lines.join('/')} ${tg.kind} ${tg.name}`;
}

function fmtEdge(e: CodehiveEdge): string {
  return `${e.file}:${e.line} [${e.strategy}] ${e.caller.qname} → ${e.target.qname} (${e.target.kind} @${e.target.file}:${e.target.line})`;
}

export function compare(truth: TruthResult, edgesIn: CodehiveEdge[], unresolved: CodehiveUnresolved[]): AccuracyReport {
  // Dedupe codehive edges by the same key the truth side uses.
  const edges: CodehiveEdge[] = [];
  const seenEdge = new Set<string>();
  for (const e of edgesIn) {
    const k = `${e.file}:${e.line}>${e.target.file}:${e.target.line}`;
    if (!seenEdge.has(k)) {
      seenEdge.add(k);
      edges.push(e);
    }
  }

  const truthByLine = new Map<string, TruthEdge[]>();
  for (const t of truth.edges) {
    for (const l of t.lines) {
      const k = `${t.file}:${l}`;
      const list = truthByLine.get(k) ?? [];
      list.push(t);
      truthByLine.set(k, list);
    }
  }
  const edgesByLine = new Map<string, CodehiveEdge[]>();
  for (const e of edges) {
    const k = `${e.file}:${e.line}`;
    const list = edgesByLine.get(k) ?? [];
    list.push(e);
    edgesByLine.set(k, list);
  }
  const unresolvedByLine = new Map<string, CodehiveUnresolved[]>();
  for (const u of unresolved) {
    const k = `${u.file}:${u.line}`;
    const list = unresolvedByLine.get(k) ?? [];
    list.push(u);
    unresolvedByLine.set(k, list);
  }

  const found = new Set<TruthEdge>();
  const report: AccuracyReport = {
    truthEdges: truth.edges.length,
    codehiveEdges: edges.length,
    tp: 0,
    fp: 0,
    fn: 0,
    unverifiable: 0,
    precision: 0,
    recall: 0,
    byStrategy: {},
    fpCategories: {},
    fnCategories: {},
    callerMismatch: { count: 0, samples: [] },
  };

  for (const e of edges) {
    const st = (report.byStrategy[e.strategy] ??= { edges: 0, tp: 0, fp: 0, unverifiable: 0 });
    st.edges++;
    const candidates = truthByLine.get(`${e.file}:${e.line}`) ?? [];
    const hit = candidates.find((t) => t.targets.some((g) => g.file === e.target.file && g.lines.includes(e.target.line)));
    if (hit) {
      report.tp++;
      st.tp++;
      found.add(hit);
      const c = hit.caller;
      const same = (n: TruthNode) =>
        n.kind === 'file' ? e.caller.kind === 'File' : e.caller.kind !== 'File' && e.caller.file === n.file && n.lines.includes(e.caller.line);
      const callerOk = same(c) || (c.alts ?? []).some(same);
      if (!callerOk) {
        report.callerMismatch.count++;
        if (report.callerMismatch.samples.length < SAMPLES_PER_BUCKET) {
          report.callerMismatch.samples.push(`${fmtEdge(e)}; compiler's caller: ${c.kind} ${c.name} @${c.file}:${c.lines.join('/')}`);
        }
      }
      continue;
    }
    const outcomes = truth.sites.get(`${e.file}:${e.line}`) ?? [];
    let category: string;
    if (outcomes.includes('unresolved')) {
      // The compiler could not resolve some call on this line: this edge may be that call, rightly bound.
      report.unverifiable++;
      st.unverifiable++;
      continue;
    }
    if (candidates.length > 0) category = 'wrong target (compiler resolves this line elsewhere in the project)';
    else if (outcomes.includes('external')) category = 'bound a library/global call (compiler: outside the project)';
    else if (outcomes.includes('excluded')) category = 'bound a call through a parameter/local/property value';
    else if (outcomes.includes('corpus')) category = 'wrong target (compiler resolves this line elsewhere in the project)';
    else category = 'no call expression starts on this line (compiler)';
    report.fp++;
    st.fp++;
    const why = candidates.length > 0 ? `; compiler: ${candidates.map((t) => fmtTruth(t)).join(' | ')}` : '';
    add(report.fpCategories, `${category} [${e.strategy}]`, fmtEdge(e) + why);
  }

  for (const t of truth.edges) {
    if (found.has(t)) continue;
    report.fn++;
    const here = t.lines.flatMap((l) => edgesByLine.get(`${t.file}:${l}`) ?? []);
    const unres = t.lines.flatMap((l) => unresolvedByLine.get(`${t.file}:${l}`) ?? []);
    let status: string;
    if (here.length > 0) status = 'codehive bound another call on this line, or this one elsewhere';
    else if (unres.length > 0) status = `codehive: unresolved (${[...new Set(unres.map((u) => u.reason))].join(', ')})`;
    else status = 'codehive recorded no call on this line';
    const shape = calleeShape(t.callee, t.isNew);
    add(report.fnCategories, `${shape} → ${t.targets[0]!.kind}; ${status}`, fmtTruth(t) + (here.length ? `; codehive: ${here.map((e) => e.target.qname).join(', ')}` : ''));
  }

  const judged = report.tp + report.fp;
  report.precision = judged === 0 ? NaN : report.tp / judged;
  report.recall = report.truthEdges === 0 ? NaN : found.size / report.truthEdges;
  return report;
}
