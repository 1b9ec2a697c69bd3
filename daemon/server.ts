/**
 * The daemon's HTTP surface on its Unix socket (fastify). docs/protocol.md documents every route.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { asCodehiveError, CodehiveError, drainingError, ROUTES, type AttachRequest, type SessionUpdate, type ShutdownRequest, type ToolCallRequest } from '../packages/protocol/index.js';
import type { Daemon } from './daemon.js';
import { acceptChannel } from './channel.js';

export function buildServer(daemon: Daemon): FastifyInstance {
  const app = Fastify({
    logger: false,
    // Session holds stay open for a client's whole life; Node's default request timeout would cut them.
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 60_000,
    bodyLimit: 4 * 1024 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  // Session channels leave HTTP after the handshake, so they are not fastify routes.
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => acceptChannel(daemon, req, socket, head));

  app.setErrorHandler((err, _req, reply) => sendError(reply, toCodehive(err)));
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, new CodehiveError('UNKNOWN_ROUTE', `no route ${req.method} ${req.url}; see docs/protocol.md for the routes`)),
  );

  app.get(ROUTES.health, async () => daemon.health());
  app.get(ROUTES.status, async () => daemon.status());

  app.post(ROUTES.sessions, async (req) => {
    const body = objectBody<AttachRequest>(req);
    if (typeof body.cwd !== 'string' || typeof body.pid !== 'number' || !body.client?.name) {
      throw new CodehiveError('BAD_REQUEST', 'attach needs {client: {name, version}, pid: number, cwd: string, kind}');
    }
    return { sessionId: daemon.sessions.attach(body).id };
  });

  app.get(ROUTES.sessionHold, (req, reply) => {
    const { id } = req.params as { id: string };
    const session = daemon.sessions.get(id);
    if (!session) return sendError(reply, new CodehiveError('UNKNOWN_SESSION', `no session ${id}; attach again`));
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    reply.raw.flushHeaders();
    session.held = true;
    reply.raw.on('close', () => daemon.sessions.detach(id));
  });

  app.patch(ROUTES.session, async (req) => {
    const { id } = req.params as { id: string };
    const session = daemon.sessions.get(id);
    if (!session) throw new CodehiveError('UNKNOWN_SESSION', `no session ${id}; attach again`);
    const body = objectBody<SessionUpdate>(req);
    if (body.client?.name) session.client = { name: String(body.client.name), version: String(body.client.version ?? '') };
    if (Array.isArray(body.roots)) session.roots = body.roots.filter((r): r is string => typeof r === 'string');
    return { ok: true };
  });

  app.delete(ROUTES.session, async (req) => {
    daemon.sessions.detach((req.params as { id: string }).id);
    return { ok: true };
  });

  app.post(ROUTES.tool, (req, reply) => {
    if (daemon.draining) return sendError(reply, drainingError());
    const body = objectBody<ToolCallRequest>(req);
    const { name } = req.params as { name: string };
    reply.hijack();
    void daemon.tools.handle(name, body, reply.raw);
  });

  app.post(ROUTES.shutdown, async (req) => {
    const body = (req.body ?? {}) as ShutdownRequest;
    if (body.ifBuildId && body.ifBuildId !== daemon.build.buildId) {
      return { ok: false, reason: `build is ${daemon.build.buildId}, not ${body.ifBuildId}` };
    }
    // Answer first, then drain and exit.
    setImmediate(() => void daemon.shutdown(String(body.reason ?? 'requested'), body.drain !== false));
    return { ok: true, pid: process.pid };
  });

  app.get(ROUTES.export, (req, reply) => {
    reply.hijack();
    void daemon.exportGraph(req.query as Record<string, string>, reply.raw);
  });

  return app;
}

function objectBody<T>(req: FastifyRequest): T {
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new CodehiveError('BAD_REQUEST', 'the request body must be a JSON object');
  }
  return body as T;
}

function toCodehive(err: unknown): CodehiveError {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (err instanceof CodehiveError) return err;
  // fastify's own errors (bad JSON, wrong content type, body too large) are the client's fault.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new CodehiveError('BAD_REQUEST', `${e.message ?? 'bad request'} (${e.code ?? e.statusCode})`);
  }
  return asCodehiveError(err);
}

function sendError(reply: FastifyReply, err: CodehiveError): FastifyReply {
  return reply.code(err.httpStatus).send({ error: err.toBody() });
}
