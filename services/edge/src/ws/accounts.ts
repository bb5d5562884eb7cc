import type { Logger } from '@authgate/shared/logger';
import { PRESENCE_TTL_MS, SESSION_REVOKED_CLOSE, type AccountEvent, type LiveEvents } from '@authgate/shared/live/types';
import type { Connections, SocketAuth, SocketData } from './connections.ts';
import type { WebSocket } from '../uws.ts';

/**
 * Which of this node's connections are authenticated as which account and session, and the delivery of
 * live account events to them. The node's presence for each account it holds is kept in the live
 * events driver and refreshed at a third of its TTL, so an event is published only to the edges that
 * hold the account; an account whose last connection closed is dropped at once.
 */
export class AccountSockets {
  private readonly byUser = new Map<string, Set<string>>();
  private readonly bySession = new Map<string, Set<string>>();
  private readonly refresher: NodeJS.Timeout;

  constructor(
    private readonly nodeId: string,
    private readonly connections: Connections,
    private readonly live: LiveEvents,
    private readonly log: Logger,
  ) {
    this.refresher = setInterval(() => this.refreshPresence(), PRESENCE_TTL_MS / 3);
    this.refresher.unref();
  }

  /** Listens for this node's events. */
  async follow(): Promise<void> {
    await this.live.follow(this.nodeId, (event) => this.deliver(event));
  }

  /**
   * Binds the connection to a session; a connection is bound to one session at a time. Bound again to
   * the same account (every refresh over the socket is), only the session index moves: the account's
   * presence stays as it is, without a withdrawal and a new announcement a worker's publish could fall
   * between (an event lost), and without their two Redis commands per refresh.
   */
  bind(ws: WebSocket<SocketData>, auth: SocketAuth): Promise<void> {
    const data = ws.getUserData();
    const before = data.auth;
    if (before?.sub === auth.sub) {
      remove(this.bySession, before.sid, data.connectionId);
      add(this.bySession, auth.sid, data.connectionId);
      data.auth = auth;
      return Promise.resolve();
    }
    if (before) this.unbind(data);
    data.auth = auth;
    add(this.byUser, auth.sub, data.connectionId);
    add(this.bySession, auth.sid, data.connectionId);
    return this.live.present(this.nodeId, [auth.sub]);
  }

  /** A closed connection: its account's presence ends with the account's last connection here. */
  unbind(data: SocketData): void {
    const auth = data.auth;
    if (!auth) return;
    data.auth = undefined;
    remove(this.bySession, auth.sid, data.connectionId);
    if (remove(this.byUser, auth.sub, data.connectionId)) {
      this.live.absent(this.nodeId, auth.sub).catch((err: unknown) => this.log.warn({ err }, 'presence not withdrawn'));
    }
  }

  get accounts(): number {
    return this.byUser.size;
  }

  private deliver(event: AccountEvent): void {
    if (event.connectionId) {
      // Addressed by a worker to the connection a command of it came from (LiveEvents.publishToConnection).
      this.connections.send(event.connectionId, JSON.stringify({ type: 'event', event: event.event, data: event.data }));
      return;
    }
    const targets = event.sessionId ? this.bySession.get(event.sessionId) : this.byUser.get(event.userId);
    const frame = JSON.stringify({ type: 'event', event: event.event, data: event.data });
    for (const ws of this.connections.open(targets ?? [])) {
      // A session id names one account's session only: never deliver across accounts.
      if (ws.getUserData().auth?.sub !== event.userId) continue;
      ws.cork(() => ws.send(frame, false));
    }
    if (event.closeSession) this.closeSession(event.userId, event.closeSession);
  }

  private closeSession(userId: string, sid: string): void {
    for (const ws of [...this.connections.open(this.bySession.get(sid) ?? [])]) {
      if (ws.getUserData().auth?.sub !== userId) continue;
      this.connections.closeWhenIdle(ws, SESSION_REVOKED_CLOSE, 'session revoked');
    }
  }

  private refreshPresence(): void {
    if (this.byUser.size === 0) return;
    this.live.present(this.nodeId, [...this.byUser.keys()]).catch((err: unknown) => this.log.warn({ err }, 'presence not refreshed'));
  }

  close(): void {
    clearInterval(this.refresher);
  }
}

function add(index: Map<string, Set<string>>, key: string, connectionId: string): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(connectionId);
}

/** Returns true when the key has no connection left. */
function remove(index: Map<string, Set<string>>, key: string, connectionId: string): boolean {
  const set = index.get(key);
  if (!set) return false;
  set.delete(connectionId);
  if (set.size > 0) return false;
  index.delete(key);
  return true;
}
