/**
 * The soak's judge on hand-made run records: a clean run passes every criterion, and each way a run can go
 * wrong fails exactly the criterion meant to catch it. The short soak in `npm test` only ever sees passing
 * runs; this is where the FAIL side of every criterion is exercised.
 */
import { describe, expect, test } from 'vitest';
import { judge, type CallRecord, type RunRecord } from '../../bench/soak/judge.js';
import { DEFAULTS } from '../../bench/soak/options.js';
import type { Sample } from '../../bench/soak/sample.js';

const ROOT = '/tmp/corpus';
const SECOND = '/tmp/second';
/** The soak began 10 s before the chaos; samples count from the chaos, everything else from the soak. */
const CHAOS = 10_000;

function sample(t: number, over: Partial<Sample> = {}): Sample {
  return {
    t,
    daemons: 1,
    pid: 100,
    rssMb: 250,
    rssAnonMb: 200,
    rssFileMb: 50,
    heapMb: 50,
    mainHeapTotalMb: 70,
    parseHeapTotalMb: 10,
    resolveHeapTotalMb: 30,
    readHeapTotalMb: 5,
    mallocInUseMb: 40,
    mallocFreeMb: 10,
    trims: Math.floor(t / 30_000),
    trimGcMs: Math.floor(t / 30_000) ? 20 + (Math.floor(t / 30_000) % 3) : null,
    bytesReadSinceTrim: 0,
    fds: 40,
    sockets: 16,
    loops: 4,
    fdKinds: null,
    sessions: 16,
    walBytes: 1 << 20,
    dbBytes: 30 << 20,
    loop: { p50Ms: 10, p99Ms: 20, maxMs: 40, windowMs: 3000 },
    calls: 30,
    errors: 0,
    projects: [ROOT, SECOND],
    symbols: 12_000,
    jobs: 0,
    ...over,
  };
}

function call(start: number, over: Partial<CallRecord> = {}): CallRecord {
  return { tool: 'search_graph', session: 1, start, end: start + 20, readOnly: true, outcome: 'ok', ...over };
}

/** Ten minutes, a sample every 3 s, a call every 100 ms, no kill: every criterion passes. */
function cleanRun(): RunRecord {
  const samples: Sample[] = [];
  for (let t = 0; t <= 600_000; t += 3_000) samples.push(sample(t));
  const calls: CallRecord[] = [];
  for (let t = CHAOS; t < CHAOS + 600_000; t += 100) calls.push(call(t));
  return {
    options: { ...DEFAULTS, seed: 1 },
    digest: 'd',
    corpus: { root: ROOT, files: 360 },
    projects: [ROOT, SECOND],
    chaosStart: CHAOS,
    durationSec: 600,
    calls,
    samples,
    kills: [],
    stops: [],
    disruptions: [],
    events: {},
    lost: [],
    integrity: 'ok',
    graph: { nodes: 10, edges: 20, referenceNodes: 10, referenceEdges: 20, missing: [], extra: [] },
    refBytes: 30 << 20,
    walLimitBytes: 64 << 20,
    logs: { errors: [], warnings: [] },
  };
}

/** The criteria that failed. */
function failed(run: RunRecord): string[] {
  return judge(run).checks.filter((c) => c.status === 'FAIL').map((c) => c.name);
}

/** A daemon killed at `atSec` of the chaos: the samples after it see a new pid. */
function withKill(run: RunRecord, atSec: number, recoveryMs: number): RunRecord {
  const at = CHAOS + atSec * 1000;
  run.kills.push({ at, pid: 100 });
  run.disruptions.push({ from: at, to: at + 3000 });
  run.calls = run.calls.filter((c) => c.end < at || c.start > at + recoveryMs);
  run.calls.push(call(at + recoveryMs - 20));
  for (const s of run.samples) if (s.t > atSec * 1000) s.pid = 200;
  return run;
}

describe('the soak judge', () => {
  test('a clean run passes every criterion, the kill recovery is skipped without kills', () => {
    const report = judge(cleanRun());
    expect(report.checks.filter((c) => c.status !== 'PASS').map((c) => `${c.status} ${c.name}`)).toEqual(['SKIP recovery after each daemon kill < 3 s']);
    expect(report.rss.slopeMbPerMin).toBe(0);
    expect(report.calls.failed).toBe(0);
  });

  test("counts each trim once per daemon, with the pause of the collection before it", () => {
    // One trim every 30 s, each seen by 10 samples: 10 in the first daemon (to 300 s); the restarted one
    // counts from 0 again, so its trims repeat the old counts and are new trims all the same: 10 more.
    const run = withKill(cleanRun(), 300, 500);
    for (const s of run.samples) if (s.pid === 200) Object.assign(s, { trims: Math.floor((s.t - 300_000) / 30_000), trimGcMs: 35 });
    const trims = judge(run).trims;
    expect(trims).toEqual({ count: 20, gcMsMedian: 22, gcMsMax: 35 }); // pauses 20-22 ms ×10, then 35 ×10
  });

  test('a failed read fails the read criterion only, and is listed by message', () => {
    const run = cleanRun();
    run.calls.push(call(CHAOS + 5000, { outcome: 'failed', code: 'MCP_ERROR', message: 'MCP_ERROR: Request timed out' }));
    expect(failed(run)).toEqual(['no failed read calls']);
    expect(judge(run).failures).toEqual([{ message: 'search_graph: MCP_ERROR: Request timed out', count: 1 }]);
  });

  test('a failed write fails the write criterion; an excused one does not', () => {
    const run = cleanRun();
    run.calls.push(call(CHAOS + 5000, { tool: 'index_repository', readOnly: false, outcome: 'excused', code: 'DAEMON_DIED' }));
    expect(failed(run)).toEqual([]);
    run.calls.push(call(CHAOS + 9000, { tool: 'index_repository', readOnly: false, outcome: 'failed', code: 'INTERNAL' }));
    expect(failed(run)).toEqual(['no failed write calls outside a daemon kill/stop']);
  });

  test('recovery is the time from a kill to the end of the first good call after it, judged against 3 s', () => {
    const quick = judge(withKill(cleanRun(), 90, 1500));
    expect(quick.kills.map((k) => k.recoveryMs)).toEqual([1500]);
    expect(quick.checks.find((c) => c.name.startsWith('recovery'))!.status).toBe('PASS');
    expect(failed(withKill(cleanRun(), 90, 3200))).toEqual(['recovery after each daemon kill < 3 s']);
  });

  test('no daemon right after a kill is transient; no daemon otherwise, or two, fail the census', () => {
    const after = withKill(cleanRun(), 90, 1500);
    after.samples.find((s) => s.t === 93_000)!.daemons = 0;
    expect(failed(after)).toEqual([]);
    expect(judge(after).daemonCensus).toMatchObject({ zeroTransient: 1, zeroBad: 0, multiple: 0 });
    const none = cleanRun();
    none.samples.find((s) => s.t === 300_000)!.daemons = 0;
    expect(failed(none)).toEqual(['exactly one daemon at every sample']);
    const two = cleanRun();
    two.samples.find((s) => s.t === 300_000)!.daemons = 2;
    expect(failed(two)).toEqual(['exactly one daemon at every sample']);
  });

  test('a project missing from one sample, a session or the database is lost', () => {
    const run = cleanRun();
    run.samples.find((s) => s.t === 300_000)!.projects = [ROOT];
    expect(failed(run)).toEqual(['no lost projects']);
    expect(judge(run).lostProjects).toEqual([SECOND]);
    const atEnd = cleanRun();
    atEnd.lost = [ROOT];
    expect(failed(atEnd)).toEqual(['no lost projects']);
  });

  test('integrity, ERROR lines and a graph unlike the from-scratch one each fail their criterion', () => {
    const run = cleanRun();
    run.integrity = '*** in database main ***\nPage 7: btreeInitPage() returns error code 11';
    run.logs.errors.push({ message: 'daemon: uncaught exception', count: 1 });
    run.graph.extra.push('edge CALLS a.ts#f -> b.ts#g 3');
    expect(failed(run)).toEqual(['integrity_check ok', 'no ERROR lines in the logs', 'final graph equals a from-scratch index']);
  });

  test('RSS climbing 2 MB/min at the settled baseline fails the slope; a full index peak does not', () => {
    const leak = cleanRun();
    for (const s of leak.samples) s.rssMb! += (2 * s.t) / 60_000;
    expect(failed(leak)).toEqual(['RSS slope < 1 MB/min after warm-up']);
    expect(judge(leak).rss.slopeMbPerMin).toBeCloseTo(2, 5);
    const peak = cleanRun();
    // A job from 540 to 570 s holding 150 MB: its samples are not settled until a trim after it.
    for (const s of peak.samples) if (s.t >= 540_000 && s.t < 570_000) Object.assign(s, { jobs: s.t < 560_000 ? 1 : 0, rssMb: 400, trims: 17 });
    expect(failed(peak)).toEqual([]);
    expect(judge(peak).rss.allSamplesSlopeMbPerMin).toBeGreaterThan(1);
  });

  test('the slope is judged on the last daemon lifetime only, after its own warm-up', () => {
    // A daemon whose RSS climbed fast until it was killed at 200 s; the next one is flat.
    const run = withKill(cleanRun(), 200, 1500);
    for (const s of run.samples) if (s.pid === 100) s.rssMb! += (50 * s.t) / 60_000;
    expect(failed(run)).toEqual([]);
    expect(judge(run).rss.pooledSlopeMbPerMin).toBeGreaterThan(1);
  });

  test('without --slope the slope is reported but not judged', () => {
    const run = cleanRun();
    run.options.slope = false;
    for (const s of run.samples) s.rssMb! += (2 * s.t) / 60_000;
    const check = judge(run).checks.find((c) => c.name.startsWith('RSS slope'))!;
    expect(check.status).toBe('SKIP');
    expect(check.detail).toContain('not judged');
  });

  test('fds: a raised floor fails; a moment of open files, more sockets or more threads do not', () => {
    const moment = cleanRun();
    // 4 more sessions' sockets and two more worker threads' event loops (4 fds each): 8 own fds still.
    for (const s of moment.samples) if (s.t >= 400_000) Object.assign(s, { sockets: 40, sessions: 20, loops: 6, fds: 72 });
    moment.samples.find((s) => s.t === 501_000)!.fds = 90;
    expect(failed(moment)).toEqual([]);
    expect(judge(moment).fds.drift).toBe(0);
    // Own fds 8 → 14 over the last third: six files or pipes that never close again.
    const leak = cleanRun();
    for (const s of leak.samples) if (s.t >= 400_000) s.fds = 46;
    expect(failed(leak)).toEqual(['fd drift ≤ 5 after warm-up']);
    expect(judge(leak).fds.drift).toBe(6);
  });

  test('one window with p99 ≥ 50 ms after the warm-up fails the loop criterion; one during the warm-up does not', () => {
    const warm = cleanRun();
    warm.samples.find((s) => s.t === 30_000)!.loop = { p50Ms: 10, p99Ms: 80, maxMs: 120, windowMs: 3000 };
    expect(failed(warm)).toEqual([]);
    expect(judge(warm).eventLoop.maxMs).toBe(120);
    const late = cleanRun();
    late.samples.find((s) => s.t === 300_000)!.loop = { p50Ms: 10, p99Ms: 50, maxMs: 90, windowMs: 3000 };
    expect(failed(late)).toEqual(['event-loop delay p99 < 50 ms after warm-up']);
    expect(judge(late).eventLoop.worstWindowAtSec).toBe(300);
  });

  test('the WAL may reach the journal size limit plus one full index of writes, not more', () => {
    const run = cleanRun();
    run.samples.find((s) => s.t === 300_000)!.walBytes = (64 << 20) + (30 << 20);
    expect(failed(run)).toEqual([]);
    run.samples.find((s) => s.t === 303_000)!.walBytes = (64 << 20) + (30 << 20) + 1;
    expect(failed(run)).toEqual(['WAL ≤ journal_size_limit + one checkpoint']);
  });

  test('a long run with many sessions is judged: 300k calls after a kill', () => {
    // A 32-session, 30-minute soak made ~150k calls; spread into Math.min they overflowed the stack.
    const run = withKill(cleanRun(), 30, 1200);
    const first = run.calls.at(-1)!;
    for (let i = 0; i < 300_000; i++) run.calls.push(call(first.start + 100 + i, { session: 1 + (i % 32) }));
    const report = judge(run);
    expect(report.kills.map((k) => k.recoveryMs)).toEqual([1200]);
    expect(report.checks.filter((c) => c.status === 'FAIL')).toEqual([]);
  });
});
