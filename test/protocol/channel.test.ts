/**
 * The session channel's framing (packages/protocol/channel.ts): lines split from a byte stream wherever the
 * chunks break, frames encoded and decoded. The daemon and clients over real sockets are in
 * test/backbone/socket.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeError, encodeFrame, LineSplitter, toMcpResult } from '../../packages/protocol/channel.js';

function split(chunks: Buffer[], maxLine?: number) {
  const lines: string[] = [];
  let overflowed = 0;
  const s = new LineSplitter((l) => lines.push(l), () => overflowed++, maxLine);
  for (const c of chunks) s.push(c);
  return { lines, overflowed };
}

describe('LineSplitter', () => {
  it('gives the same lines however the stream is chunked, multi-byte characters included', () => {
    const text = '{"a":"héllo ✓ 🐝"}\n\n{"b":2}\n{"c":"' + 'x'.repeat(5000) + '"}\n';
    const bytes = Buffer.from(text, 'utf8');
    const whole = split([bytes]).lines;
    expect(whole).toEqual(['{"a":"héllo ✓ 🐝"}', '{"b":2}', `{"c":"${'x'.repeat(5000)}"}`]);
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(split(chunks).lines, `chunks of ${size} bytes`).toEqual(whole);
    }
  });

  it('keeps an unfinished line until its newline arrives', () => {
    const s = split([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2')]);
    expect(s.lines).toEqual(['{"a":1}']);
  });

  it('stops at a line longer than the limit, within a chunk or across chunks', () => {
    expect(split([Buffer.from('short\n' + 'y'.repeat(20) + '\nafter\n')], 10)).toEqual({ lines: ['short'], overflowed: 1 });
    expect(split([Buffer.from('z'.repeat(8)), Buffer.from('z'.repeat(8)), Buffer.from('\nafter\n')], 10)).toEqual({ lines: [], overflowed: 1 });
  });
});

describe('frames', () => {
  it('round-trip through encode and decode, payload untouched', () => {
    const line = encodeFrame(42, 'result', toMcpResult({ text: 'a b\nc', data: { n: 1 } })).trimEnd();
    const f = decodeFrame(line)!;
    expect([f.call, f.kind]).toEqual([42, 'result']);
    expect(JSON.parse(f.payload)).toEqual({ content: [{ type: 'text', text: 'a b\nc' }], structuredContent: { n: 1 } });
    expect(decodeFrame(encodeError(0, { code: 'BAD_REQUEST', message: 'no' }).trimEnd())).toEqual({ call: 0, kind: 'error', payload: '{"code":"BAD_REQUEST","message":"no"}' });
  });

  it('a tool error carries no structured content', () => {
    expect(toMcpResult({ text: 'nope', data: { x: 1 }, isError: true })).toEqual({ content: [{ type: 'text', text: 'nope' }], isError: true });
  });

  it('lines that are not frames decode to null', () => {
    for (const bad of ['', 'result {}', '7 answer {}', 'x result {}', '7result {}']) expect(decodeFrame(bad), bad).toBeNull();
  });
});
