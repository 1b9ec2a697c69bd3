/**
 * The soak and chaos test (issue 6): many real `codehive mcp` shims (MCP SDK clients over stdio) against one
 * cache dir and a copy of a real corpus, for minutes, while the tree is edited, branches are checked out,
 * projects are re-indexed from sessions and the CLI, sessions join, leave and are SIGKILLed, the daemon is
 * `kill -9`ed and `codehive stop`ped. It samples the daemon every few seconds, then checks the final graph
 * against a from-scratch index of the final tree and the database's integrity, and prints a report with
 * PASS/FAIL lines (exit status 1 on any FAIL).
 *
 *   npm run soak -- [--sessions 16] [--minutes 10] [--corpus effect|DIR[,DIR…]] [--seed S] [--kill-every SEC]
 *
 * Everything random comes from one seed (printed; the schedule's digest is printed too, so two runs with
 * one seed can be seen to have the same schedule). See docs/operations.md ("Soak test") for every option,
 * what is measured and how each criterion is computed. The parts live in bench/soak/: options, schedule,
 * corpus (mutations), processes (CLI, git), sample, run, statistics, judge (the criteria), graph-diff, report.
 */
import { writeFileSync } from 'node:fs';
import { isMain } from './lib/paths.js';
import { parseSoakArgs } from './soak/options.js';
import { formatReport } from './soak/report.js';
import { runSoak } from './soak/run.js';

async function main(): Promise<void> {
  const o = parseSoakArgs(process.argv.slice(2));
  const report = await runSoak(o);
  process.stdout.write(formatReport(report));
  if (o.jsonOut) writeFileSync(o.jsonOut, JSON.stringify(report, null, 2) + '\n');
  process.exit(report.checks.some((c) => c.status === 'FAIL') ? 1 : 0);
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
}
