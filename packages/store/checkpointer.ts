/**
 * Runs PASSIVE checkpoints on a thread of their own (checkpoint-worker.ts) and reports each result. Requests
 * made while one runs are coalesced into one more run after it: a checkpoint copies everything committed
 * so far, so two queued ones would do the work of one.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_YOUNG_GENERATION_MB } from '../config/heap.js';
import { compiledWorkerUrl } from '../config/worker-url.js';

export interface CheckpointReply {
  reason: string;
  ok: boolean;
  busy?: number;
  log?: number;
  checkpointed?: number;
  error?: string;
  ms: number;
}

export class Checkpointer {
  private readonly worker: Worker;
  private running = false;
  private queued: string | null = null;

  constructor(dbPath: string, onReply: (r: CheckpointReply) => void) {
    this.worker = new Worker(compiledWorkerUrl(import.meta.url, 'checkpoint-worker.js', 'the checkpoint thread'), {
      workerData: { path: dbPath },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB.checkpoint },
    });
    this.worker.unref();
    this.worker.on('message', (r: CheckpointReply) => {
      this.running = false;
      onReply(r);
      if (this.queued !== null) {
        const next = this.queued;
        this.queued = null;
        this.request(next);
      }
    });
    this.worker.on('error', (err) => {
      this.running = false;
      onReply({ reason: 'checkpoint thread', ok: false, error: err.message, ms: 0 });
    });
  }

  request(reason: string): void {
    if (this.running) {
      this.queued = reason;
      return;
    }
    this.running = true;
    this.worker.postMessage(reason);
  }

  /** Stops the thread (its connection closes with it); a checkpoint in progress finishes first. */
  close(): Promise<number> {
    return this.worker.terminate();
  }
}
