/**
 * Gives the memory the daemon freed back to the system. glibc keeps freed chunks in its arenas for reuse and
 * returns only the top of each heap; after a re-index the parse workers' tree-sitter allocations and the main
 * thread's SQLite and buffer churn leave arenas mostly free but pinned by a few live chunks. The soak's daemon
 * RSS rose 15-20 MB with every full index and checkout, outside every V8 heap. `malloc_trim(0)` (glibc ≥ 2.8)
 * releases the whole free pages of every arena: after 6 full re-indexes of effect, RSS 472 → 294 MB (main
 * arena 118 → 49 MB, the threads' arena 114 → 10 MB).
 *
 * Node has no binding for it, so it is called through koffi (a maintained FFI library with prebuilt binaries;
 * no compiler needed at install). Without glibc (musl, macOS) there is nothing to call: `available` is false.
 */
import { createRequire } from 'node:module';

/** koffi's binding: `async` runs the call on libuv's thread pool. */
type Trim = { async(pad: number, done: (err: unknown, released: number) => void): void };

let trim: Trim | null | undefined;

/** Loaded on first use, not at the daemon's start-up (koffi costs ~6 ms and 3 MB to load). */
function load(): Trim | null {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    return koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as unknown as Trim;
  } catch {
    return null;
  }
}

/** True where glibc's malloc_trim can be called. */
export function mallocTrimAvailable(): boolean {
  if (trim === undefined) trim = load();
  return trim !== null;
}

/**
 * Returns the free pages of every malloc arena to the system, off the event loop (a trim of ~170 MB took
 * 15 ms, which the main thread would have spent blocked). Resolves false if nothing was released or there is
 * no glibc.
 */
export function mallocTrim(): Promise<boolean> {
  if (!mallocTrimAvailable()) return Promise.resolve(false);
  return new Promise((resolve) => trim!.async(0, (err, released) => resolve(!err && released === 1)));
}
