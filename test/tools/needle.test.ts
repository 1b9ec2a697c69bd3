/**
 * search_code's byte prefilter (packages/tools/lib/needle.ts) must agree with the text matchers it stands in
 * for: never say "not in this file" where the decoded text contains the pattern (case-sensitive, or
 * lower-cased with smart case), whatever the bytes — broken UTF-8, non-ASCII letters, unaligned buffers.
 */
import { expect, test } from 'vitest';
import { foldAscii, plainNeedle } from '../../packages/tools/lib/needle.js';

/** What search_code matched before the prefilter: the decoded text. */
const textHas = (bytes: Buffer, pattern: string, ci: boolean) => {
  const text = bytes.toString('utf8');
  return ci ? text.toLowerCase().includes(pattern.toLowerCase()) : text.includes(pattern);
};

// A seeded generator: a failure names its case and replays.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const PIECES = ['flatMap', 'FLATMAP', 'flatmap', 'Kind', '\u212Aind', 'İd', 'id', 'é', 'É', '\uFFFD', ' ', '\n', 'x', 'Z', '@', '[', '`', '{'];
const BROKEN = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x84]), Buffer.from([0x80])];
const PATTERNS = ['flatmap', 'flatMap', 'kind', 'Kind', 'id', 'i', 'k', 'é', 'É', '\uFFFD', 'x z', '@[', '`{', 'zz'];

test('the prefilter never misses what the decoded text matches, and says no only where the text has no match', () => {
  const r = rng(1128);
  let said = { no: 0, maybe: 0 };
  for (let n = 0; n < 3000; n++) {
    const parts: Buffer[] = [];
    const k = Math.floor(r() * 12);
    for (let j = 0; j < k; j++) parts.push(r() < 0.1 ? BROKEN[Math.floor(r() * BROKEN.length)]! : Buffer.from(PIECES[Math.floor(r() * PIECES.length)]!, 'utf8'));
    // An offset into a bigger buffer: the word-at-a-time path only runs on aligned views.
    const pad = Math.floor(r() * 4);
    const whole = Buffer.concat([Buffer.alloc(pad), ...parts]);
    const bytes = whole.subarray(pad);
    for (const pattern of PATTERNS) {
      for (const ci of [false, true]) {
        if (ci && /[A-Z]/.test(pattern)) continue; // smart case: only lower-case patterns are searched case-insensitively
        const truth = textHas(bytes, pattern, ci);
        const maybe = plainNeedle(pattern, ci).mayBeIn(bytes);
        if (truth) expect(maybe, `case ${n}: ${JSON.stringify(bytes.toString('latin1'))} / ${pattern} ci=${ci}`).toBe(true);
        if (maybe) said.maybe++;
        else said.no++;
      }
    }
  }
  // It must also filter: most random texts lack most patterns.
  expect(said.no).toBeGreaterThan(said.maybe);
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
