/**
 * Output budget. An agent's host warns at ~10k tokens and some cap at 25k, so no answer's text may exceed
 * TEXT_BUDGET bytes (≈ 8k tokens at ~4 bytes a token). Paged tools fit whole result blocks into the budget
 * and page on from the first block that did not fit, so a cut is never silent and never skips a result.
 */
export const TEXT_BUDGET = 32 * 1024;
/** Room kept for footer lines (truncation marker, cursor, freshness) when fitting result blocks. */
export const FOOTER_RESERVE = 600;

export function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * How many of `blocks` (each one or more lines, joined by '\n') fit in `budget` bytes. At least one, so a
 * pager always makes progress; a single oversized block is clipped later by `clipText`.
 */
export function fitBlocks(blocks: readonly string[], budget: number): number {
  let used = 0;
  for (let i = 0; i < blocks.length; i++) {
    used += bytes(blocks[i]!) + 1;
    if (used > budget) return Math.max(1, i);
  }
  return blocks.length;
}

/** The final guard: cuts `text` at a line boundary under `budget` bytes and says how much was cut. */
export function clipText(text: string, budget = TEXT_BUDGET): string {
  if (bytes(text) <= budget) return text;
  const marker = (n: number) => `… [output cut at the ${Math.round(budget / 1024)} KB budget: ${n} more lines not shown; narrow the request]`;
  const lines = text.split('\n');
  let used = 0;
  let keep = 0;
  const room = budget - bytes(marker(lines.length)) - 1;
  while (keep < lines.length && used + bytes(lines[keep]!) + 1 <= room) used += bytes(lines[keep++]!) + 1;
  if (keep === 0) {
    // One giant line: cut inside it, on a character boundary.
    const head = Buffer.from(lines[0]!, 'utf8').subarray(0, room).toString('utf8').replace(/\uFFFD$/, '');
    return head + '\n' + marker(lines.length - 1);
  }
  return lines.slice(0, keep).join('\n') + '\n' + marker(lines.length - keep);
}

/** Shortens one display line (long signatures, minified code) so a single result cannot eat the budget. */
export function clipLine(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}
