import { defineConfig } from 'vitest/config';

// The short soak judges the daemon's event-loop delay (p99 < 50 ms). Run beside other test files on two
// cores, it measured the scheduler instead: a restarted daemon waiting for a CPU showed 50–70 ms windows
// (7 ms when the soak runs alone). So it runs after the rest of the suite, on its own.
const SOAK = 'test/soak/short.test.ts';

export default defineConfig({
  test: {
    // Fixture repositories are data for the indexer, not our tests (some contain *.test.ts files).
    exclude: ['test/fixtures/**', '**/node_modules/**'],
    // Native addons (tree-sitter, better-sqlite3) can crash under the threads pool; forks is vitest's
    // default and must stay.
    pool: 'forks',
    // Real daemons, sockets and indexes: generous per-test limits, no timed assertions.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more parallel files than that only makes the process-spawning tests slower.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [SOAK], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'soak', include: [SOAK], sequence: { groupOrder: 1 } } },
    ],
  },
});
