/**
 * Where a worker thread's entry module is. Built code finds it next to the module that starts the worker.
 * Run from TypeScript sources (vitest) a worker thread cannot load `.ts`, so the compiled one in dist/ is
 * used: `npm test` builds first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CodehiveError } from '../protocol/index.js';

export function compiledWorkerUrl(moduleUrl: string, entry: string, what: string): URL {
  const js = new URL(`./${entry}`, moduleUrl);
  if (existsSync(fileURLToPath(js))) return js;
  const at = js.href.lastIndexOf('/packages/');
  const built = new URL(`${js.href.slice(0, at)}/dist${js.href.slice(at)}`);
  if (existsSync(fileURLToPath(built))) return built;
  throw new CodehiveError('INTERNAL', `${what} is not built (${fileURLToPath(built)}); run \`npm run build\``);
}
