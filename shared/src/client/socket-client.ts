import type { TokenPair } from '../protocol.ts';

/**
 * A small typed client for authgate's WebSocket protocol. It has no Node or browser dependency: pass
 * the WebSocket class of the platform (the global one in browsers, the `ws` package in Node).
 */

export interface ResultFrame<T = unknown> {
  type: 'result';
  id: string;
  ok: boolean;
  status: number;
  data?: T;
  error?: { code: string; message: string; details?: { path: string; message: string }[]; retryAfter?: number };
}

export interface ErrorFrame {
  type: 'error';
  error: { code: string; message: string };
}

export type ServerFrame = { type: 'welcome'; connectionId: string } | ResultFrame | ErrorFrame;

export type RequestType = 'register' | 'login' | 'refresh' | 'logout' | 'verify';

/** Why `requestWithin` got no result: none within its time, or the connection closed first. */
export class SocketRequestError extends Error {
  constructor(
    readonly reason: 'timeout' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'SocketRequestError';
  }
}

interface MinimalMessageEvent {
  data: unknown;
}
interface MinimalCloseEvent {
  code: number;
  reason: string;
}
export interface MinimalWebSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: MinimalMessageEvent) => void): void;
  addEventListener(type: 'close', listener: (event: MinimalCloseEvent) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'open', listener: () => void): void;
}
export type WebSocketClass = new (url: string) => MinimalWebSocket;

/** The token pair of the contract (a type-only import: nothing of zod reaches a browser bundle). */
export type TokenPairData = TokenPair;

export class AuthgateSocket {
  readonly connectionId: string;
  /** Frames that answer no request of this client: pushed results of deferred REST calls, errors. */
  onUnsolicited: (frame: ServerFrame) => void = () => {};
  /** Set once the server closed the connection. */
  closed: MinimalCloseEvent | undefined;
  private readonly waiting = new Map<string, (frame: ResultFrame) => void>();
  private readonly closeWaiters: ((event: MinimalCloseEvent) => void)[] = [];
  /** Requests sent with `requestWithin`: each fails at once when the connection closes. */
  private readonly failOnClose = new Set<() => void>();
  private nextId = 0;

  private constructor(
    private readonly socket: MinimalWebSocket,
    connectionId: string,
  ) {
    this.connectionId = connectionId;
    socket.addEventListener('message', (event) => this.dispatch(String(event.data)));
    socket.addEventListener('close', (event) => {
      this.closed = { code: event.code, reason: event.reason };
      for (const waiter of this.closeWaiters.splice(0)) waiter(this.closed);
      for (const fail of [...this.failOnClose]) fail();
    });
  }

  /** Opens a connection and resolves once the server's `welcome` names it. */
  static connect(url: string, WebSocketImpl: WebSocketClass, timeoutMs = 10_000): Promise<AuthgateSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocketImpl(url);
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error('no welcome from server'));
      }, timeoutMs);
      const onFirst = (event: MinimalMessageEvent) => {
        const frame = JSON.parse(String(event.data)) as ServerFrame;
        if (frame.type !== 'welcome') return;
        clearTimeout(timer);
        resolve(new AuthgateSocket(socket, frame.connectionId));
      };
      socket.addEventListener('message', onFirst);
      socket.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${url}`));
      });
    });
  }

  private dispatch(text: string): void {
    const frame = JSON.parse(text) as ServerFrame;
    if (frame.type === 'welcome') return;
    if (frame.type === 'result') {
      const resolve = this.waiting.get(frame.id);
      if (resolve) {
        this.waiting.delete(frame.id);
        resolve(frame);
        return;
      }
    }
    this.onUnsolicited(frame);
  }

  /** Sends one request and resolves with its `result` frame (errors are results too, with ok: false). */
  request<T = unknown>(type: RequestType, fields: Record<string, unknown>, id = `c${++this.nextId}`): Promise<ResultFrame<T>> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (frame: ResultFrame) => void);
      this.socket.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  /**
   * Like `request`, but always settles: rejects with a SocketRequestError when no result arrives
   * within `timeoutMs` or when the connection closes first. A result that comes after the timeout
   * goes to `onUnsolicited`.
   */
  requestWithin<T = unknown>(type: RequestType, fields: Record<string, unknown>, timeoutMs: number): Promise<ResultFrame<T>> {
    if (this.closed) return Promise.reject(new SocketRequestError('closed', `connection closed (code ${this.closed.code})`));
    const id = `c${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        this.failOnClose.delete(failClosed);
      };
      const failClosed = () => {
        settle();
        reject(new SocketRequestError('closed', `connection closed (code ${this.closed?.code}) before the result of ${type}`));
      };
      const timer = setTimeout(() => {
        settle();
        reject(new SocketRequestError('timeout', `no result for ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.failOnClose.add(failClosed);
      this.waiting.set(id, (frame) => {
        settle();
        resolve(frame as ResultFrame<T>);
      });
      this.socket.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  register(email: string, password: string) {
    return this.request<{ userId: string }>('register', { email, password });
  }
  login(email: string, password: string, deviceId?: string) {
    return this.request<TokenPairData>('login', { email, password, ...(deviceId ? { deviceId } : {}) });
  }
  /** `deviceId`: the one the session signed in with, so that a concurrent refresh gets the grace. */
  refresh(refreshToken: string, deviceId?: string) {
    return this.request<TokenPairData>('refresh', { refreshToken, ...(deviceId ? { deviceId } : {}) });
  }
  logout(refreshToken: string) {
    return this.request('logout', { refreshToken });
  }
  verify(accessToken: string) {
    return this.request<{ sub: string; sid: string; exp: number }>('verify', { accessToken });
  }

  /** Sends a raw frame (tests and tools that speak the protocol at a lower level). */
  sendRaw(data: string): void {
    this.socket.send(data);
  }

  waitForClose(): Promise<MinimalCloseEvent> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  close(): void {
    this.socket.close();
  }
}
