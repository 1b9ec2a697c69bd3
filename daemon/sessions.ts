/**
 * Attached clients. A session lives as long as its held request (GET /v1/sessions/:id/hold): when the
 * client process exits — even by SIGKILL — the kernel closes the socket and the session ends.
 */
import { randomUUID } from 'node:crypto';
import type { AttachRequest, ClientInfo } from '../packages/protocol/index.js';

export interface Session {
  id: string;
  kind: 'mcp' | 'cli';
  client: ClientInfo;
  pid: number;
  cwd: string;
  roots: string[];
  since: number;
  calls: number;
  /** True once the hold request is open; a session never held is swept after a grace period. */
  held: boolean;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<(event: 'attach' | 'detach', s: Session) => void>();

  attach(req: AttachRequest): Session {
    const s: Session = {
      id: randomUUID(),
      kind: req.kind === 'cli' ? 'cli' : 'mcp',
      client: req.client,
      pid: req.pid,
      cwd: req.cwd,
      roots: req.roots ?? [],
      since: Date.now(),
      calls: 0,
      held: false,
    };
    this.sessions.set(s.id, s);
    this.emit('attach', s);
    return s;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  detach(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.emit('detach', s);
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }

  on(listener: (event: 'attach' | 'detach', s: Session) => void): void {
    this.listeners.add(listener);
  }

  private emit(event: 'attach' | 'detach', s: Session): void {
    for (const l of this.listeners) l(event, s);
  }
}
