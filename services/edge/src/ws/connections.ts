import type { WebSocket } from '../uws.ts';

export interface SocketData {
  connectionId: string;
  ip: string;
  closed: boolean;
  /** Message-rate window: frames counted since `windowStart`. */
  windowStart: number;
  frames: number;
  /** Client ids with a request in flight: each id is answered exactly once. */
  inFlight: Set<string>;
}

/** The WebSockets this node holds, by connectionId: the only way a result reaches a client. */
export class Connections {
  private readonly sockets = new Map<string, WebSocket<SocketData>>();

  get size(): number {
    return this.sockets.size;
  }

  add(ws: WebSocket<SocketData>): void {
    this.sockets.set(ws.getUserData().connectionId, ws);
  }

  remove(connectionId: string): void {
    this.sockets.delete(connectionId);
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
      sent = ws.send(frame, false) !== 2;
    });
    return sent;
  }

  all(): Iterable<WebSocket<SocketData>> {
    return this.sockets.values();
  }
}
