/**
 * The soak's leak judge: the RSS slope is measured on the settled baseline (no job running, memory given
 * back since the last one), so a full index's transient peak does not read as a leak, and a leak does.
 * Synthetic series shaped like real soak samples (every 3 s; a full index holds ~150 MB for ~30 s).
 */
import { describe, expect, test } from 'vitest';
import { firstAfterEachTrim, pooledSlope, settledSamples } from '../../bench/soak/statistics.js';
import { HEAVY_JOB_BYTES } from '../../daemon/memory-release.js';

interface S {
  t: number;
  jobs: number | null;
  trims: number | null;
  rssMb: number;
}

/** Five minutes; full indexes at the given seconds: a 12 s job, its memory held until a trim 3 s after it. */
function series(opts: { leakMbPerMin: number; jobsAt: number[]; trims: boolean }): S[] {
  const out: S[] = [];
  let trims = 0;
  for (let t = 0; t <= 300_000; t += 3_000) {
    const sec = t / 1000;
    const job = opts.jobsAt.find((j) => sec >= j && sec < j + (opts.trims ? 15 : 30));
    const running = job !== undefined && sec < job + 12;
    // A trim lands 3 s after each job ends.
    if (opts.trims && opts.jobsAt.some((j) => sec === j + 15)) trims++;
    // Without trims the freed memory goes back to the system later, by itself.
    const peak = job === undefined ? 0 : running ? 150 : 120;
    const noise = ((t / 3000) % 5) - 2; // a deterministic ±2 MB sawtooth, like the GC's
    out.push({ t, jobs: running ? 1 : 0, trims, rssMb: 300 + (opts.leakMbPerMin * t) / 60_000 + peak + noise });
  }
  return out;
}

const slope = (xs: S[]) => pooledSlope([xs], (s) => s.rssMb).slope!;

describe('settled-baseline RSS slope', () => {
  test('late full indexes make the all-samples slope climb, not the baseline one', () => {
    const xs = series({ leakMbPerMin: 0, jobsAt: [200, 250], trims: true });
    expect(slope(xs)).toBeGreaterThan(5);
    const settled = settledSamples(xs);
    expect(settled.length).toBeGreaterThan(60);
    expect(Math.abs(slope(settled))).toBeLessThan(1);
    // Nothing of a job or of its untrimmed tail is in the baseline.
    expect(settled.every((s) => s.rssMb < 345)).toBe(true);
  });

  test('a leak of 3 MB/min shows in the baseline slope', () => {
    const xs = series({ leakMbPerMin: 3, jobsAt: [60, 200, 250], trims: true });
    expect(slope(settledSamples(xs))).toBeGreaterThan(2.5);
  });

  test('without malloc trims, a sample settles 15 s after the last job seen', () => {
    const xs = series({ leakMbPerMin: 0, jobsAt: [100], trims: false });
    const settled = settledSamples(xs);
    expect(settled.some((s) => s.t > 100_000 && s.t < 126_000)).toBe(false);
    expect(settled.some((s) => s.t >= 126_000 && s.t <= 130_000)).toBe(true);
  });

  test("a big job between two samples keeps the baseline unsettled until the next trim, by the daemon's count", () => {
    // Every sample sees no job running. One-file edits end every few seconds (1 file each, trims every 15 s);
    // a checkout's job (30 files, 600 KiB) ends between two samples at 100 s, its memory held until the trim
    // at 105 s.
    const xs: Array<S & { bytesReadSinceTrim: number }> = [];
    for (let t = 0; t <= 200_000; t += 3_000) {
      const trims = Math.floor(t / 15_000);
      const held = t > 100_000 && t < 105_000;
      xs.push({ t, jobs: 0, trims, bytesReadSinceTrim: (held ? 600 * 1024 : 0) + ((t / 3_000) % 5) * 20 * 1024, rssMb: 300 + (held ? 60 : 0) });
    }
    const settled = settledSamples(xs);
    expect(settled.some((s) => s.rssMb > 300)).toBe(false);
    // The one-file edits do not unsettle it.
    expect(settled.length).toBe(xs.filter((s) => s.bytesReadSinceTrim <= HEAVY_JOB_BYTES).length);
    // Without the daemon's count the job is invisible to the samples, and its memory reads as baseline.
    expect(settledSamples(xs.map(({ bytesReadSinceTrim: _, ...s }) => s)).some((s) => s.rssMb > 300)).toBe(true);
  });

  test('the first settled sample after each trim is the resting RSS, whatever the quiet spell adds after it', () => {
    // A trim every 15 s; between two trims, queries touch memory again: +3 MB a sample. No leak.
    const xs: S[] = [];
    for (let t = 0; t <= 300_000; t += 3_000) xs.push({ t, jobs: 0, trims: Math.floor(t / 15_000), rssMb: 300 + ((t / 3_000) % 5) * 3 });
    const resting = firstAfterEachTrim(settledSamples(xs));
    expect(resting.map((s) => s.trims)).toEqual([...new Set(xs.map((s) => s.trims))]);
    expect(resting.every((s) => s.rssMb === 300)).toBe(true);
    // A leak still shows in them.
    const leaking = xs.map((s) => ({ ...s, rssMb: s.rssMb + (3 * s.t) / 60_000 }));
    expect(slope(firstAfterEachTrim(settledSamples(leaking)))).toBeGreaterThan(2.5);
  });
});
