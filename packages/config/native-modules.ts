/**
 * The dependencies with native code, built by their install scripts. Those scripts do not always run: npm 12
 * skips every dependency's script that package.json's `allowScripts` does not allow (ours allows these), and
 * `npm install --ignore-scripts` (or `ignore-scripts=true` in an .npmrc) skips them all. The loaders then fail
 * with their own words — "Could not locate the bindings file. Tried: …" and thirteen paths — which say
 * nothing about what to do; this module turns that into a message that does.
 */
import { CodehiveError } from '../protocol/errors.js';

/** Every dependency whose install script builds what codehive loads (package.json's `allowScripts`). */
export const NATIVE_MODULES = ['better-sqlite3', 'tree-sitter', 'tree-sitter-javascript', 'tree-sitter-typescript', 'koffi', '@parcel/watcher'] as const;

/** What the two binding loaders our modules use throw when the binary was never built. */
const NOT_BUILT = [
  /Could not locate the bindings file/, // `bindings` (better-sqlite3)
  /No native build was found/, // `node-gyp-build` (tree-sitter and its grammars)
];

/** True when `err` is a native module's loader failing because its binary is not there. */
export function isNativeModuleNotBuilt(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return NOT_BUILT.some((re) => re.test(message));
}

/**
 * The error for native code that was never built: what happened, and the command that builds it. `who` names
 * what failed to load (a module, or the thread that loads tree-sitter and its grammars).
 */
export function nativeModuleNotBuilt(who: string, err: unknown): CodehiveError {
  // The loaders' first line, without the list of paths `bindings` announces there.
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/\s*Tried:$/, '');
  return new CodehiveError(
    'NOT_BUILT',
    `${who}: native code not built (${first}); an install script did not run — npm 12 runs only those package.json's allowScripts allows, and --ignore-scripts runs none. ` +
      `Build them in the directory codehive is installed in: npm rebuild ${NATIVE_MODULES.join(' ')}`,
  );
}
