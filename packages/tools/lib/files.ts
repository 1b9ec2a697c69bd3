/**
 * Reading indexed files back from disk. The graph stores paths relative to the project root; the text is
 * read live (the graph never stores source), so answers show what is on disk now, and say so when a file
 * changed or vanished since it was indexed.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../store/db.js';
import { stmt } from './graph.js';
import { ScratchBuffer } from './scratch.js';
import { turnTaker } from './turns.js';

export interface FileRow {
  path: string;
  language: string;
  size: number;
  mtime_ms: number;
  lines: number;
}

export function indexedFiles(db: Db, snapshot: number): FileRow[] {
  return stmt(db, `SELECT path, language, size, mtime_ms, lines FROM files WHERE snapshot = ? ORDER BY path`).all(snapshot) as FileRow[];
}

export function indexedFile(db: Db, snapshot: number, path: string): FileRow | undefined {
  return stmt(db, `SELECT path, language, size, mtime_ms, lines FROM files WHERE snapshot = ? AND path = ?`).get(snapshot, path) as FileRow | undefined;
}

export function readLines(root: string, path: string): string[] | null {
  const text = readTextIfThere(join(root, path));
  return text === null ? null : splitLines(text);
}

/** A file's text, or null when it cannot be read now (deleted since indexing, a folder, no permission). */
function readTextIfThere(abs: string): string | null {
  return readBytesIfThere(abs)?.toString('utf8') ?? null;
}

function readBytesIfThere(abs: string): Buffer | null {
  try {
    return readBytes(abs);
  } catch {
    return null;
  }
}

/*
 * Source files are read synchronously into one reused buffer. search_code reads every indexed file of a
 * project on each call; with `readFile` each read was four promise-based fs calls, each allocating native
 * memory (request objects, a stat array, the file's buffer) that lived until V8's next collection. In a
 * daemon whose malloc arena had room left by earlier index jobs, twelve sessions searching spread those
 * allocations over ~25 MB of freed pages within two seconds of every malloc trim, and RSS came straight back
 * (docs/benchmarks.md, tenth pass). A synchronous read of a file in the page cache takes microseconds;
 * forEachFile yields to the event loop between slices.
 */
const readBuffer = new ScratchBuffer();

/** A file's text (UTF-8; invalid bytes become U+FFFD, as `readFile(…, 'utf8')` decodes them). */
export function readText(abs: string): string {
  return readBytes(abs).toString('utf8');
}

/** A file's bytes, in the reused buffer: valid until the next read. */
export function readBytes(abs: string): Buffer {
  const fd = openSync(abs, 'r');
  try {
    // One byte more than the size: a read that fills the buffer means the file grew since the stat.
    let buf = readBuffer.get(fstatSync(fd).size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const read = readSync(fd, buf, n, buf.length - n, n);
      if (read === 0) break;
      n += read;
    }
    return readBuffer.keep(buf).subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** True when the file on disk differs (size or mtime) from what was indexed. */
export async function changedOnDisk(root: string, f: FileRow): Promise<boolean> {
  try {
    const st = await stat(join(root, f.path));
    return st.size !== f.size || Math.trunc(st.mtimeMs) !== Math.trunc(f.mtime_ms);
  } catch {
    return true;
  }
}

/**
 * Reads files in order, in slices of the event loop's turns (turns.ts), and visits each with its bytes (null:
 * unreadable now; valid only during the visit, the buffer is reused) — decoded by the visitor only if needed
 * (see needle.ts); stops when `visit` returns false.
 */
export async function forEachFile(root: string, files: readonly FileRow[], visit: (f: FileRow, bytes: Buffer | null) => boolean): Promise<void> {
  const step = turnTaker();
  for (const f of files) {
    await step();
    if (!visit(f, readBytesIfThere(join(root, f.path)))) return;
  }
}
