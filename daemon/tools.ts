/**
 * Tool calls: validate the arguments against the shared schema, build the handler's context, run it, and
 * stream the answer back as NDJSON (progress lines, then one result or error line). The client closing
 * the request aborts the handler's signal (MCP cancellation is forwarded this way).
 */
import { setMaxListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DaemonSettings } from '../packages/config/index.js';
import type { Logger } from '../packages/log/index.js';
import { asCodehiveError, CodehiveError, type ToolCallRequest, type ToolEvent, type ToolResult } from '../packages/protocol/index.js';
import type { Store } from '../packages/store/db.js';
import { deleteProjectData } from '../packages/store/snapshots.js';
import type { ProjectRow } from '../packages/store/projects.js';
import type { ToolContext, ToolHandler } from '../packages/tools/context.js';
import { isToolName, TOOL_INPUTS, type ToolName } from '../packages/tools/definitions.js';
import type { Indexer } from '../packages/indexer/api.js';
import { JobManager } from './jobs.js';
import { ProjectResolver, type ChangeFeed } from './projects.js';
import type { SessionRegistry } from './sessions.js';

export type HandlerMap = { [N in ToolName]: ToolHandler<N> };

export interface ToolDeps {
  store: Store;
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

export class ToolRunner {
  private inflight = 0;

  constructor(private readonly deps: ToolDeps) {
    // One listener per call in flight on the shutdown signal: hundreds at once are normal, not a leak.
    setMaxListeners(0, deps.shutdownSignal);
  }

  get active(): number {
    return this.inflight;
  }

  /** Runs a call and writes NDJSON events to `res`. Never throws. */
  async handle(rawName: string, body: ToolCallRequest, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    const onShutdown = () => controller.abort();
    this.deps.shutdownSignal.addEventListener('abort', onShutdown);
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
    this.inflight++;
    const started = performance.now();
    try {
      const result = await this.call(rawName, body, controller.signal, send);
      send({ type: 'result', result }, true);
    } catch (err) {
      const e = controller.signal.aborted && !(err instanceof CodehiveError) ? new CodehiveError('CANCELLED', `${rawName} was cancelled`) : asCodehiveError(err);
      if (e.code === 'INTERNAL') this.deps.log.error('tool failed', { tool: rawName, err });
      send({ type: 'error', error: e.toBody() }, true);
    } finally {
      this.inflight--;
      this.deps.shutdownSignal.removeEventListener('abort', onShutdown);
      this.deps.log.debug('tool', { tool: rawName, ms: Math.round(performance.now() - started) });
      if (!res.writableEnded) res.end();
    }
  }

  private async call(rawName: string, body: ToolCallRequest, signal: AbortSignal, send: (ev: ToolEvent) => void): Promise<ToolResult> {
    const { name, args } = validateArgs(rawName, body.arguments);
    const session = body.sessionId ? this.deps.sessions.get(body.sessionId) : undefined;
    if (session) session.calls++;
    const ctx = this.context(session?.cwd ?? body.cwd ?? '/', session?.roots ?? [], signal, body.progress ? send : null);
    const handler = this.deps.handlers[name] as ToolHandler<ToolName>;
    return handler(ctx, args as never);
  }

  private context(cwd: string, roots: string[], signal: AbortSignal, send: ((ev: ToolEvent) => void) | null): ToolContext {
    return buildToolContext(this.deps, {
      cwd,
      roots,
      signal,
      progress: send ? (progress, total, message) => send({ type: 'progress', progress, total, message }) : undefined,
    });
  }
}

/** What one call's context is scoped to. */
export interface CallScope {
  cwd: string;
  roots: string[];
  signal: AbortSignal;
  progress?: (done: number, total?: number, message?: string) => void;
}

export type ContextDeps = Pick<ToolDeps, 'store' | 'settings' | 'log' | 'jobs' | 'projects' | 'forget'>;

/** The one implementation of ToolContext (the daemon's, and the tool tests'). */
export function buildToolContext(deps: ContextDeps, scope: CallScope): ToolContext {
  const { store, settings, log, jobs, projects } = deps;
  const { cwd, roots } = scope;
  return {
    store,
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
 * context. For tests and benchmarks that call handlers in-process.
 */
export function localToolStack(store: Store, settings: DaemonSettings, log: Logger, indexer: Indexer) {
  const jobs = new JobManager(indexer, log);
  const unwatched: ChangeFeed = {
    pending: () => 0,
    flush: async () => undefined,
    watched: () => false,
    state: () => 'off',
    open: async () => undefined,
    subscribed: async () => undefined,
  };
  const projects = new ProjectResolver(store, jobs, unwatched, settings, indexer);
  const deps: ContextDeps = { store, settings, log, jobs, projects, forget: async () => undefined };
  return { jobs, projects, context: (scope: CallScope) => buildToolContext(deps, scope) };
}
