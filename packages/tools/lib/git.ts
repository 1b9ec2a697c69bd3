/**
 * Running git: `execFile` with an argument array (never a shell string), a timeout and an output cap, in
 * the project's directory. User-supplied revisions are validated before they reach git.
 */
import { execFile } from 'node:child_process';
import { CodehiveError } from '../../protocol/index.js';

const TIMEOUT_MS = 20_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

export interface GitResult {
  stdout: string;
  code: number;
}

export function git(cwd: string, args: string[], signal?: AbortSignal): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'core.quotepath=off', ...args],
      { cwd, timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, signal, encoding: 'utf8', env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, code: 0 });
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        if (e.code === 'ENOENT') return reject(new CodehiveError('NOT_FOUND', 'git is not installed or not on PATH; detect_changes needs it'));
        if (typeof e.code === 'number') return resolve({ stdout: stdout + (stderr ? `\n${stderr}` : ''), code: e.code });
        reject(new CodehiveError('INTERNAL', `git ${args[0]} failed: ${e.message}`));
      },
    );
  });
}

/** Throws unless `base` looks like a revision (branch, tag, sha, HEAD~3, main@{1}); never an option. */
export function validateRevision(base: string): void {
  if (base.startsWith('-') || base.length > 200 || !/^[A-Za-z0-9._/@{}~^-]+$/.test(base) || base.includes('..')) {
    throw new CodehiveError('BAD_REQUEST', `base ${JSON.stringify(base)} is not a revision name (a branch, tag or commit such as main, v1.2, HEAD~3 or a1b2c3d)`);
  }
}
