/** The soak's command line: the defaults are the run, and a bad value is refused with the usage. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseSoakArgs } from '../../bench/soak/options.js';

describe('soak options', () => {
  it('defaults to 16 sessions for 10 minutes, the daemon at its own log level', () => {
    const o = parseSoakArgs([]);
    expect({ sessions: o.sessions, seconds: o.seconds, logLevel: o.logLevel }).toEqual({ sessions: 16, seconds: 600, logLevel: null });
    expect({ ...o, seed: DEFAULTS.seed }).toEqual(DEFAULTS);
  });

  it('passes a log level to the soaked daemon, and refuses one that is not a level', () => {
    expect(parseSoakArgs(['--log-level', 'debug', '--seed=7']).logLevel).toBe('debug');
    expect(parseSoakArgs(['--log-level=warn']).logLevel).toBe('warn');
    expect(() => parseSoakArgs(['--log-level', 'verbose'])).toThrow(/--log-level needs debug, info, warn or error/);
  });
});
