/**
 * search_code's byte search (packages/tools/lib/needle.ts) must find exactly the lines the text matchers it
 * stands in for find in the decoded text (case-sensitive, or lower-cased with smart case), whatever the
 * bytes — broken UTF-8, non-ASCII letters, \r\n and lone \r, unaligned buffers.
 */
import { expect, test } from 'vitest';
import { splitLines } from '../../packages/tools/lib/files.js';
import { foldAscii, plainNeedle } from '../../packages/tools/lib/needle.js';

/** What search_code matches without the byte search: the decoded text's lines. */
const textLines = (bytes: Buffer, pattern: string, ci: boolean) => {
  const want = ci ? pattern.toLowerCase() : pattern;
  return splitLines(bytes.toString('utf8')).flatMap((line, i) => ((ci ? line.toLowerCase() : line).includes(want) ? [i] : []));
};

// A seeded generator: a failure names its case and replays.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const PIECES = ['flatMap', 'FLATMAP', 'flatmap', 'Kind', '\u212Aind', 'İd', 'id', 'é', 'É', '\uFFFD', ' ', '\n', '\r\n', '\r', '\n\n', 'x', 'Z', '@', '[', '`', '{'];
const BROKEN = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x84]), Buffer.from([0x80])];
const PATTERNS = ['flatmap', 'flatMap', 'kind', 'Kind', 'id', 'i', 'k', 'é', 'É', '\uFFFD', 'x z', '@[', '`{', 'zz', 'd\r', 'x\ny'];

test('the lines read off the bytes are the lines the decoded text matches', () => {
  const r = rng(1128);
  const answered = { bytes: 0, text: 0, hits: 0 };
  for (let n = 0; n < 3000; n++) {
    const parts: Buffer[] = [];
    const k = Math.floor(r() * 16);
    for (let j = 0; j < k; j++) parts.push(r() < 0.1 ? BROKEN[Math.floor(r() * BROKEN.length)]! : Buffer.from(PIECES[Math.floor(r() * PIECES.length)]!, 'utf8'));
    // An offset into a bigger buffer: the word-at-a-time folding only runs on aligned views.
    const pad = Math.floor(r() * 4);
    const bytes = Buffer.concat([Buffer.alloc(pad), ...parts]).subarray(pad);
    for (const pattern of PATTERNS) {
      for (const ci of [false, true]) {
        if (ci && /[A-Z]/.test(pattern)) continue; // smart case: only lower-case patterns are searched case-insensitively
        const lines = plainNeedle(pattern, ci).linesIn(bytes);
        if (lines === null) {
          answered.text++;
          continue;
        }
        answered.bytes++;
        answered.hits += lines.length;
        expect(lines, `case ${n}: ${JSON.stringify(bytes.toString('latin1'))} / ${JSON.stringify(pattern)} ci=${ci}`).toEqual(textLines(bytes, pattern, ci));
      }
    }
  }
  // The bytes answer most cases (the text only for U+FFFD, line breaks, non-ASCII smart case, K/İ), with hits.
  expect(answered.bytes).toBeGreaterThan(answered.text * 2);
  expect(answered.hits).toBeGreaterThan(1000);
});

test('folding lower-cases A-Z only, word by word and byte by byte alike', () => {
  // Every byte value in every lane of a word: 256 values then 257 of them shift by one lane each round.
  const r = rng(7);
  const all = Buffer.from([...Array.from({ length: 256 * 4 + 3 }, (_, i) => i % 257 % 256), ...Array.from({ length: 4096 }, () => Math.floor(r() * 256))]);
  for (const off of [0, 1, 2, 3]) {
    const view = Buffer.concat([Buffer.alloc(off), all]).subarray(off);
    const want = Buffer.from(view.map((c) => (c >= 0x41 && c <= 0x5a ? c + 32 : c)));
    expect(Buffer.compare(foldAscii(view), want)).toBe(0);
  }
});
