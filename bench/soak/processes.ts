/**
 * The processes the soak runs besides the MCP sessions: the codehive CLI (index, stop, export) and git (the
 * corpus copy is a repository with two branches to check out).
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';

export const REPO = repoRoot();
export const BIN = join(REPO, 'bin/codehive.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(env: NodeJS.ProcessEnv, args: string[], cwd: string, timeoutMs = 600_000): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs }, (err: ExecFileException | null, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - started });
    });
  });
}

export function git(cwd: string, args: string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'soak',
    GIT_AUTHOR_EMAIL: 'soak@localhost',
    GIT_COMMITTER_NAME: 'soak',
    GIT_COMMITTER_EMAIL: 'soak@localhost',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return new Promise((resolve, reject) => {
    execFile('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}
