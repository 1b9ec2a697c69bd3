/**
 * The HEAD commit of a repository, read from `.git` files directly (no process spawned): HEAD, the ref it
 * points to, or packed-refs. Handles worktrees/submodules whose `.git` is a `gitdir:` file. Null when the
 * root is not a git checkout or anything is unreadable.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export function readGitHead(root: string): string | null {
  try {
    const gitDir = findGitDir(root);
    if (!gitDir) return null;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40,64}$/.test(head)) return head;
    const m = /^ref:\s*(\S+)$/.exec(head);
    if (!m) return null;
    return readRef(gitDir, m[1]!) ?? readRef(commonDir(gitDir), m[1]!);
  } catch {
    return null;
  }
}

function findGitDir(root: string): string | null {
  const dotGit = join(root, '.git');
  const st = statSync(dotGit, { throwIfNoEntry: false });
  if (!st) return null;
  if (st.isDirectory()) return dotGit;
  const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!m) return null;
  const p = m[1]!.trim();
  return isAbsolute(p) ? p : resolve(root, p);
}

/** A linked worktree keeps shared refs in the main repository's git dir. */
function commonDir(gitDir: string): string {
  try {
    const p = readFileSync(join(gitDir, 'commondir'), 'utf8').trim();
    return isAbsolute(p) ? p : resolve(gitDir, p);
  } catch {
    return gitDir;
  }
}

function readRef(gitDir: string, ref: string): string | null {
  try {
    const v = readFileSync(join(gitDir, ref), 'utf8').trim();
    if (/^[0-9a-f]{40,64}$/.test(v)) return v;
  } catch {
    /* maybe packed */
  }
  try {
    for (const line of readFileSync(join(gitDir, 'packed-refs'), 'utf8').split('\n')) {
      const [sha, name] = line.trim().split(' ');
      if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
    }
  } catch {
    /* no packed refs */
  }
  return null;
}
