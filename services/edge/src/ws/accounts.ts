import type { Logger } from '@authgate/shared/logger';
import { PRESENCE_TTL_MS, SESSION_REVOKED_CLOSE, type AccountEvent, type LiveEvents } from '@authgate/shared/live/types';
import { authCurrent, type Connections, type SocketAuth, type SocketData } from './connections.ts';
import type { WebSocket } from '../uws.ts';

/** How often connections whose access token expired are dropped from the indexes and the presence. */
const EXPIRY_SWEEP_MS = 1_000;

/**
 * Which of this node's connections are authenticated as which account and session, and the delivery of
 * live account events to them. The node's presence for each account it holds is kept in the live
 * events driver and refreshed at a third of its TTL, so an event is published only to the edges that
 * hold the account; an account whose last connection closed is dropped at once.
 *
 * A connection's authentication ends with the `exp` of the access token it authenticated with. No
 * timer per connection: delivery skips an expired connection (the check that makes it exact), and a
 * sweep each second unbinds those that expired, so that an account with no current connection here
 * leaves the presence and its events are no longer published to this edge.
 */
export class AccountSockets {
  private readonly byUser = new Map<string, Set<string>>();
  private readonly bySession = new Map<string, Set<string>>();
  /**
   * Connection ids by the `exp` (seconds) they were bound until. A connection bound again later is
   * not taken out of its old second: the sweep looks at its current `exp` before it unbinds it.
   */
  private readonly expiring = new Map<number, string[]>();
  private readonly refresher: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly nodeId: string,
    private readonly connections: Connections,
    private readonly live: LiveEvents,
    private readonly log: Logger,
  ) {
    this.refresher = setInterval(() => this.refreshPresence(), PRESENCE_TTL_MS / 3);
    this.refresher.unref();
    this.sweeper = setInterval(() => this.sweepExpired(Date.now()), EXPIRY_SWEEP_MS);
    this.sweeper.unref();
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
    // Every refresh of a socket's session binds it again, most within the same second of `exp`: one entry.
    if (before?.exp !== auth.exp) {
      const due = this.expiring.get(auth.exp);
      if (due) due.push(data.connectionId);
      else this.expiring.set(auth.exp, [data.connectionId]);
    }
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
    const now = Date.now();
    for (const ws of this.connections.open(targets ?? [])) {
      if (!this.holds(ws.getUserData(), event.userId, now)) continue;
      ws.cork(() => ws.send(frame, false));
    }
    if (event.closeSession) this.closeSession(event.userId, event.closeSession, now);
  }

  /**
   * The checks before an account's event or close reaches a connection: it is authenticated as that
   * account (a session id names one account's session only: never deliver across accounts), and the
   * access token it authenticated with has not expired (the sweep may not have unbound it yet).
   */
  private holds(data: SocketData, userId: string, now: number): boolean {
    const auth = data.auth;
    return auth !== undefined && auth.sub === userId && authCurrent(auth, now);
  }

  private closeSession(userId: string, sid: string, now: number): void {
    for (const ws of [...this.connections.open(this.bySession.get(sid) ?? [])]) {
      if (!this.holds(ws.getUserData(), userId, now)) continue;
      this.connections.closeWhenIdle(ws, SESSION_REVOKED_CLOSE, 'session revoked');
    }
  }

  /** Unbinds the connections whose access token expired by `now`: their accounts leave the presence with the last one. */
  sweepExpired(now: number): void {
    for (const [exp, connectionIds] of this.expiring) {
      if (exp * 1000 > now) continue;
      this.expiring.delete(exp);
      for (const connectionId of connectionIds) {
        const data = this.connections.get(connectionId)?.getUserData();
        // Bound again since (a later `exp`), closed, or unbound: nothing to do.
        if (data?.auth && !authCurrent(data.auth, now)) this.unbind(data);
      }
    }
  }

  private refreshPresence(): void {
    if (this.byUser.size === 0) return;
    this.live.present(this.nodeId, [...this.byUser.keys()]).catch((err: unknown) => this.log.warn({ err }, 'presence not refreshed'));
  }

  close(): void {
    clearInterval(this.refresher);
    clearInterval(this.sweeper);
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
