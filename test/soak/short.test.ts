/**
 * The short form of the soak test (issue 6) in `npm test`: 4 real MCP sessions for 60 s against a copy of
 * this repository's own packages/ and daemon/ (no network), with edits, a git checkout, re-indexes from
 * sessions and the CLI, sessions joining, leaving and SIGKILLed, one `kill -9` of the daemon and one
 * `codehive stop`. It runs the compiled soak (dist/bench/soak.js) as a child process and asserts every
 * criterion the full soak prints, except the RSS slope (which needs minutes).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SoakReport } from '../../bench/soak/judge.js';
import { DEFAULTS } from '../../bench/soak/options.js';
import { makeSchedule, scheduleDigest } from '../../bench/soak/schedule.js';
import { REPO, runNode } from '../helpers/processes.js';


describe('soak (short form)', () => {
  it('the schedule is a function of the seed', () => {
    const o = { ...DEFAULTS, seconds: 120 };
    expect(scheduleDigest(makeSchedule({ ...o, seed: 5 }))).toBe(scheduleDigest(makeSchedule({ ...o, seed: 5 })));
    expect(scheduleDigest(makeSchedule({ ...o, seed: 5 }))).not.toBe(scheduleDigest(makeSchedule({ ...o, seed: 6 })));
    const kinds = new Set(makeSchedule({ ...o, seed: 5, seconds: 600 }).map((e) => e.kind));
    for (const k of ['mutate', 'checkout', 'session-index', 'cli-index', 'join', 'kill-daemon', 'stop']) expect(kinds).toContain(k);
  });

  it(
    '4 sessions, 60 s of chaos with a daemon kill and re-indexes: nothing fails, nothing is lost, the graph equals a fresh index',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chv-soak-test-'));
      const jsonOut = join(dir, 'report.json');
      try {
        const args = [
          join(REPO, 'dist/bench/soak.js'),
          ...['--sessions', '4', '--seconds', '60', '--seed', '20261125'],
          ...['--corpus', `${join(REPO, 'packages')},${join(REPO, 'daemon')}`],
          ...['--kill-every', '30', '--calm-after', '0.6', '--stop-at', '42', '--warmup', '15', '--sample-every', '2'],
          ...['--mutate-every', '900', '--reindex-every', '22', '--cli-index-every', '30', '--checkout-every', '25', '--churn-every', '9'],
          ...['--no-slope', '--quiet', '--json', jsonOut],
        ];
        const { code, stdout, stderr } = await runNode(args, { timeoutMs: 170_000 });
        if (code !== 0) console.log(stdout, stderr);
        const report = JSON.parse(readFileSync(jsonOut, 'utf8')) as SoakReport;
        const status = Object.fromEntries(report.checks.map((c) => [c.name, `${c.status} ${c.detail}`]));
        // Every criterion passes (the slope is not judged in a minute).
        for (const c of report.checks) {
          if (c.name.startsWith('RSS slope')) continue;
          expect(status[c.name], c.name).toMatch(/^PASS/);
        }
        expect(report.checks.some((c) => c.status === 'FAIL')).toBe(false);
        expect(code).toBe(0);
        // The chaos really happened.
        expect(report.kills.length).toBeGreaterThanOrEqual(1);
        expect(report.stops.length).toBe(1);
        expect((report.events['session-index:full'] ?? 0) + (report.events['session-index:incremental'] ?? 0)).toBeGreaterThanOrEqual(1);
        expect((report.events['cli-index:full'] ?? 0) + (report.events['cli-index:incremental'] ?? 0)).toBeGreaterThanOrEqual(1);
        expect(report.events.checkout).toBeGreaterThanOrEqual(1);
        expect(report.calls.total).toBeGreaterThan(100);
        expect(report.graph.nodes).toBeGreaterThan(100);
        // The daemon gave memory back after jobs, each time after collecting the main thread's garbage.
        expect(report.trims.count).toBeGreaterThanOrEqual(1);
        expect(report.trims.gcMsMax).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
