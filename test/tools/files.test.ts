/**
 * Reading source back from disk (packages/tools/lib/files.ts): one reused buffer, synchronous reads. The
 * text must be what `readFile(…, 'utf8')` gives, whatever the file's size or bytes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readLines, readText } from '../../packages/tools/lib/files.js';

const dir = mkdtempSync(join(tmpdir(), 'codehive-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('files smaller and larger than the reused buffer, one after the other, read whole', () => {
  const line = (i: number) => `export const v${i} = ${i}; // ${'x'.repeat(40)}\n`;
  const sizes = [10, 9_000, 40, 30_000, 3]; // 9,000 and 30,000 lines: past the 256 KiB buffer
  sizes.forEach((n, k) => writeFileSync(join(dir, `f${k}.ts`), Array.from({ length: n }, (_, i) => line(i)).join('')));
  for (const [k, n] of sizes.entries()) {
    const text = readText(join(dir, `f${k}.ts`));
    expect(text).toBe(readFileSync(join(dir, `f${k}.ts`), 'utf8'));
    expect(readLines(dir, `f${k}.ts`)).toHaveLength(n);
  }
});

test('broken UTF-8 decodes as readFile decodes it; an empty file is empty', () => {
  writeFileSync(join(dir, 'bad.ts'), Buffer.from([0x63, 0x6f, 0x6e, 0x73, 0x74, 0x20, 0xff, 0xfe, 0xc3, 0x0a, 0xe2, 0x82, 0xac]));
  expect(readText(join(dir, 'bad.ts'))).toBe(readFileSync(join(dir, 'bad.ts'), 'utf8'));
  writeFileSync(join(dir, 'empty.ts'), '');
  expect(readText(join(dir, 'empty.ts'))).toBe('');
});

test('a missing file or a folder reads as null, not an error', () => {
  expect(readLines(dir, 'nope.ts')).toBeNull();
  expect(readLines(dir, '.')).toBeNull();
});
