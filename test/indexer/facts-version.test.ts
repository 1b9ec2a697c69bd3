import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIndexer } from '../../packages/indexer/index.js';
import { FACTS_VERSION } from '../../packages/indexer/facts.js';
import { copyFixture, dump, edges, openEnv, settings, silentLog, type Env } from './helpers.js';

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

  it('stored as text (as versions before facts were bytes wrote them) are read back and reused', async () => {
    env = openEnv();
    const root = copyFixture('relative', env.dir);
    await env.indexer.index(root, { mode: 'full' });
    const before = dump(env.store, root);
    env.store.db.prepare('UPDATE files SET facts = CAST(facts AS TEXT)').run();
    expect(env.store.db.prepare(`SELECT COUNT(*) AS n FROM files WHERE typeof(facts) <> 'text'`).get()).toEqual({ n: 0 });

    // A daemon restart (an indexer with nothing in memory) and one edited file: every other file's facts
    // come from the database, as text.
    await env.indexer.close();
    env.indexer = createIndexer(env.store, settings(), silentLog);
    const file = readdirSync(join(root, 'src')).find((f) => f.endsWith('.ts'))!;
    appendFileSync(join(root, 'src', file), '\n// edited\n');
    const report = await env.indexer.index(root, { mode: 'incremental' });
    expect(report.files.parsed).toBe(1);
    expect(report.files.unchanged).toBe(report.files.total - 1);
    expect(dump(env.store, root).edges).toEqual(before.edges);
    expect(dump(env.store, root).nodes).toEqual(before.nodes);
  });
});
