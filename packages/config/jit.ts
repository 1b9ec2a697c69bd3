/**
 * The daemon's V8 compiler policy: TurboFan inlines only small functions.
 *
 * Every thread of the daemon is its own isolate with its own JIT, and parse workers are replaced after each
 * big job, so the daemon compiles its hot code again and again: in a cold full index of effect, V8's
 * background threads spent ~1.1 s of CPU (of ~3.9 s) optimizing code for the two fresh parse workers, the
 * resolve worker and the main thread — on a 2-core machine, CPU the parse workers needed. Inlining callees
 * of up to 60 bytes of bytecode instead of V8's 460 keeps the accessors and small helpers inlined and makes
 * optimizing much cheaper (a parse worker's hot functions are large and call into native tree-sitter, which
 * no inlining speeds up): the cold full index took 1,728-1,745 ms instead of 1,890-1,918, with ~300 ms less
 * CPU (.scratch probe, alternated; turning inlining off entirely gave the same). V8 flags are per process,
 * so the workers get it too.
 */
import { setFlagsFromString } from 'node:v8';

export const MAX_INLINED_BYTECODE_SIZE = 60;

/** For the daemon process: see `applyDaemonV8Flags` (config/index.ts). */
export function limitJitInlining(): void {
  setFlagsFromString(`--max-inlined-bytecode-size=${MAX_INLINED_BYTECODE_SIZE}`);
}
