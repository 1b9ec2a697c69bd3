/**
 * The chaos timeline. Everything random comes from one seed: the schedule is generated up front, so a seed
 * names one exact sequence of events (its digest is printed to show two runs share it).
 */
import { createHash } from 'node:crypto';
import type { SoakOptions } from './options.js';

/** mulberry32: small, fast, good enough, and the same on every platform. */
export function rng(seed: number, label: string): () => number {
  let a = createHash('sha256').update(`${seed}:${label}`).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The element of `xs` a random number in [0, 1) picks. */
export function pick<T>(r: number, xs: readonly T[]): T {
  return xs[Math.min(xs.length - 1, Math.floor(r * xs.length))]!;
}

/** A key of `ws` picked by a random number in [0, 1), each as likely as its weight. */
export function weighted<T extends string>(r: number, ws: Record<T, number>): T {
  const total = Object.values<number>(ws).reduce((a, b) => a + b, 0);
  let x = r * total;
  for (const [k, w] of Object.entries<number>(ws)) {
    if ((x -= w) < 0) return k as T;
  }
  return Object.keys(ws).pop() as T;
}

export type ChaosEvent =
  | { at: number; kind: 'mutate'; op: 'edit' | 'add' | 'delete' | 'rename'; r: number; n: number }
  | { at: number; kind: 'checkout' }
  | { at: number; kind: 'session-index'; session: number; mode: 'full' | 'incremental' }
  | { at: number; kind: 'cli-index'; mode: 'full' | 'incremental' }
  | { at: number; kind: 'join'; session: number }
  | { at: number; kind: 'leave' | 'sigkill'; session: number }
  | { at: number; kind: 'kill-daemon' }
  | { at: number; kind: 'stop' };

/**
 * The whole chaos timeline, generated up front from the seed (times in ms from the start of the chaos phase).
 * Which session joins or leaves is decided here too (the generator tracks who is attached), so a seed names
 * one exact schedule; only where each event lands relative to in-flight calls depends on timing.
 */
export function makeSchedule(o: SoakOptions): ChaosEvent[] {
  const end = o.seconds * 1000;
  const quietTail = Math.min(5000, end * 0.1); // nothing disruptive right before the end
  const events: ChaosEvent[] = [];
  const series = (label: string, meanMs: number, from: number, emit: (at: number, r: () => number) => void) => {
    if (meanMs <= 0) return;
    const r = rng(o.seed, label);
    for (let at = from + meanMs * (0.5 + r()); at < end - quietTail; at += meanMs * (0.5 + r())) emit(Math.round(at), r);
  };
  let n = 0;
  series('mutate', o.mutateEveryMs, 0, (at, r) => {
    events.push({ at, kind: 'mutate', op: weighted(r(), { edit: 55, add: 20, delete: 10, rename: 15 }), r: r(), n: n++ });
  });
  series('checkout', o.checkoutEverySec * 1000, 0, (at) => events.push({ at, kind: 'checkout' }));
  series('cli-index', o.cliIndexEverySec * 1000, 0, (at, r) => events.push({ at, kind: 'cli-index', mode: r() < 0.3 ? 'full' : 'incremental' }));
  if (o.killEverySec > 0) {
    const calm = Math.min(end - quietTail, end * o.calmAfter);
    for (let at = o.killEverySec * 1000; at < calm; at += o.killEverySec * 1000) events.push({ at, kind: 'kill-daemon' });
  }
  const stopAt = o.stopAtSec ?? o.seconds * 0.25;
  if (stopAt > 0 && stopAt * 1000 < end - quietTail) {
    // Keep the stop apart from a kill, so each disruption's recovery is measured on its own.
    let at = stopAt * 1000;
    while (events.some((e) => e.kind === 'kill-daemon' && Math.abs(e.at - at) < 8000)) at += 4000;
    if (at < end - quietTail) events.push({ at, kind: 'stop' });
  }
  // Sessions: who is attached is simulated here so joins, leaves and kills name real sessions.
  const live = Array.from({ length: o.sessions }, (_, i) => i);
  let nextId = o.sessions;
  const churnAndIndex: Array<{ at: number; kind: 'churn' | 'index'; r: () => number }> = [];
  series('churn', o.churnEverySec * 1000, 0, (at, r) => churnAndIndex.push({ at, kind: 'churn', r }));
  series('session-index', o.reindexEverySec * 1000, 0, (at, r) => churnAndIndex.push({ at, kind: 'index', r }));
  churnAndIndex.sort((a, b) => a.at - b.at);
  for (const c of churnAndIndex) {
    const r1 = c.r();
    const r2 = c.r();
    if (c.kind === 'index') {
      events.push({ at: c.at, kind: 'session-index', session: pick(r1, live), mode: r2 < 0.3 ? 'full' : 'incremental' });
      continue;
    }
    if (live.length < o.sessions || live.length <= 1) {
      live.push(nextId);
      events.push({ at: c.at, kind: 'join', session: nextId++ });
    } else {
      const idx = Math.floor(r1 * live.length);
      const [victim] = live.splice(idx, 1);
      events.push({ at: c.at, kind: r2 < 0.5 ? 'leave' : 'sigkill', session: victim! });
    }
  }
  return events.sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
}

export function scheduleDigest(events: ChaosEvent[]): string {
  return createHash('sha256').update(JSON.stringify(events)).digest('hex').slice(0, 16);
}
