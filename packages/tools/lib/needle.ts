/**
 * The lines of a file that hold a plain-text pattern, read off the file's raw bytes without decoding them.
 * search_code reads every indexed file on each call; decoding each one to a string (and, for a smart-case
 * pattern, making a lower-cased copy, then splitting the files that held it into lines) was ~2× the
 * project's source in garbage per call (11 MB on effect) and most of the call's time. Now only a file with a
 * hit to show is decoded (docs/benchmarks.md, thirteenth pass).
 *
 * The answer is exact with respect to the text matchers it stands in for — `line.includes(needle)`, and for
 * a case-insensitive pattern `line.toLowerCase().includes(needle)`, over the decoded text's lines — so search
 * results do not change. A needle with no line break matches within one line; UTF-8 decoding never merges
 * an ASCII byte or a whole valid sequence into a neighbour's replacement character, so the pattern's bytes
 * are found exactly where its text is.
 */
import { ScratchBuffer } from './scratch.js';

/** Characters outside ASCII that lower-case to ASCII letters: KELVIN SIGN → k, LATIN CAPITAL I WITH DOT ABOVE → i̇. */
const TO_ASCII_LOWER: ReadonlyArray<{ letter: string; utf8: Buffer }> = [
  { letter: 'k', utf8: Buffer.from('\u212A', 'utf8') },
  { letter: 'i', utf8: Buffer.from('\u0130', 'utf8') },
];

export interface Needle {
  /**
   * The 0-based indexes of the lines (as `splitLines` splits the decoded text) that contain the pattern, read
   * off the bytes; null when only the decoded text can tell (the caller matches that instead).
   */
  linesIn(bytes: Buffer): number[] | null;
}

/** Lower-cased copies go here (the main thread folds one file at a time). */
const folded = new ScratchBuffer();

/**
 * `pattern`: as the user gave it; `caseInsensitive`: matched against the lower-cased text with the pattern
 * lower-cased (smart case).
 */
export function plainNeedle(pattern: string, caseInsensitive: boolean): Needle {
  const wanted = caseInsensitive ? pattern.toLowerCase() : pattern;
  const textOnly: Needle = { linesIn: () => null };
  // U+FFFD in the pattern can match the decoding of broken bytes, which no byte search finds; a line break
  // (or the \r that splitting drops) is never inside one line's text.
  if (/[\uFFFD\r\n]/.test(wanted) || wanted === '') return textOnly;
  const bytes = Buffer.from(wanted, 'utf8');
  if (!caseInsensitive) return { linesIn: (b) => linesHolding(b, bytes) };
  // Folding bytes folds ASCII only; other letters' lower-casing needs the decoded text.
  if (!/^[\x00-\x7f]*$/.test(wanted)) return textOnly;
  const special = TO_ASCII_LOWER.filter((c) => wanted.includes(c.letter)).map((c) => c.utf8);
  return {
    linesIn: (b) => (special.some((s) => b.indexOf(s) >= 0) ? null : linesHolding(foldAscii(b), bytes)),
  };
}

const NEWLINE = 0x0a;

/** Lines of `hay` holding `needle` (which holds no line break), counted by newlines: one entry per line. */
function linesHolding(hay: Buffer, needle: Buffer): number[] {
  const lines: number[] = [];
  let at = hay.indexOf(needle);
  let line = 0;
  let counted = 0; // newlines before this offset are in `line`
  while (at >= 0) {
    for (let nl = hay.indexOf(NEWLINE, counted); nl >= 0 && nl < at; nl = hay.indexOf(NEWLINE, counted)) {
      line++;
      counted = nl + 1;
    }
    lines.push(line);
    const end = hay.indexOf(NEWLINE, at + needle.length);
    if (end < 0) break;
    line++;
    counted = end + 1;
    at = hay.indexOf(needle, counted);
  }
  return lines;
}

/** `bytes` with A-Z lower-cased, in the shared buffer (valid until the next call). */
export function foldAscii(bytes: Buffer): Buffer {
  const n = bytes.length;
  const out = folded.get(n).subarray(0, n);
  // Four bytes at a time where both sides are 4-byte aligned (our read buffers are), a byte at a time otherwise.
  let i = 0;
  if (bytes.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    const words = n >>> 2;
    const src = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    const dst = new Uint32Array(out.buffer, out.byteOffset, words);
    for (let w = 0; w < words; w++) {
      const x = src[w]!;
      // Per byte, with no carries between bytes (each sum stays under 0x100): bit 7 of `h + 0x3f` says
      // `h >= 'A'`, of `h + 0x25` says `h > 'Z'`; `~x` keeps bytes that are ASCII (not UTF-8 sequence bytes).
      const h = x & 0x7f7f7f7f;
      const upper = (h + 0x3f3f3f3f) & ~(h + 0x25252525) & ~x & 0x80808080;
      dst[w] = x | (upper >>> 2);
    }
    i = words * 4;
  }
  for (; i < n; i++) {
    const c = bytes[i]!;
    out[i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  return out;
}
