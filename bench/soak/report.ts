/** The soak's report as people read it: figures, then one PASS/FAIL line per criterion, then the result. */
import type { SoakReport } from './judge.js';
import { mib } from './statistics.js';

export function formatReport(r: SoakReport): string {
  const L: string[] = [];
  const o = r.options;
  L.push(`═══ codehive soak report ═══`);
  L.push(`seed ${r.seed} · schedule ${r.digest} · ${o.sessions} sessions · ${r.durationSec} s of chaos · corpus ${o.corpus} (${r.corpus.files} files)${o.logLevel ? ` · daemon log level ${o.logLevel}` : ''}`);
  L.push(`events: ${Object.entries(r.events).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push(`calls: ${r.calls.total} (${r.calls.perSecond}/s) — ok ${r.calls.ok}, answered with an error about the code ${r.calls.answerErrors}, failed ${r.calls.failed}, excused ${r.calls.excused}`);
  L.push(`failed calls by message:${r.failures.length ? '' : ' none'}`);
  for (const f of r.failures.slice(0, 15)) L.push(`  ${String(f.count).padStart(5)}  ${f.message}`);
  if (r.excused.length) {
    L.push(`excused calls (writes under a kill/stop, calls of sessions the soak ended):`);
    for (const f of r.excused.slice(0, 10)) L.push(`  ${String(f.count).padStart(5)}  ${f.message}`);
  }
  L.push(`daemon kills: ${r.kills.length ? r.kills.map((k) => `t=${k.atSec}s → recovered in ${k.recoveryMs ?? '∞'} ms (${k.inflight} calls in flight)`).join('; ') : 'none'}`);
  L.push(`codehive stop: ${r.stops.length ? r.stops.map((s) => `t=${s.atSec}s took ${s.stopMs} ms (exit ${s.code}), next call ok ${s.recoveryMs ?? '∞'} ms after`).join('; ') : 'none'}`);
  L.push(`latency (ms)        calls     p50     p99     max`);
  for (const l of r.latency) L.push(`  ${l.tool.padEnd(18)}${String(l.calls).padStart(6)}${String(l.p50).padStart(8)}${String(l.p99).padStart(8)}${String(Math.round(l.max)).padStart(8)}`);
  L.push(
    `RSS: ${r.rss.min}–${r.rss.max} MB; baseline slope ${r.rss.slopeMbPerMin ?? 'n/a'} ± ${r.rss.slopeSe ?? '-'} MB/min over the last daemon lifetime after its warm-up (${r.rss.samplesUsed} settled of ${r.rss.tailSamples} samples, ${r.rss.spanSec} s); right after each trim ${r.rss.restingSlopeMbPerMin ?? 'n/a'} ± ${r.rss.restingSlopeSe ?? '-'} (${r.rss.restingSamples} samples); all samples ${r.rss.allSamplesSlopeMbPerMin ?? 'n/a'} ± ${r.rss.allSamplesSlopeSe ?? '-'}, ${r.rss.pooledSlopeMbPerMin ?? 'n/a'} MB/min pooled over every lifetime; heap max ${r.heap.max} MB, baseline slope ${r.heap.slopeMbPerMin ?? 'n/a'} MB/min; the graph grew ${r.rss.symbolsPerMin === null ? 'n/a' : Math.round(r.rss.symbolsPerMin)} symbols/min over the same samples`,
  );
  L.push(
    `  of which anonymous (heaps, malloc) max ${r.rss.anonMax} MB, slope ${r.rss.anonSlopeMbPerMin ?? 'n/a'} MB/min; file-backed (mmap'ed graph.db, code) max ${r.rss.fileMax} MB, slope ${r.rss.fileSlopeMbPerMin ?? 'n/a'} MB/min`,
    `  anonymous slope by part (MB/min): V8 heaps committed — main ${r.anonParts.mainHeap ?? 'n/a'}, parse workers ${r.anonParts.parseHeap ?? 'n/a'}, resolve worker ${r.anonParts.resolveHeap ?? 'n/a'}, read thread ${r.anonParts.readHeap ?? 'n/a'}; outside the heaps (malloc: SQLite, tree-sitter, buffers) ${r.anonParts.outsideHeaps ?? 'n/a'}, of which malloc in use ${r.anonParts.mallocInUse ?? 'n/a'}, malloc free ${r.anonParts.mallocFree ?? 'n/a'}`,
  );
  L.push(`malloc trims seen: ${r.trims.count}; the main thread's collection before each: median ${r.trims.gcMsMedian ?? 'n/a'} ms, max ${r.trims.gcMsMax ?? 'n/a'} ms`);
  L.push(`fds: files/pipes/watchers ${r.fds.nonSocketMin}–${r.fds.nonSocketMax}, drift ${r.fds.drift ?? 'n/a'}; event loops (main + workers) ≤ ${r.fds.loopsMax ?? 'n/a'}; sockets per attached session ≤ ${r.fds.maxSocketsPerSession ?? 'n/a'}`);
  L.push(`WAL: max ${mib(r.wal.maxBytes)} (limit ${mib(r.wal.limitBytes)}, allowance ${mib(r.wal.allowanceBytes)}); db max ${mib(r.wal.maxDbBytes)}`);
  L.push(`event loop: worst steady window p99 ${r.eventLoop.maxP99Ms ?? 'n/a'} ms (t=${r.eventLoop.worstWindowAtSec ?? '-'} s), max delay over the run ${r.eventLoop.maxMs ?? 'n/a'} ms`);
  L.push(`daemons per sample: ${r.daemonCensus.samples} samples, ${r.daemonCensus.multiple} with >1, ${r.daemonCensus.zeroTransient} with 0 right after a kill/stop, ${r.daemonCensus.zeroBad} with 0 otherwise`);
  L.push(`graph: ${r.graph.nodes} nodes, ${r.graph.edges} edges; from scratch ${r.graph.referenceNodes} nodes, ${r.graph.referenceEdges} edges`);
  for (const m of r.graph.missing.slice(0, 10)) L.push(`  missing: ${m}`);
  for (const m of r.graph.extra.slice(0, 10)) L.push(`  extra:   ${m}`);
  L.push(`integrity_check: ${r.integrity}`);
  L.push(`log lines: ${r.logs.errors.reduce((a, e) => a + e.count, 0)} ERROR, ${r.logs.warnings.reduce((a, e) => a + e.count, 0)} WARN`);
  for (const e of r.logs.errors.slice(0, 10)) L.push(`  ERROR ${String(e.count).padStart(5)}  ${e.message}`);
  for (const w of r.logs.warnings.slice(0, 8)) L.push(`  WARN  ${String(w.count).padStart(5)}  ${w.message}`);
  for (const c of r.checks) L.push(`${c.status.padEnd(4)}  ${c.name} — ${c.detail}`);
  const fails = r.checks.filter((c) => c.status === 'FAIL').length;
  L.push(fails ? `RESULT: FAIL (${fails} criteria failed)` : `RESULT: PASS`);
  return L.join('\n') + '\n';
}
