/**
 * The text of a file the indexer reads for configuration (tsconfig/jsconfig, package.json, .gitignore,
 * .codehiveignore). Such a file is optional by nature: a missing one, a directory in its place or one
 * without read permission means "no configuration here", never a failed index, so every read is null then.
 */
import { readFileSync } from 'node:fs';

export function readConfigText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
