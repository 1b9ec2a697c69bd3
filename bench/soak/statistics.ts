/**
 * The statistics the soak's criteria rest on: percentiles, the samples taken at the daemon's resting
 * baseline (where a leak shows), and a least-squares slope pooled over daemon lifetimes.
 */
import { HEAVY_JOB_BYTES } from '../../daemon/memory-release.js';

/** The p-th percentile (nearest rank), rounded to a whole number. */
export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!);
}

/** Seconds without a job seen before a sample counts as settled, where malloc trims are unavailable. */
const SETTLE_QUIET_MS = 15_000;

/**
 * Of settled samples, the first after each trim: the daemon's resting RSS just after it gave memory back.
 * Informative beside the judged slope: later samples of a quiet spell climb back by what queries allocate
 * and touch between two trims (SQLite's page cache refilling, buffers, free malloc pages reused; +5 MB on
 * average and up to +40 MB in 16-session soaks), so where they fall sways the judged slope. These are one
 * per trim: fewer, so noisier, but not swayed by how long the spells last.
 */
export function firstAfterEachTrim<S extends { trims: number | null }>(settled: S[]): S[] {
  return settled.filter((s, i) => s.trims !== null && (i === 0 || settled[i - 1]!.trims !== s.trims));
}

/**
 * The samples taken at the daemon's resting baseline: no index job running, and the memory of the last
 * job given back — a malloc trim has run since the last sample that saw a job (daemon/memory-release.ts),
 * or, without trims, 15 s have passed; and, as the daemon counts them, jobs that ended since its last trim
 * read no more than HEAVY_JOB_BYTES of source (daemon/memory-release.ts; a checkout's job between two
 * samples is seen by no sample). A full index or a checkout holds 100–170 MB more for 10–40 s; a leak is what stays after they
 * end, so this is where it shows, and the peaks' timing no longer sways the slope.
 */
export function settledSamples<S extends { t: number; jobs: number | null; trims: number | null; bytesReadSinceTrim?: number | null }>(samples: S[]): S[] {
  const trims = samples.some((s) => (s.trims ?? 0) > 0);
  const out: S[] = [];
  let jobAt: number | null = null;
  let trimsAtJob = 0;
  for (const s of samples) {
    if (s.jobs === null || s.jobs > 0) {
      jobAt = s.t;
      trimsAtJob = s.trims ?? 0;
      continue;
    }
    if ((s.bytesReadSinceTrim ?? 0) > HEAVY_JOB_BYTES) continue;
    if (jobAt === null || (trims ? (s.trims ?? 0) > trimsAtJob : s.t - jobAt >= SETTLE_QUIET_MS)) out.push(s);
  }
  return out;
}

/** Least-squares slope (per minute) with one intercept per daemon lifetime: a restart is not a leak. */
export function pooledSlope<S extends { t: number }>(segments: S[][], y: (s: S) => number | null): { slope: number | null; se: number | null; n: number } {
  let sxy = 0;
  let sxx = 0;
  let n = 0;
  const resid: Array<{ x: number; y: number; mx: number; my: number }> = [];
  for (const seg of segments) {
    const pts = seg.map((s) => [s.t / 60_000, y(s)] as const).filter((p): p is readonly [number, number] => p[1] !== null);
    if (pts.length < 3) continue;
    const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
    const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
    for (const [x, v] of pts) {
      sxy += (x - mx) * (v - my);
      sxx += (x - mx) ** 2;
      resid.push({ x, y: v, mx, my });
    }
    n += pts.length;
  }
  if (!(sxx > 0 && n >= 6)) return { slope: null, se: null, n };
  const slope = sxy / sxx;
  // Standard error of the slope: how much of it the noise (GC sawtooth, caches) could explain.
  const sse = resid.reduce((a, r) => a + (r.y - r.my - slope * (r.x - r.mx)) ** 2, 0);
  return { slope, se: Math.sqrt(sse / Math.max(1, n - 2) / sxx), n };
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
/** A rounded slope, or null when there was too little to fit one. */
export const round3OrNull = (x: number | null) => (x === null ? null : round3(x));
export const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
/**
 * The smallest and largest of some numbers, null for none (nulls skipped). A loop, not `Math.min(...xs)`:
 * spread into arguments, the ~150k call records of a 32-session, 30-minute soak overflowed the stack and the
 * run ended without its report.
 */
function extreme(xs: Iterable<number | null>, beats: (x: number, m: number) => boolean): number | null {
  let m: number | null = null;
  for (const x of xs) if (x !== null && (m === null || beats(x, m))) m = x;
  return m;
}
export const smallest = (xs: Iterable<number | null>) => extreme(xs, (x, m) => x < m);
export const largest = (xs: Iterable<number | null>) => extreme(xs, (x, m) => x > m);
const roundedOrNull = (x: number | null) => (x === null ? null : round1(x));
export const minOf = (xs: Array<number | null>) => roundedOrNull(smallest(xs));
export const maxOf = (xs: Array<number | null>) => roundedOrNull(largest(xs));
