import { resultFrame, type Result } from '@authgate/shared/protocol';
import { lifecycle } from '../lifecycle.ts';
import type { WebSocket } from '../uws.ts';

/** The session a connection is authenticated as (`authenticate`, or a login or refresh over it). */
export interface SocketAuth {
  sub: string;
  sid: string;
  /** The `exp` (seconds) of the access token it authenticated with: its authority ends then. */
  exp: number;
}

/** Whether the connection's authentication still holds at `nowMs`: its access token's `exp` is ahead. */
export function authCurrent(auth: SocketAuth, nowMs: number): boolean {
  return auth.exp * 1000 > nowMs;
}

export interface SocketData {
  connectionId: string;
  ip: string;
  userAgent: string;
  auth?: SocketAuth | undefined;
  closed: boolean;
  /** Message-rate window: frames counted since `windowStart`. */
  windowStart: number;
  frames: number;
  /**
   * Client ids with a request in flight: each id is answered exactly once. Only while there is one: most
   * sockets sit idle, and an empty Set is ~150 bytes of heap each (a third of an idle socket's).
   */
  inFlight: Set<string> | undefined;
  /** Its session was revoked while requests were in flight: closed with this code once they are answered. */
  closeWhenSettled?: { code: number; reason: string } | undefined;
}

export function startRequest(data: SocketData, clientId: string): void {
  (data.inFlight ??= new Set()).add(clientId);
}

export function endRequest(data: SocketData, clientId: string): void {
  if (data.inFlight?.delete(clientId) && data.inFlight.size === 0) data.inFlight = undefined;
}

export function requestsInFlight(data: SocketData): number {
  return data.inFlight?.size ?? 0;
}

/** The WebSockets this node holds, by connectionId: the only way a result reaches a client. */
export class Connections {
  private readonly sockets = new Map<string, WebSocket<SocketData>>();
  /** A send uWS dropped over WS_MAX_BACKPRESSURE_BYTES closes its socket (closeOnBackpressureLimit). */
  readonly stats = { backpressureCloses: 0 };

  /** Counts a send that uWS dropped for backpressure (2): the socket closes then. */
  sent(status: number): boolean {
    if (status === 2) this.stats.backpressureCloses++;
    return status !== 2;
  }

  get size(): number {
    return this.sockets.size;
  }

  add(ws: WebSocket<SocketData>): void {
    this.sockets.set(ws.getUserData().connectionId, ws);
  }

  remove(connectionId: string): void {
    this.sockets.delete(connectionId);
  }

  /** Every connection of these, open now. */
  *open(connectionIds: Iterable<string>): Iterable<WebSocket<SocketData>> {
    for (const id of connectionIds) {
      const ws = this.sockets.get(id);
      if (ws && !ws.getUserData().closed) yield ws;
    }
  }

  get(connectionId: string): WebSocket<SocketData> | undefined {
    return this.sockets.get(connectionId);
  }

  /** Sends from outside a uWS callback (a result arriving from Redis), so the write is corked. */
  send(connectionId: string, frame: string): boolean {
    const ws = this.sockets.get(connectionId);
    if (!ws || ws.getUserData().closed) return false;
    let sent = false;
    ws.cork(() => {
      // 0 = buffered under backpressure (still delivered), 2 = dropped: uWS closes the socket then.
      sent = this.sent(ws.send(frame, false));
    });
    return sent;
  }

  /** Deferred delivery: a result pushed to a connection this node holds, under the id the client was given. */
  pushResult = (connectionId: string, clientId: string, result: Result): boolean => this.send(connectionId, JSON.stringify(resultFrame(clientId, result)));

  /**
   * The node is stopping: every socket is closed with 1001 (going away) as soon as it has no request in
   * flight, now or when its last answer has gone out (`settled`), so its client reconnects elsewhere.
   */
  drain(): void {
    for (const ws of [...this.sockets.values()]) this.closeIfIdle(ws);
  }

  /**
   * Closes the socket with `code` once it has no request in flight: at once, or after its last answer
   * (`settled`). A logout over a socket of the session it ends gets its answer, then the close.
   */
  closeWhenIdle(ws: WebSocket<SocketData>, code: number, reason: string): void {
    const data = ws.getUserData();
    data.closeWhenSettled = { code, reason };
    if (!data.closed && requestsInFlight(data) === 0) ws.cork(() => ws.end(code, reason));
  }

  /** Called after an answer went to `connectionId`: a socket waiting to be closed (draining, revoked) is closed once idle. */
  settled(connectionId: string): void {
    const ws = this.sockets.get(connectionId);
    if (!ws) return;
    const pending = ws.getUserData().closeWhenSettled;
    if (pending) this.closeWhenIdle(ws, pending.code, pending.reason);
    else if (lifecycle.draining) this.closeIfIdle(ws);
  }

  private closeIfIdle(ws: WebSocket<SocketData>): void {
    const data = ws.getUserData();
    if (!data.closed && requestsInFlight(data) === 0) ws.cork(() => ws.end(1001, 'server going away'));
  }

  all(): Iterable<WebSocket<SocketData>> {
    return this.sockets.values();
  }
}
