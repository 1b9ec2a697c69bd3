/**
 * The soak's options: defaults (`npm run soak` with no flags is the 16 sessions × 10 minutes on
 * effect), the command line, and its usage text.
 */
import { isLevel, type Level } from '../../packages/log/index.js';

export interface SoakOptions {
  sessions: number;
  /** Length of the chaos phase. */
  seconds: number;
  /** A corpus name from bench/corpora.ts, or directories (comma-separated) copied side by side. */
  corpus: string;
  seed: number;
  /** A `kill -9` of the daemon every this many seconds (0: never). */
  killEverySec: number;
  /** When the one `codehive stop` happens (seconds into the chaos; 0: never). Default 25% of the run. */
  stopAtSec: number | null;
  /**
   * Daemon kills (and the default stop) happen only in this first fraction of the run: the rest is one long
   * daemon lifetime (edits, re-indexes, checkouts and churn go on) in which a leak can be told from warm-up.
   */
  calmAfter: number;
  sampleEverySec: number;
  /** Samples before this (and in a restarted daemon's first this-many seconds) are not used for slope/drift/loop. */
  warmupSec: number;
  /** Mean gap between file mutations. */
  mutateEveryMs: number;
  /** Mean gaps of the other chaos events (0: never). */
  reindexEverySec: number;
  cliIndexEverySec: number;
  checkoutEverySec: number;
  churnEverySec: number;
  /** Think time between one session's calls, uniform in [min, max] ms. */
  thinkMs: [number, number];
  /** Judge the RSS slope (needs minutes after the warm-up; the short test turns it off). */
  slope: boolean;
  /** Write the report as JSON here too. */
  jsonOut: string | null;
  /** Keep the temp dir (corpus copy, cache dirs, logs). */
  keep: boolean;
  /**
   * CODEHIVE_LOG_LEVEL for the soaked daemon and shims (null: theirs, info). `debug` logs what every in-place
   * write changed, to trace a graph the final check finds unequal; it costs time and memory, so such a run's
   * figures are not the default run's.
   */
  logLevel: Level | null;
  quiet: boolean;
}

export const DEFAULTS: SoakOptions = {
  sessions: 16,
  seconds: 600,
  corpus: 'effect',
  seed: 0,
  killEverySec: 90,
  stopAtSec: null,
  calmAfter: 0.35,
  sampleEverySec: 3,
  warmupSec: 60,
  mutateEveryMs: 1500,
  reindexEverySec: 45,
  cliIndexEverySec: 70,
  checkoutEverySec: 90,
  churnEverySec: 12,
  thinkMs: [100, 700],
  slope: true,
  jsonOut: null,
  keep: false,
  logLevel: null,
  quiet: false,
};

const USAGE = `npm run soak -- [options]
  --sessions N          MCP sessions kept attached (default 16)
  --minutes M           length of the chaos phase (default 10); --seconds S for short runs
  --corpus C            effect (default) | rxjs | DIR[,DIR...] copied side by side
  --seed S              seed for every random choice (default: random, printed)
  --kill-every SEC      kill -9 the daemon every SEC seconds (default 90; 0 = never)
  --stop-at SEC         when the one \`codehive stop\` happens (default 25% of the run; 0 = never)
  --calm-after F        kills only in the first fraction F of the run (default 0.35; the rest is one daemon
                        lifetime, where the RSS slope is measured: the longer, the better it tells a leak
                        from warm-up)
  --sample-every SEC    sampling period (default 3)
  --warmup SEC          warm-up excluded from slope, drift and loop-delay criteria (default 60)
  --mutate-every MS     mean gap between file edits/adds/deletes/renames (default 1500)
  --reindex-every SEC   mean gap between index_repository calls from sessions (default 45)
  --cli-index-every SEC mean gap between \`codehive index\` runs (default 70)
  --checkout-every SEC  mean gap between git checkouts of the other branch (default 90)
  --churn-every SEC     mean gap between sessions joining/leaving/being SIGKILLed (default 12)
  --think MIN,MAX       think time between one session's calls in ms (default 100,700)
  --no-slope            do not judge the RSS slope (runs too short for it)
  --json FILE           also write the report as JSON
  --keep                keep the temp dir (corpus copy, cache dirs, logs)
  --log-level L         the soaked daemon's and shims' log level: debug | info | warn | error (default info;
                        debug records every in-place write, to trace an unequal graph; it skews the figures)
`;

export function parseSoakArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { ...DEFAULTS, seed: Math.floor(Math.random() * 2 ** 31) };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number\n\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case '--sessions': o.sessions = Math.max(1, Math.round(num(flag, val()))); break;
      case '--minutes': o.seconds = num(flag, val()) * 60; break;
      case '--seconds': o.seconds = num(flag, val()); break;
      case '--corpus': o.corpus = String(val()); break;
      case '--seed': o.seed = Math.round(num(flag, val())); break;
      case '--kill-every': o.killEverySec = num(flag, val()); break;
      case '--stop-at': o.stopAtSec = num(flag, val()); break;
      case '--calm-after': o.calmAfter = Math.min(1, num(flag, val())); break;
      case '--sample-every': o.sampleEverySec = Math.max(0.5, num(flag, val())); break;
      case '--warmup': o.warmupSec = num(flag, val()); break;
      case '--mutate-every': o.mutateEveryMs = num(flag, val()); break;
      case '--reindex-every': o.reindexEverySec = num(flag, val()); break;
      case '--cli-index-every': o.cliIndexEverySec = num(flag, val()); break;
      case '--checkout-every': o.checkoutEverySec = num(flag, val()); break;
      case '--churn-every': o.churnEverySec = num(flag, val()); break;
      case '--think': {
        const [lo, hi] = String(val()).split(',').map(Number);
        if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo! > hi!) throw new Error(`--think needs MIN,MAX\n\n${USAGE}`);
        o.thinkMs = [lo!, hi!];
        break;
      }
      case '--no-slope': o.slope = false; break;
      case '--json': o.jsonOut = String(val()); break;
      case '--keep': o.keep = true; break;
      case '--log-level': {
        const level = String(val());
        if (!isLevel(level)) throw new Error(`--log-level needs debug, info, warn or error\n\n${USAGE}`);
        o.logLevel = level;
        break;
      }
      case '--quiet': o.quiet = true; break;
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  return o;
}
