/**
 * The daemon's event-loop delay figures (status.eventLoop): a blocked loop shows in the window that saw it,
 * and only there (reset-on-read).
 */
import { describe, expect, it } from 'vitest';
import { EventLoopMonitor } from '../../daemon/status.js';

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* busy */
  }
};

describe('EventLoopMonitor', () => {
  it('reports how late the loop was, per window since the previous read', async () => {
    const m = new EventLoopMonitor();
    m.start();
    try {
      await new Promise((r) => setTimeout(r, 150));
      const idle = m.read();
      expect(idle.samples).toBeGreaterThan(3);
      expect(idle.p50Ms).toBeLessThan(5); // the 10 ms timer period is subtracted
      await new Promise((r) => setTimeout(r, 50));
      block(120);
      await new Promise((r) => setTimeout(r, 100));
      const busy = m.read();
      expect(busy.maxMs).toBeGreaterThan(90);
      expect(busy.windowMs).toBeGreaterThanOrEqual(250);
      await new Promise((r) => setTimeout(r, 150));
      const after = m.read();
      expect(after.maxMs).toBeLessThan(50);
    } finally {
      m.stop();
    }
  });
});
