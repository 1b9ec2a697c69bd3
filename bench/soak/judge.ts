/**
 * The soak's verdict: from what a run recorded (every call, every sample, the kills and stops, the final
 * graph and database checks) to the report — calls by outcome and tool, recovery times, memory slopes, fd
 * drift, WAL, event-loop delay, the daemon census — and one PASS/FAIL line per criterion of issue 6.
 * Pure: the same record always gives the same report (test/soak/ judges hand-made records).
 */
import type { GraphDiff } from './graph-diff.js';
import type { SoakOptions } from './options.js';
import type { Sample } from './sample.js';
import { firstAfterEachTrim, largest, maxOf, mib, minOf, pct, pooledSlope, round1, round3OrNull, settledSamples, smallest } from './statistics.js';

export interface CallRecord {
  tool: string;
  session: number | 'cli';
  /** ms since the soak began, like every time in a RunRecord except samples' (since the chaos began). */
  start: number;
  end: number;
  readOnly: boolean;
  outcome: 'ok' | 'answer-error' | 'failed' | 'excused';
  code?: string;
  message?: string;
}

export type LogCounts = { errors: Array<{ message: string; count: number }>; warnings: Array<{ message: string; count: number }> };

/** Everything a run recorded that the verdict rests on. */
export interface RunRecord {
  options: SoakOptions;
  digest: string;
  corpus: { root: string; files: number };
  /** The two projects that must never be lost: the corpus and a small second one. */
  projects: [string, string];
  chaosStart: number;
  durationSec: number;
  calls: CallRecord[];
  samples: Sample[];
  kills: Array<{ at: number; pid: number }>;
  stops: Array<{ at: number; ms: number; code: number }>;
  /** Spans in which a write may fail without blame: a kill or a stop happened. */
  disruptions: Array<{ from: number; to: number }>;
  events: Record<string, number>;
  /** Projects missing from a session's list or the database at the end. */
  lost: string[];
  integrity: string;
  graph: GraphDiff;
  /** Size of the reference database after its one full index: one checkpoint's worth of WAL. */
  refBytes: number;
  /** The daemon's journal_size_limit. */
  walLimitBytes: number;
  logs: LogCounts;
}


export interface Check {
  name: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  detail: string;
}

export interface SoakReport {
  seed: number;
  digest: string;
  options: SoakOptions;
  corpus: { root: string; files: number };
  durationSec: number;
  calls: { total: number; ok: number; answerErrors: number; failed: number; excused: number; perSecond: number };
  failures: Array<{ message: string; count: number }>;
  excused: Array<{ message: string; count: number }>;
  latency: Array<{ tool: string; calls: number; p50: number; p99: number; max: number }>;
  kills: Array<{ atSec: number; pid: number; recoveryMs: number | null; inflight: number }>;
  stops: Array<{ atSec: number; recoveryMs: number | null; stopMs: number; code: number }>;
  events: Record<string, number>;
  rss: {
    /** Judged: over the settled baseline of the last lifetime (settledSamples). */
    slopeMbPerMin: number | null;
    slopeSe: number | null;
    /** Over every sample of the last lifetime after its warm-up, transient peaks included (informative). */
    allSamplesSlopeMbPerMin: number | null;
    allSamplesSlopeSe: number | null;
    /** Over the first settled sample after each trim (firstAfterEachTrim; informative). */
    restingSlopeMbPerMin: number | null;
    restingSlopeSe: number | null;
    restingSamples: number;
    tailSamples: number;
    anonSlopeMbPerMin: number | null;
    fileSlopeMbPerMin: number | null;
    anonMax: number | null;
    fileMax: number | null;
    spanSec: number;
    pooledSlopeMbPerMin: number | null;
    min: number | null;
    max: number | null;
    /** Settled samples the judged slope used. */
    samplesUsed: number;
    /** How fast the graph grew over the same samples (symbols/min): a growing corpus is not a leak, but holds more. */
    symbolsPerMin: number | null;
  };
  heap: { slopeMbPerMin: number | null; max: number | null };
  /** The daemons' malloc trims the samples saw, and the pauses of the collections before them (ms). */
  trims: { count: number; gcMsMedian: number | null; gcMsMax: number | null };
  /**
   * Slopes (MB/min, same tail) of the committed V8 heaps by thread, of the anonymous memory outside them, and
   * of what malloc holds there: in use (memory kept) and free (freed, resident until a trim or reused).
   */
  anonParts: { mainHeap: number | null; parseHeap: number | null; resolveHeap: number | null; readHeap: number | null; outsideHeaps: number | null; mallocInUse: number | null; mallocFree: number | null };
  fds: { drift: number | null; nonSocketMin: number | null; nonSocketMax: number | null; loopsMax: number | null; maxSocketsPerSession: number | null };
  wal: { maxBytes: number; limitBytes: number; allowanceBytes: number; maxDbBytes: number };
  eventLoop: { maxP99Ms: number | null; maxMs: number | null; worstWindowAtSec: number | null };
  daemonCensus: { samples: number; zeroTransient: number; zeroBad: number; multiple: number };
  graph: { nodes: number; edges: number; referenceNodes: number; referenceEdges: number; missing: string[]; extra: string[] };
  integrity: string;
  lostProjects: string[];
  /** ERROR and WARN lines of daemon.log and shim.log, grouped by message. */
  logs: LogCounts;
  checks: Check[];
  samples: Sample[];
}

export function judge(x: RunRecord): SoakReport {
  const warm = x.options.warmupSec * 1000;
  const lifetimes = lifetimesOf(x.samples, warm);
  const calls = callSummary(x.calls, x.durationSec);
  const { kills, stops } = recoveries(x);
  const memory = memoryOf(x.samples, lifetimes);
  const fds = fdsOf(lifetimes);
  const loop = eventLoopOf(x.samples, warm);
  const census = censusOf(x);
  const sampleLost = new Set<string>();
  for (const s of x.samples) if (s.projects) for (const p of x.projects) if (!s.projects.includes(p)) sampleLost.add(p);
  const lostProjects = [...new Set([...x.lost, ...sampleLost])];
  const limit = x.walLimitBytes;
  // One checkpoint's worth: what the biggest write batch (a full index) writes, measured as the size of the
  // reference database after its one full index.
  const wal = { maxBytes: largest(x.samples.map((s) => s.walBytes)) ?? 0, limitBytes: limit, allowanceBytes: limit + x.refBytes, maxDbBytes: largest(x.samples.map((s) => s.dbBytes)) ?? 0 };

  const checks: Check[] = [];
  const check = (name: string, pass: boolean | null, detail: string) => checks.push({ name, status: pass === null ? 'SKIP' : pass ? 'PASS' : 'FAIL', detail });
  const failedReads = calls.failedCalls.filter((c) => c.readOnly);
  const failedWrites = calls.failedCalls.filter((c) => !c.readOnly);
  check('no failed read calls', failedReads.length === 0, `${failedReads.length} failed of ${x.calls.filter((c) => c.readOnly).length} reads`);
  check('no failed write calls outside a daemon kill/stop', failedWrites.length === 0, `${failedWrites.length} failed, ${calls.excusedCalls.length} excused (killed/stopped under them, or their session was ended)`);
  check('no lost projects', lostProjects.length === 0, lostProjects.length ? `lost: ${lostProjects.join(', ')}` : `both projects present in every sample, every session and the database`);
  check('integrity_check ok', x.integrity === 'ok', x.integrity);
  check('no ERROR lines in the logs', x.logs.errors.length === 0, x.logs.errors.length ? x.logs.errors.slice(0, 3).map((e) => `${e.count}× ${e.message}`).join(' | ') : 'daemon.log and shim.log have none');
  check(
    'final graph equals a from-scratch index',
    x.graph.missing.length === 0 && x.graph.extra.length === 0,
    `${x.graph.nodes} nodes/${x.graph.edges} edges vs ${x.graph.referenceNodes}/${x.graph.referenceEdges}; ${x.graph.missing.length} missing, ${x.graph.extra.length} extra`,
  );
  check('exactly one daemon at every sample', census.multiple === 0 && census.zeroBad === 0, `${census.samples} samples: ${census.multiple} with >1, ${census.zeroBad} with 0 outside a kill/stop, ${census.zeroTransient} with 0 right after one`);
  check(
    'recovery after each daemon kill < 3 s',
    kills.length === 0 ? null : kills.every((k) => k.recoveryMs !== null && k.recoveryMs < 3000),
    kills.length ? kills.map((k) => `${k.recoveryMs ?? '∞'} ms`).join(', ') : 'no kill happened',
  );
  const { rss, judged } = memory;
  check(
    'RSS slope < 1 MB/min after warm-up',
    !x.options.slope || judged.slope === null ? null : judged.slope < 1,
    judged.slope === null
      ? 'not enough settled samples in the last daemon lifetime after its warm-up'
      : `${judged.slope.toFixed(2)} ± ${judged.se!.toFixed(2)} MB/min at the settled baseline of the last daemon lifetime (${judged.n} of ${rss.tailSamples} samples, ${rss.spanSec} s; all samples ${rss.allSamplesSlopeMbPerMin?.toFixed(2) ?? 'n/a'})${x.options.slope ? '' : ' (not judged: --no-slope)'}`,
  );
  check('fd drift ≤ 5 after warm-up', fds.drift === null ? null : fds.drift <= 5, fds.drift === null ? 'not enough steady samples' : `${fds.drift} (fds other than sockets and thread event loops, per daemon lifetime, floor of the last third minus floor of the first)`);
  check('WAL ≤ journal_size_limit + one checkpoint', wal.maxBytes <= wal.allowanceBytes, `max ${mib(wal.maxBytes)} ≤ ${mib(limit)} + ${mib(x.refBytes)} (a full index's writes)`);
  check(
    'event-loop delay p99 < 50 ms after warm-up',
    loop.maxP99Ms === null ? null : loop.maxP99Ms < 50,
    loop.maxP99Ms === null ? 'no steady samples' : `worst window p99 ${loop.maxP99Ms} ms at ${loop.worstWindowAtSec} s (max ${loop.steadyMaxMs} ms)`,
  );

  return {
    seed: x.options.seed,
    digest: x.digest,
    options: x.options,
    corpus: x.corpus,
    durationSec: round1(x.durationSec),
    calls: calls.counts,
    failures: byMessage(calls.failedCalls),
    excused: byMessage(calls.excusedCalls),
    latency: calls.latency,
    kills,
    stops,
    events: x.events,
    rss,
    heap: memory.heap,
    trims: trimsOf(x.samples),
    anonParts: memory.anonParts,
    fds,
    wal,
    eventLoop: { maxP99Ms: loop.maxP99Ms, maxMs: loop.maxMs, worstWindowAtSec: loop.worstWindowAtSec },
    daemonCensus: census,
    graph: x.graph,
    integrity: x.integrity,
    lostProjects,
    logs: x.logs,
    checks,
    samples: x.samples,
  };
}

function callSummary(calls: CallRecord[], durationSec: number) {
  const failedCalls = calls.filter((c) => c.outcome === 'failed');
  const excusedCalls = calls.filter((c) => c.outcome === 'excused');
  const byTool = new Map<string, number[]>();
  for (const c of calls) {
    const key = c.session === 'cli' ? 'cli:index' : c.tool;
    if (!byTool.has(key)) byTool.set(key, []);
    byTool.get(key)!.push(c.end - c.start);
  }
  const latency = [...byTool.entries()]
    .map(([tool, ms]) => ({ tool, calls: ms.length, p50: pct(ms, 50), p99: pct(ms, 99), max: largest(ms)! }))
    .sort((a, b) => a.tool.localeCompare(b.tool));
  const counts = {
    total: calls.length,
    ok: calls.filter((c) => c.outcome === 'ok').length,
    answerErrors: calls.filter((c) => c.outcome === 'answer-error').length,
    failed: failedCalls.length,
    excused: excusedCalls.length,
    perSecond: round1(calls.length / Math.max(1, durationSec)),
  };
  return { counts, failedCalls, excusedCalls, latency };
}

/** Calls grouped by tool and message (numbers masked, so one failure mode is one line). */
function byMessage(cs: CallRecord[]): Array<{ message: string; count: number }> {
  const m = new Map<string, number>();
  for (const c of cs) {
    const key = `${c.tool}${c.readOnly ? '' : ' (write)'}: ${(c.message ?? c.code ?? '?').replace(/\d{3,}/g, 'N')}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([message, count]) => ({ message, count }));
}

/** Recovery: from a kill (or a stop's end) to the end of the first successful session call started after it. */
function recoveries(x: RunRecord): Pick<SoakReport, 'kills' | 'stops'> {
  const recovery = (at: number) => {
    const first = smallest(x.calls.filter((c) => c.start >= at && (c.outcome === 'ok' || c.outcome === 'answer-error') && c.session !== 'cli').map((c) => c.end));
    return first === null ? null : Math.round(first - at);
  };
  return {
    kills: x.kills.map((k) => ({
      atSec: round1((k.at - x.chaosStart) / 1000),
      pid: k.pid,
      recoveryMs: recovery(k.at),
      inflight: x.calls.filter((c) => c.start < k.at && c.end > k.at).length,
    })),
    stops: x.stops.map((s) => ({ atSec: round1((s.at - x.chaosStart) / 1000), recoveryMs: recovery(s.at + s.ms), stopMs: Math.round(s.ms), code: s.code })),
  };
}

interface Lifetimes {
  /** Samples after the run's warm-up, each in a daemon at least min(warm-up, 30 s) old. */
  steady: Sample[];
  /** The steady samples by daemon pid: one segment per lifetime. */
  segments: Sample[][];
  /** The last daemon lifetime after its own full warm-up: where the slope is judged. */
  tail: Sample[];
}

/**
 * Criteria are computed over samples after the warm-up, per daemon lifetime: each restarted daemon fills its
 * caches and starts parser threads for a while, which is not a leak.
 */
function lifetimesOf(samples: Sample[], warm: number): Lifetimes {
  const firstSeen = new Map<number, number>();
  for (const s of samples) if (s.pid !== null && !firstSeen.has(s.pid)) firstSeen.set(s.pid, s.t);
  const age = (s: Sample) => s.t - (firstSeen.get(s.pid!) ?? 0);
  const steady = samples.filter((s) => s.pid !== null && s.t >= warm && age(s) >= Math.min(warm, 30_000));
  const segments = new Map<number, Sample[]>();
  for (const s of steady) {
    if (!segments.has(s.pid!)) segments.set(s.pid!, []);
    segments.get(s.pid!)!.push(s);
  }
  const lastPid = [...samples].reverse().find((s) => s.pid !== null)?.pid ?? null;
  const tail = samples.filter((s) => s.pid !== null && s.pid === lastPid && s.t >= warm && age(s) >= warm);
  return { steady, segments: [...segments.values()], tail };
}

/**
 * The slope is judged on the settled baseline of the last lifetime (see settledSamples): where a sample
 * falls in a full index's transient peak swung the all-samples slope by ±10 MB/min from run to run. Both are
 * reported, with the pooled slope over every lifetime and the slopes of RSS's parts.
 */
function memoryOf(samples: Sample[], { segments, tail }: Lifetimes): Pick<SoakReport, 'rss' | 'heap' | 'anonParts'> & { judged: ReturnType<typeof pooledSlope> } {
  const baseline = settledSamples(tail);
  const slopeOf = (y: (s: Sample) => number | null, over = baseline) => pooledSlope([over], y);
  const part = (y: (s: Sample) => number | null) => round3OrNull(slopeOf(y).slope);
  const rssSlope = slopeOf((s) => s.rssMb);
  const all = slopeOf((s) => s.rssMb, tail);
  const resting = slopeOf((s) => s.rssMb, firstAfterEachTrim(baseline));
  const outsideHeaps = (s: Sample) =>
    s.rssAnonMb === null || s.mainHeapTotalMb === null || s.parseHeapTotalMb === null || s.resolveHeapTotalMb === null || s.readHeapTotalMb === null
      ? null
      : s.rssAnonMb - s.mainHeapTotalMb - s.parseHeapTotalMb - s.resolveHeapTotalMb - s.readHeapTotalMb;
  return {
    judged: rssSlope,
    rss: {
      slopeMbPerMin: round3OrNull(rssSlope.slope),
      slopeSe: round3OrNull(rssSlope.se),
      allSamplesSlopeMbPerMin: round3OrNull(all.slope),
      allSamplesSlopeSe: round3OrNull(all.se),
      restingSlopeMbPerMin: round3OrNull(resting.slope),
      restingSlopeSe: round3OrNull(resting.se),
      restingSamples: resting.n,
      tailSamples: tail.length,
      anonSlopeMbPerMin: part((s) => s.rssAnonMb),
      fileSlopeMbPerMin: part((s) => s.rssFileMb),
      anonMax: maxOf(samples.map((s) => s.rssAnonMb)),
      fileMax: maxOf(samples.map((s) => s.rssFileMb)),
      spanSec: tail.length ? round1((tail[tail.length - 1]!.t - tail[0]!.t) / 1000) : 0,
      pooledSlopeMbPerMin: round3OrNull(pooledSlope(segments, (s) => s.rssMb).slope),
      min: minOf(samples.map((s) => s.rssMb)),
      max: maxOf(samples.map((s) => s.rssMb)),
      samplesUsed: rssSlope.n,
      symbolsPerMin: part((s) => s.symbols),
    },
    heap: { slopeMbPerMin: part((s) => s.heapMb), max: maxOf(samples.map((s) => s.heapMb)) },
    anonParts: {
      mainHeap: part((s) => s.mainHeapTotalMb),
      parseHeap: part((s) => s.parseHeapTotalMb),
      resolveHeap: part((s) => s.resolveHeapTotalMb),
      readHeap: part((s) => s.readHeapTotalMb),
      outsideHeaps: part(outsideHeaps),
      mallocInUse: part((s) => s.mallocInUseMb),
      mallocFree: part((s) => s.mallocFreeMb),
    },
  };
}

/** Each trim once, as the first sample of its daemon to count it shows it. */
function trimsOf(samples: Sample[]): SoakReport['trims'] {
  const seen = new Map<string, number | null>();
  for (const s of samples) {
    if (s.pid === null || !s.trims) continue;
    const key = `${s.pid}:${s.trims}`;
    if (!seen.has(key)) seen.set(key, s.trimGcMs);
  }
  const pauses = [...seen.values()].filter((ms): ms is number => ms !== null);
  return { count: seen.size, gcMsMedian: pauses.length ? pct(pauses, 50) : null, gcMsMax: maxOf(pauses) };
}

/**
 * fds that are neither sockets (one hold + pooled connections per session, which come and go with the
 * sessions) nor a thread's event loop (4 each, the pool starts threads lazily): files, pipes, watchers.
 */
function fdsOf({ steady, segments }: Lifetimes): SoakReport['fds'] {
  const ownFds = (s: Sample) => (s.fds === null || s.sockets === null || s.loops === null ? null : s.fds - s.sockets - 4 * s.loops);
  let drift: number | null = null;
  for (const seg of segments) {
    // The floor, not single samples: a scan's open directories or a file being read are there for a moment;
    // a leaked fd raises the minimum for good. First third's minimum vs last third's.
    const ns = seg.map(ownFds).filter((v): v is number => v !== null);
    if (ns.length < 3) continue;
    const k = Math.max(1, Math.floor(ns.length / 3));
    drift = Math.max(drift ?? -Infinity, smallest(ns.slice(-k))! - smallest(ns.slice(0, k))!);
  }
  const nonSocket = steady.map(ownFds).filter((v): v is number => v !== null);
  const loopCounts = steady.map((s) => s.loops).filter((v): v is number => v !== null);
  const perSession = steady.filter((s) => s.sockets !== null && s.sessions).map((s) => s.sockets! / s.sessions!);
  return {
    drift,
    nonSocketMin: smallest(nonSocket),
    nonSocketMax: largest(nonSocket),
    loopsMax: largest(loopCounts),
    maxSocketsPerSession: maxOf(perSession),
  };
}

/**
 * The loop is judged on every sample after the run's warm-up, restarted daemons included (their catch-up
 * index runs while sessions wait): the worst window's p99.
 */
function eventLoopOf(samples: Sample[], warm: number) {
  const steady = samples.filter((s) => s.t >= warm && s.loop && s.loop.windowMs > 0);
  const worst = steady.reduce<Sample | null>((w, s) => (!w || s.loop!.p99Ms > w.loop!.p99Ms ? s : w), null);
  const all = samples.filter((s) => s.loop);
  return {
    maxP99Ms: worst?.loop?.p99Ms ?? null,
    worstWindowAtSec: worst ? round1(worst.t / 1000) : null,
    steadyMaxMs: largest(steady.map((s) => s.loop!.maxMs)),
    maxMs: largest(all.map((s) => s.loop!.maxMs)),
  };
}

/** Daemons per sample; none is fine within 10 s after a kill or a stop (until a session's next call respawns it). */
function censusOf(x: RunRecord): SoakReport['daemonCensus'] {
  const disruptedAt = (t: number) => {
    const at = t + x.chaosStart;
    return [...x.kills.map((k) => k.at), ...x.stops.map((s) => s.at)].some((d) => at >= d && at - d <= 10_000) || x.disruptions.some((d) => at >= d.from && at <= d.to);
  };
  const census = { samples: x.samples.length, zeroTransient: 0, zeroBad: 0, multiple: 0 };
  for (const s of x.samples) {
    if (s.daemons > 1) census.multiple++;
    else if (s.daemons === 0) disruptedAt(s.t) ? census.zeroTransient++ : census.zeroBad++;
  }
  return census;
}
