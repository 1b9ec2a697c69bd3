/** Long scans take turns on the event loop (packages/tools/lib/turns.ts): one resumes per turn of the loop. */
import { expect, test } from 'vitest';
import { nextTurn } from '../../packages/tools/lib/turns.js';

test('scans resume one per turn of the event loop, round robin', async () => {
  const log: string[] = [];
  await Promise.all(
    [0, 1, 2].map(async (i) => {
      for (let k = 0; k < 2; k++) {
        await nextTurn();
        log.push(`scan ${i}`);
        // Runs in the next turn of the loop: it lands between this scan and the next one to resume.
        setImmediate(() => log.push(`turn after ${i}`));
      }
    }),
  );
  await new Promise((r) => setImmediate(r));
  // With plain setImmediate yields all three scans would run in one turn: scan 0, scan 1, scan 2, turn after …
  expect(log).toEqual(['scan 0', 'scan 1', 'turn after 0', 'scan 2', 'turn after 1', 'scan 0', 'turn after 2', 'scan 1', 'turn after 0', 'scan 2', 'turn after 1', 'turn after 2']);
});
