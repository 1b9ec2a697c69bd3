/**
 * The daemon's V8 configuration as a real process gets it: started with DAEMON_NODE_FLAGS, then
 * applyDaemonV8Flags. The main thread keeps the semi-spaces the flag gives it, and a worker started after
 * gets the young generation its own resourceLimits name, not the flag's (V8 applies a set
 * --max-semi-space-size to every isolate it creates, over a Worker's limit).
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../packages/config/index.js';
import { WORKER_YOUNG_GENERATION_MB } from '../../packages/config/heap.js';
import { REPO } from '../helpers/processes.js';

const run = promisify(execFile);

// Allocates in rounds, keeping the last few alive so scavenges see survivors and V8 grows the young
// generation as far as it may; then reports the new space's committed size in MB.
const CHURN = `
  const keep = [];
  for (let r = 0; r < 300; r++) {
    const a = [];
    for (let i = 0; i < 20000; i++) a.push({ i, s: 'x' + i });
    keep.push(a);
    if (keep.length > 5) keep.shift();
  }
  const newSpaceMb = () => require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
`;

const script = (limitMb: number) => `
  const { Worker } = require('node:worker_threads');
  import(${JSON.stringify(pathToFileURL(join(REPO, 'dist/packages/config/index.js')).href)}).then(async ({ applyDaemonV8Flags }) => {
    applyDaemonV8Flags();
    const worker = new Worker(${JSON.stringify(`${CHURN}\nrequire('node:worker_threads').parentPort.postMessage(newSpaceMb());`)}, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: ${limitMb} } });
    const workerMb = await new Promise((resolve) => worker.once('message', resolve));
    ${CHURN}
    console.log(JSON.stringify({ workerMb, mainMb: newSpaceMb() }));
  });
`;

describe("the daemon's young generations", () => {
  it('a worker gets the young generation its limit names; the main thread keeps the flag’s', async () => {
    const limit = WORKER_YOUNG_GENERATION_MB.wholeGraph;
    const { stdout } = await run(process.execPath, [...DAEMON_NODE_FLAGS, '-e', script(limit)], { cwd: REPO });
    const { workerMb, mainMb } = JSON.parse(stdout) as { workerMb: number; mainMb: number };
    // --max-semi-space-size=4: two 4 MB semi-spaces once the main thread has grown them.
    expect(mainMb).toBe(8);
    expect(workerMb).toBeLessThanOrEqual(limit);
    expect(workerMb).toBeGreaterThan(0);
  });
});
