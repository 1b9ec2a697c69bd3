import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
