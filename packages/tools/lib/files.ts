/**
 * Reading indexed files back from disk. The graph stores paths relative to the project root; the text is
 * read live (the graph never stores source), so answers show what is on disk now, and say so when a file
 * changed or vanished since it was indexed.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../store/db.js';
import { stmt } from './graph.js';

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

export async function readLines(root: string, path: string): Promise<string[] | null> {
  try {
    return splitLines(await readFile(join(root, path), 'utf8'));
  } catch {
    return null;
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
 * Reads files in order with a few reads in flight (sequential awaits would leave the disk idle; all at once
 * would hold every file in memory). Stops when `visit` returns false.
 */
export async function forEachFile(root: string, files: readonly FileRow[], visit: (f: FileRow, lines: string[] | null) => boolean, ahead = 8): Promise<void> {
  const pending: Array<Promise<string[] | null>> = [];
  let next = 0;
  const fill = () => {
    while (pending.length < ahead && next < files.length) pending.push(readLines(root, files[next++]!.path));
  };
  fill();
  for (let i = 0; i < files.length; i++) {
    const lines = await pending.shift()!;
    fill();
    if (!visit(files[i]!, lines)) break;
  }
  // Let abandoned reads settle quietly.
  await Promise.allSettled(pending);
}
