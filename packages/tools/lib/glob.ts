/**
 * `file_pattern` matching. Globs use picomatch (gitignore-like: a pattern without '/' matches the base
 * name, so `*.test.ts` works anywhere); a plain path without glob characters means that file or folder, so
 * `src/server` matches everything under it.
 */
import picomatch from 'picomatch';
import { CodehiveError } from '../../protocol/index.js';

export type PathFilter = (path: string) => boolean;

export function pathFilter(pattern: string | undefined): PathFilter {
  if (pattern === undefined || pattern === '' || pattern === '**') return () => true;
  if (pattern.length > 500) throw new CodehiveError('BAD_REQUEST', 'file_pattern is longer than 500 characters');
  const p = pattern.replace(/^\.\//, '');
  if (!picomatch.scan(p).isGlob) {
    const dir = p.replace(/\/+$/, '');
    if (!dir.includes('/')) return (path) => path === dir || path.startsWith(dir + '/') || path.endsWith('/' + dir) || path.includes('/' + dir + '/');
    return (path) => path === dir || path.startsWith(dir + '/');
  }
  try {
    return picomatch(p, { basename: !p.includes('/'), dot: true });
  } catch (err) {
    throw new CodehiveError('BAD_REQUEST', `file_pattern ${JSON.stringify(pattern)} is not a valid glob: ${(err as Error).message}`);
  }
}
