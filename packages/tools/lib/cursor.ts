/**
 * Opaque paging cursors: base64url JSON of the offset, a fingerprint of the query (so a cursor cannot be
 * replayed against a different query and silently return unrelated rows) and the snapshot it was cut from
 * (so a page taken after a re-index can say the results may have shifted).
 */
import { createHash } from 'node:crypto';
import { CodehiveError } from '../../protocol/index.js';

interface CursorBody {
  o: number;
  f: string;
  s: number | null;
}

export function fingerprint(parts: unknown): string {
  return createHash('sha1').update(JSON.stringify(parts)).digest('base64url').slice(0, 10);
}

export function encodeCursor(offset: number, fp: string, snapshot: number | null): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fp, s: snapshot } satisfies CursorBody)).toString('base64url');
}

export interface PageStart {
  offset: number;
  /** Set when the graph changed between pages. */
  shifted: boolean;
}

export function decodeCursor(cursor: string | undefined, fp: string, snapshot: number | null): PageStart {
  if (!cursor) return { offset: 0, shifted: false };
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new CodehiveError('BAD_REQUEST', 'cursor is not one this tool issued; repeat the query without cursor');
  }
  if (typeof body?.o !== 'number' || !Number.isInteger(body.o) || body.o < 0 || typeof body.f !== 'string') {
    throw new CodehiveError('BAD_REQUEST', 'cursor is not one this tool issued; repeat the query without cursor');
  }
  if (body.f !== fp) {
    throw new CodehiveError('BAD_REQUEST', 'cursor belongs to a different query (arguments changed); repeat the query without cursor');
  }
  return { offset: body.o, shifted: body.s !== snapshot };
}
