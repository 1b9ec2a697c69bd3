/**
 * Answers computed from the database, remembered until the next write. Many agent windows share one
 * daemon and ask the same things (the architecture of the repo they all work in, the same symbol, the
 * same search), and between two writes a read query always returns the same rows, so the second asker
 * gets the first one's work. Every write the daemon makes goes through `Store.write`, which bumps the
 * generation and so drops every memo at once: no answer outlives the data it came from.
 */
export interface MemoStats {
  hits: number;
  misses: number;
  entries: number;
  generation: number;
}

export class QueryMemo {
  private readonly entries = new Map<string, unknown>();
  /** Computations in flight (`getAsync`), shared by every caller asking the same key meanwhile. */
  private readonly pending = new Map<string, Promise<unknown>>();
  private gen = 0;
  private hits = 0;
  private misses = 0;

  /** `maxEntries` bounds memory: the least recently used entry goes first. */
  constructor(private readonly maxEntries = 256) {}

  /** The database changed: every remembered answer is void. */
  invalidate(): void {
    this.gen++;
    this.entries.clear();
    // A computation started before this write may finish after it: later callers must not join it.
    this.pending.clear();
  }

  get generation(): number {
    return this.gen;
  }

  /**
   * The value remembered for `key`, or `compute()`'s (remembered unless it throws). `compute` must depend on
   * nothing but the database and the key: no clock, no file system, no per-caller state. `keep` may refuse
   * an answer that depended on something else after all (a search stopped by its time budget).
   */
  get<T>(key: string, compute: () => T, keep: (value: T) => boolean = () => true): T {
    if (this.entries.has(key)) return this.recall(key);
    this.misses++;
    const gen = this.gen;
    const value = compute();
    // A compute that wrote (it should not) must not store an answer read before its own write.
    if (gen === this.gen && keep(value)) this.remember(key, value);
    return value;
  }

  /**
   * `get` for a computation that runs elsewhere (another thread): callers asking the same key while it runs
   * share it, and its value is remembered only if no write happened meanwhile (it may have read either side
   * of that write).
   */
  getAsync<T>(key: string, compute: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    if (this.entries.has(key)) return Promise.resolve(this.recall(key));
    const running = this.pending.get(key);
    if (running) {
      this.hits++;
      return running as Promise<T>;
    }
    this.misses++;
    const gen = this.gen;
    const p = compute().then((value) => {
      if (gen === this.gen) {
        this.pending.delete(key);
        if (keep(value)) this.remember(key, value);
      }
      return value;
    });
    p.catch(() => {
      if (gen === this.gen) this.pending.delete(key);
    });
    this.pending.set(key, p);
    return p;
  }

  /** A remembered value (a hit), now the most recently used. */
  private recall<T>(key: string): T {
    const value = this.entries.get(key) as T;
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, value);
    this.hits++;
    return value;
  }

  private remember(key: string, value: unknown): void {
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  stats(): MemoStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, generation: this.gen };
  }
}
