/**
 * glibc's malloc, seen and steered from Node: returning freed memory to the system, and how much malloc holds.
 *
 * Trim: glibc keeps freed chunks in its arenas for reuse and returns only the top of each heap; after a
 * re-index the parse workers' tree-sitter allocations and the main thread's SQLite and buffer churn leave
 * arenas mostly free but pinned by a few live chunks. The soak's daemon RSS rose 15-20 MB with every full
 * index and checkout, outside every V8 heap. `malloc_trim(0)` (glibc ≥ 2.8) releases the whole free pages of
 * every arena: after 6 full re-indexes of effect, RSS 472 → 294 MB (main arena 118 → 49 MB, the threads'
 * arena 114 → 10 MB).
 *
 * Stats: `mallinfo2` (glibc ≥ 2.33) says how much of that memory is allocated and how much is free, which
 * RSS alone cannot: RSS growing with the bytes in use is memory kept; growing while they stay level is
 * freed memory being touched again (fragmentation), which the next trim returns.
 *
 * Node has no binding for either, so they are called through koffi (a maintained FFI library with prebuilt
 * binaries; no compiler needed at install). Without glibc (musl, macOS) there is nothing to call: trims do
 * nothing and stats are null.
 */
import { createRequire } from 'node:module';

/** koffi's binding: `async` runs the call on libuv's thread pool. */
type Trim = { async(pad: number, done: (err: unknown, released: number) => void): void };

/** The fields of `struct mallinfo2` read here (koffi returns every field; size_t may come as a bigint). */
type MallInfo = { hblkhd: number | bigint; uordblks: number | bigint; fordblks: number | bigint };
/** koffi's binding, called through `async` (libuv's thread pool) only. */
type MallInfo2 = { async(done: (err: unknown, info: MallInfo) => void): void };

interface Glibc {
  trim: Trim;
  /** Null on glibc older than 2.33. */
  mallinfo2: MallInfo2 | null;
}

let glibc: Glibc | null | undefined;

/** Loaded on first use (koffi costs ~6 ms and 3 MB to load); the daemon uses it before it starts serving. */
function load(): Glibc | null {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const trim = libc.func('int malloc_trim(size_t pad)') as unknown as Trim;
    return { trim, mallinfo2: bindMallinfo2(koffi, libc) };
  } catch {
    return null;
  }
}

/** Null where libc has no mallinfo2 (glibc older than 2.33). */
function bindMallinfo2(koffi: typeof import('koffi'), libc: ReturnType<typeof import('koffi').load>): MallInfo2 | null {
  try {
    // Field order as in <malloc.h>; every field is a size_t.
    const fields = ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'];
    const struct = koffi.struct('codehive_mallinfo2', Object.fromEntries(fields.map((f) => [f, 'size_t'])));
    return libc.func('mallinfo2', struct, []) as unknown as MallInfo2;
  } catch {
    return null;
  }
}

function lib(): Glibc | null {
  if (glibc === undefined) glibc = load();
  return glibc;
}

/** True where glibc's malloc_trim can be called. */
export function mallocTrimAvailable(): boolean {
  return lib() !== null;
}

/**
 * Returns the free pages of every malloc arena to the system, off the event loop (a trim of ~170 MB took
 * 15 ms, which the main thread would have spent blocked). Resolves false if nothing was released or there is
 * no glibc.
 */
export function mallocTrim(): Promise<boolean> {
  const g = lib();
  if (!g) return Promise.resolve(false);
  return new Promise((resolve) => g.trim.async(0, (err, released) => resolve(!err && released === 1)));
}

export interface MallocStats {
  /** Allocated by the program and not yet freed, over every arena. */
  inUseBytes: number;
  /** Held by the arenas but free: resident until touched-and-freed pages are trimmed, reusable either way. */
  freeBytes: number;
  /** Large allocations malloc served with their own mmap (returned to the system when freed). */
  mmappedBytes: number;
}

/**
 * Every arena's totals; null without glibc ≥ 2.33. Off the event loop: mallinfo2 takes each arena's lock
 * and walks its free lists, so while the parse workers hammer malloc it waits for them. Called on the main
 * thread by each status read, it held the daemon's loop up to ~25 ms during a full index under 16 sessions.
 */
export function mallocStats(): Promise<MallocStats | null> {
  const info = lib()?.mallinfo2;
  if (!info) return Promise.resolve(null);
  return new Promise((resolve) =>
    info.async((err, m) => resolve(err ? null : { inUseBytes: Number(m.uordblks), freeBytes: Number(m.fordblks), mmappedBytes: Number(m.hblkhd) })),
  );
}
