/**
 * A small pool of worker threads shared by every index job (the parse workers; the resolve worker is a pool
 * of one). Tasks queue FIFO; each worker runs one at a time. A worker that dies (a native crash in a parser)
 * fails only its task and is replaced.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '../log/index.js';
import { CodehiveError } from '../protocol/index.js';
import { isNativeModuleNotBuilt, nativeModuleNotBuilt } from '../config/native-modules.js';
import { compiledWorkerUrl } from '../config/worker-url.js';
import { STOP_WORKER, type HeapReport, type ThreadHeap } from './worker-reply.js';

/** Workers of a pool idle this long are ended (their memory returned); the next task respawns them. */
const IDLE_RETIRE_MS = 30_000;
/**
 * Once the pool has been quiet this long, a worker that did heavy work is replaced (see `recycleHeavy`) and
 * the workers beyond one are ended (see `retireExtra`).
 */
const SHORT_QUIET_MS = 500;
/** How long `close` lets a worker finish the task (or warm-up) it is in before terminating it anyway. */
const STOP_GRACE_MS = 5_000;

export interface PoolOptions {
  /** The worker's module: a file next to this one (default `worker.js`, the parse worker), or its URL. */
  entry?: string | URL;
  /** `workerData` of every worker. */
  workerData?: unknown;
  /** What the workers are, in errors and logs (default `indexer worker`). */
  name?: string;
  /** Idle time before the workers are ended (default IDLE_RETIRE_MS). */
  idleRetireMs?: number;
  /** V8 heap limits of each worker. */
  resourceLimits?: ResourceLimits;
  /**
   * Work (the weight `run` is given) after which a worker is replaced by a fresh one as soon as the pool
   * goes quiet. Unset: workers live until the pool idles IDLE_RETIRE_MS.
   */
  recycleAfterWeight?: number;
  /** Posted (with no id; the worker answers nothing) to a worker started ahead of need by `warm()`. */
  warmUp?: unknown;
}

interface Pending {
  id: number;
  msg: unknown;
  weight: number;
  transfer: ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current: Pending | null;
  /** Weight of the tasks it ran. */
  worked: number;
  /** Its heap as of its last reply (null before the first). */
  heap: ThreadHeap | null;
}

/** What a pool's workers are doing and holding (for status). */
export interface PoolStats {
  workers: number;
  busy: number;
  /** Workers replaced after heavy work. */
  recycled: number;
  /** Full GCs the workers ran once idle (see `collectWhenIdle`), since the pool began. */
  idleCollections: number;
  /** The live workers' V8 heaps as of their last replies, summed. */
  heapUsedBytes: number;
  heapTotalBytes: number;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers replaced after heavy work. */
  private recycled = 0;
  private idleCollections = 0;
  /** Heavy workers were ended and no standby has started in their place yet (see `startOwedStandby`). */
  private owesStandby = false;

  constructor(
    private readonly size: number,
    private readonly log: Logger,
    private readonly opts: PoolOptions = {},
  ) {}

  private get name(): string {
    return this.opts.name ?? 'indexer worker';
  }

  stats(): PoolStats {
    const sum = (f: (h: ThreadHeap) => number) => this.slots.reduce((n, s) => n + (s.heap ? f(s.heap) : 0), 0);
    return {
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.current).length,
      recycled: this.recycled,
      idleCollections: this.idleCollections,
      heapUsedBytes: sum((h) => h.usedBytes),
      heapTotalBytes: sum((h) => h.totalBytes),
    };
  }

  /** Starts a worker now if none is running (its start-up then overlaps the caller's other work). */
  warm(): void {
    if (this.closed || this.slots.length > 0) return;
    const slot = this.spawn();
    if (this.opts.warmUp !== undefined) slot.worker.postMessage({ msg: this.opts.warmUp });
  }

  /**
   * Queues a task; `weight` is how much work it is (files to parse), counted towards recycleAfterWeight.
   * `transfer`: buffers in `msg` that move to the worker instead of being copied (unusable here afterwards).
   */
  run<T>(msg: unknown, weight = 1, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new CodehiveError('INTERNAL', 'the indexer is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, msg, weight, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const p of this.queue.splice(0)) p.reject(new CodehiveError('CANCELLED', 'the indexer is shutting down'));
    await Promise.all(this.slots.splice(0).map((s) => stopWorker(s.worker)));
  }

  /**
   * Ends the workers that are idle. Tree-sitter 0.21 trees live in native memory that V8 does not see, so a
   * worker's RSS grows with what it parsed until a full GC happens to run (effect: 415 → 558 → 640 MB over
   * three full indexes). A pool idle for IDLE_RETIRE_MS retires its workers; the next task spawns fresh ones
   * (~50 ms, plus a cold JIT — which is why this waits instead of retiring right after every job: the
   * incremental runs that follow an edit stay on warm workers).
   */
  async retireIdle(): Promise<void> {
    const idle = this.slots.filter((s) => !s.current);
    for (const s of idle) this.slots.splice(this.slots.indexOf(s), 1); // their exit is not a death
    await Promise.all(idle.map((s) => stopWorker(s.worker)));
  }

  /**
   * Ends the idle workers that did heavy work now, without waiting for the pool to be quiet: for a caller
   * that knows its parsing is over (the indexer, once a job's files are parsed), so their memory is returned
   * before the job's resolution and writes add theirs. No standby yet: its start-up and warm-up (~150 ms of
   * CPU) competed with the resolve worker on 2 cores (effect's full index: ~100 ms longer). The caller starts
   * it with `startOwedStandby()` once its job no longer needs the cores.
   */
  recycleNow(): void {
    if (this.closed) return;
    void this.recycleHeavy().then(() => this.armIdleRetire());
  }

  /** Starts the standby owed for ended heavy workers (a no-op if none is owed). */
  startOwedStandby(): void {
    if (!this.owesStandby) return;
    this.owesStandby = false;
    this.warm();
  }

  /**
   * Ends the workers that did heavy work, owing one fresh standby in their place (`startOwedStandby`; on
   * the quiet path it starts as soon as they have ended). A parse worker's memory after a full index
   * (its V8 heap, and parsed trees whose native memory waits for wrappers V8 collects only on its own
   * schedule) stayed with it: the soak's daemon climbed 54-61 MB/min through re-indexes, and 8 back-to-back
   * full indexes of effect went 482 → 565 MB even with a full GC in the worker after each. Ending the worker
   * returns all of it (8 full indexes: flat at 460-490 MB). The fresh standby keeps the next edit's parse
   * off a cold start (module load and query compilation; the JIT warms again).
   */
  private async recycleHeavy(): Promise<void> {
    const limit = this.opts.recycleAfterWeight ?? Infinity;
    const heavy = this.slots.filter((s) => !s.current && s.worked >= limit);
    for (const s of heavy) this.slots.splice(this.slots.indexOf(s), 1); // their exit is not a death
    this.recycled += heavy.length;
    if (heavy.length) this.owesStandby = true;
    await Promise.all(heavy.map((s) => stopWorker(s.worker)));
  }

  /**
   * Ends the idle workers beyond one. A job of a few batches (a checkout, a burst of edits) spreads over every
   * worker; one warm worker is enough for the edits that follow, and each extra one held ~8 MB of heap plus
   * its native memory until the pool idled IDLE_RETIRE_MS — which agents editing every few seconds never let
   * it do, so the daemon's resting RSS depended on the last job's size.
   */
  private async retireExtra(): Promise<void> {
    const idle = this.slots.filter((s) => !s.current);
    const keep = idle.reduce((a, b) => (b.worked > a.worked ? b : a), idle[0]!); // the warmest JIT
    const extra = idle.filter((s) => s !== keep);
    for (const s of extra) this.slots.splice(this.slots.indexOf(s), 1); // their exit is not a death
    await Promise.all(extra.map((s) => stopWorker(s.worker)));
  }

  private idleTimer: NodeJS.Timeout | null = null;

  private armIdleRetire(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.closed || this.queue.length || this.slots.some((s) => s.current)) return;
    const heavy = this.slots.some((s) => s.worked >= (this.opts.recycleAfterWeight ?? Infinity));
    const extra = this.slots.length > 1;
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = null;
        if (this.queue.length || this.slots.some((s) => s.current)) return;
        // The standby, or the one worker left, then idles like any worker.
        if (heavy)
          void this.recycleHeavy().then(() => {
            this.startOwedStandby();
            this.armIdleRetire();
          });
        else if (extra) void this.retireExtra().then(() => this.armIdleRetire());
        else void this.retireIdle();
      },
      heavy || extra ? SHORT_QUIET_MS : (this.opts.idleRetireMs ?? IDLE_RETIRE_MS),
    );
    this.idleTimer.unref();
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.current = task;
      slot.worked += task.weight;
      slot.worker.ref(); // an in-flight task keeps the process alive; an idle pool does not
      slot.worker.postMessage({ id: task.id, msg: task.msg }, task.transfer);
    }
  }

  private spawn(): Slot {
    const { entry = 'worker.js', workerData, resourceLimits } = this.opts;
    const url = entry instanceof URL ? entry : compiledWorkerUrl(import.meta.url, entry, 'the parser worker');
    const worker = new Worker(url, { workerData, ...(resourceLimits ? { resourceLimits } : {}) });
    const slot: Slot = { worker, current: null, worked: 0, heap: null };
    worker.on('message', (m: { id?: number; ok?: boolean; result?: unknown; error?: string } & Partial<HeapReport>) => {
      if (m.heap) slot.heap = m.heap;
      if (m.collected) this.idleCollections++;
      const task = slot.current;
      if (!task || task.id !== m.id) return;
      slot.current = null;
      slot.worker.unref();
      if (m.ok) task.resolve(m.result);
      else task.reject(new CodehiveError('INTERNAL', `${this.name} failed: ${m.error}`));
      this.pump();
      this.armIdleRetire();
    });
    const fail = (why: string, err?: Error) => {
      const i = this.slots.indexOf(slot);
      if (i === -1) return;
      this.slots.splice(i, 1);
      if (!this.closed) this.log.warn(`${this.name} died`, { why });
      slot.current?.reject(err && isNativeModuleNotBuilt(err) ? nativeModuleNotBuilt(this.name, err) : new CodehiveError('INTERNAL', `${this.name} died: ${why}`));
      slot.current = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => fail(err.message, err));
    worker.on('exit', (code) => fail(`exit ${code}`));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}

/**
 * Ends a worker between tasks: it is asked to stop and ends once what it is running returns. Terminating
 * it mid-parse aborted the process (worker-reply.ts); only a worker stuck past STOP_GRACE_MS is terminated.
 */
async function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage(STOP_WORKER);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), STOP_GRACE_MS);
  });
  if ((await Promise.race([exited, stuck])) === 'stuck') await worker.terminate();
  clearTimeout(timer);
}
