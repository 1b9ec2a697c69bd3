/**
 * A buffer reused from call to call for bytes the main thread handles one piece at a time (a file being read,
 * its lower-cased copy). At least MIN_BYTES, so it is a mapping of its own above the daemon's mmap threshold
 * (config: MALLOC_MMAP_THRESHOLD_) rather than arena memory that later allocations fragment; one grown past
 * KEPT_BYTES for a big file is used once and not kept (the one before it is).
 */
const MIN_BYTES = 256 * 1024;
const KEPT_BYTES = 4 * 1024 * 1024;

export class ScratchBuffer {
  private kept: Buffer | null = null;

  /** A buffer of at least `atLeast` bytes, offset 0 in its own memory; valid until the next `get` or `keep`. */
  get(atLeast: number): Buffer {
    if (this.kept && this.kept.length >= atLeast) return this.kept;
    return this.keep(Buffer.allocUnsafeSlow(Math.max(MIN_BYTES, atLeast)));
  }

  /** Offers a buffer the caller grew itself; kept unless too big. Returns it. */
  keep(buf: Buffer): Buffer {
    if (buf.length <= KEPT_BYTES) this.kept = buf;
    return buf;
  }
}
