import { afterEach, describe, expect, it } from 'vitest';
import { FACTS_VERSION } from '../../packages/indexer/facts.js';
import { copyFixture, edges, openEnv, type Env } from './helpers.js';

describe('stored facts from another extractor version', () => {
  let env: Env;
  afterEach(async () => env?.close());

  it('are not reused: the next incremental index re-parses every file and ends equal to a fresh index', async () => {
    env = openEnv();
    const root = copyFixture('relative', env.dir);
    const first = await env.indexer.index(root, { mode: 'full' });
    expect(first.factsVersion).toBe(FACTS_VERSION);
    const calls = edges(env.store, root, 'CALLS');

    // Nothing changed on disk: an incremental index parses nothing…
    const noop = await env.indexer.index(root, { mode: 'incremental' });
    expect(noop.files.parsed).toBe(0);

    // …unless the stored facts were written by an older extractor (as after an upgrade).
    const stats = JSON.parse((env.store.db.prepare('SELECT stats FROM projects WHERE root = ?').get(root) as { stats: string }).stats);
    delete stats.factsVersion;
    env.store.db.prepare('UPDATE projects SET stats = ? WHERE root = ?').run(JSON.stringify(stats), root);
    const upgraded = await env.indexer.index(root, { mode: 'incremental' });
    expect(upgraded.files.parsed).toBe(first.files.total);
    expect(upgraded.factsVersion).toBe(FACTS_VERSION);
    expect(edges(env.store, root, 'CALLS')).toEqual(calls);
  });
});
