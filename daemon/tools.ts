/**
 * Tool calls: validate the arguments against the shared schema, build the handler's context, run it, and
 * hand progress and the answer to the transport that carried the call (an HTTP request answered with
 * NDJSON, or a session channel). The transport's cancellation aborts the handler's signal.
 */
import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DaemonSettings } from '../packages/config/index.js';
import type { Logger } from '../packages/log/index.js';
import {
  asCodehiveError,
  CodehiveError,
  type ErrorBody,
  type ProgressPayload,
  type ToolCallRequest,
  type ToolEvent,
  type ToolResult,
} from '../packages/protocol/index.js';
import type { Store } from '../packages/store/db.js';
import { deleteProjectData } from '../packages/store/snapshots.js';
import type { ProjectRow } from '../packages/store/projects.js';
import type { ToolContext, ToolHandler } from '../packages/tools/context.js';
import { isToolName, TOOL_INPUTS, type ToolName } from '../packages/tools/definitions.js';
import type { Indexer } from '../packages/indexer/api.js';
import { WholeGraphReads } from '../packages/tools/lib/whole-graph.js';
import { JobManager } from './jobs.js';
import { ProjectResolver, type ChangeFeed } from './projects.js';
import type { SessionRegistry } from './sessions.js';

export type HandlerMap = { [N in ToolName]: ToolHandler<N> };

export interface ToolDeps {
  store: Store;
  reads: WholeGraphReads;
  settings: DaemonSettings;
  log: Logger;
  sessions: SessionRegistry;
  jobs: JobManager;
  projects: ProjectResolver;
  handlers: HandlerMap;
  /** Stops watching a project before its data is deleted. */
  forget(project: ProjectRow): Promise<void>;
  /** Aborted when the daemon shuts down. */
  shutdownSignal: AbortSignal;
}

const validators = new Map<ToolName, z.ZodTypeAny>();
function validatorFor(name: ToolName): z.ZodTypeAny {
  let v = validators.get(name);
  if (!v) validators.set(name, (v = z.object(TOOL_INPUTS[name]).strict()));
  return v;
}

/** Parses `args` for `name`, or throws BAD_REQUEST naming each offending argument. */
export function validateArgs(name: string, args: unknown): { name: ToolName; args: Record<string, unknown> } {
  if (!isToolName(name)) throw new CodehiveError('UNKNOWN_TOOL', `unknown tool ${JSON.stringify(name)}; tools are: ${Object.keys(TOOL_INPUTS).join(', ')}`);
  const parsed = validatorFor(name).safeParse(args ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
    throw new CodehiveError('BAD_REQUEST', `invalid arguments for ${name}: ${detail}`);
  }
  return { name, args: parsed.data as Record<string, unknown> };
}

/** Where a call's events go: the HTTP route writes NDJSON, a session channel writes frames. */
export interface CallSink {
  progress(p: ProgressPayload): void;
  /** Exactly one of `result` and `error` is called, once, last. */
  result(result: ToolResult): void;
  error(error: ErrorBody): void;
}

export class ToolRunner {
  private inflight = 0;
  /** Calls in flight by tool name (stall-watch.ts names them). */
  private readonly running = new Map<string, number>();

  constructor(private readonly deps: ToolDeps) {
    // One listener per call in flight on the shutdown signal: hundreds at once are normal, not a leak.
    setMaxListeners(0, deps.shutdownSignal);
  }

  get active(): number {
    return this.inflight;
  }

  /** Tool names in flight, with counts. */
  inFlight(): Record<string, number> {
    return Object.fromEntries(this.running);
  }

  /** Answers `POST /v1/tools/:name`: NDJSON events on `res`; the client closing the request cancels the call. */
  async handle(rawName: string, body: ToolCallRequest, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    // The head goes out with the first line; a call without progress is then one write (head + result).
    const send = (ev: ToolEvent, last = false) => {
      if (res.writableEnded || res.destroyed) return;
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      const line = JSON.stringify(ev) + '\n';
      if (last) res.end(line);
      else res.write(line);
    };
    await this.run(rawName, body, controller, {
      progress: (p) => send({ type: 'progress', ...p }),
      result: (result) => send({ type: 'result', result }, true),
      error: (error) => send({ type: 'error', error }, true),
    });
    if (!res.writableEnded) res.end();
  }

  /**
   * Runs one call, whatever carried it (an HTTP request or a session channel): validates, runs the handler,
   * and hands its progress and its one answer to `sink`. `controller` is the caller's (cancellation); the
   * daemon shutting down aborts it too. Never throws.
   */
  async run(rawName: string, body: ToolCallRequest, controller: AbortController, sink: CallSink): Promise<void> {
    const onShutdown = () => controller.abort();
    this.deps.shutdownSignal.addEventListener('abort', onShutdown);
    this.inflight++;
    this.running.set(rawName, (this.running.get(rawName) ?? 0) + 1);
    const started = performance.now();
    try {
      sink.result(await this.call(rawName, body, controller.signal, body.progress ? sink.progress : null));
    } catch (err) {
      const e = controller.signal.aborted && !(err instanceof CodehiveError) ? new CodehiveError('CANCELLED', `${rawName} was cancelled`) : asCodehiveError(err);
      if (e.code === 'INTERNAL') this.deps.log.error('tool failed', { tool: rawName, err });
      sink.error(e.toBody());
    } finally {
      this.inflight--;
      const left = (this.running.get(rawName) ?? 1) - 1;
      if (left > 0) this.running.set(rawName, left);
      else this.running.delete(rawName);
      this.deps.shutdownSignal.removeEventListener('abort', onShutdown);
      this.deps.log.debug('tool', { tool: rawName, ms: Math.round(performance.now() - started) });
    }
  }

  private async call(rawName: string, body: ToolCallRequest, signal: AbortSignal, progress: CallSink['progress'] | null): Promise<ToolResult> {
    const { name, args } = validateArgs(rawName, body.arguments);
    const session = body.sessionId ? this.deps.sessions.get(body.sessionId) : undefined;
    if (session) session.calls++;
    const ctx = buildToolContext(this.deps, {
      cwd: session?.cwd ?? body.cwd ?? '/',
      roots: session?.roots ?? [],
      signal,
      progress: progress ? (done, total, message) => progress({ progress: done, total, message }) : undefined,
    });
    const handler = this.deps.handlers[name] as ToolHandler<ToolName>;
    return handler(ctx, args as never);
  }
}

/** What one call's context is scoped to. */
export interface CallScope {
  cwd: string;
  roots: string[];
  signal: AbortSignal;
  progress?: (done: number, total?: number, message?: string) => void;
}

export type ContextDeps = Pick<ToolDeps, 'store' | 'reads' | 'settings' | 'log' | 'jobs' | 'projects' | 'forget'>;

/** The one implementation of ToolContext (the daemon's, and the tool tests'). */
export function buildToolContext(deps: ContextDeps, scope: CallScope): ToolContext {
  const { store, reads, settings, log, jobs, projects } = deps;
  const { cwd, roots } = scope;
  return {
    store,
    reads,
    settings,
    log,
    signal: scope.signal,
    cwd,
    roots,
    project: async (arg) => projects.makeFresh(projects.find(arg, cwd, roots)),
    findProject: (arg) => projects.find(arg, cwd, roots),
    job: (project) => jobs.info(project.root),
    // The caller's cancellation withdraws it from the job; the job stops if nobody else wants it.
    index: (root, mode, onProgress) => jobs.run(projects.canonicalRoot(root, cwd), mode, { onProgress, signal: scope.signal }),
    deleteProject: async (project) => {
      await deps.forget(project);
      await jobs.cancel(project.root);
      await deleteProjectData(store, project.id);
    },
    freshness: (project) => projects.freshness(project),
    progress: (done, total, message) => scope.progress?.(done, total, message),
  };
}

/**
 * The daemon's tool-serving stack without a socket or watchers: the real job manager, project resolver and
 * context. For tests and benchmarks that call handlers in-process; whole-graph reads run inline unless
 * `reads` is given.
 */
export function localToolStack(store: Store, settings: DaemonSettings, log: Logger, indexer: Indexer, reads = new WholeGraphReads(store, null)) {
  const jobs = new JobManager(indexer, log);
  const unwatched: ChangeFeed = {
    pending: () => 0,
    flush: async () => undefined,
    watched: () => false,
    state: () => 'off',
    open: async () => undefined,
    caughtUp: () => true,
    subscribed: async () => undefined,
  };
  const projects = new ProjectResolver(store, jobs, unwatched, settings, indexer);
  const deps: ContextDeps = { store, reads, settings, log, jobs, projects, forget: async () => undefined };
  return { jobs, projects, context: (scope: CallScope) => buildToolContext(deps, scope) };
}
