import { AuthgateError, type ErrorBody } from './errors.ts';
import { randomUuid } from './random.ts';

/** The part of the WebSocket API the client uses: the browser's global, or the `ws` package in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'open', listener: () => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ResultFrame {
  type: 'result';
  id: string;
  ok: boolean;
  status: number;
  data?: unknown;
  error?: ErrorBody;
}

interface Waiting {
  resolve: (frame: ResultFrame) => void;
  reject: (err: AuthgateError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Set for requests whose result the server keeps: collected by id after a drop instead of failing. */
  recoverable: boolean;
}

export interface SocketHooks {
  /** Each time a connection is open and named (first time and after every reconnect). */
  opened(connectionId: string, reconnect: boolean): Promise<void> | void;
  event(name: string, data: Record<string, unknown>): void;
  closed(code: number): void;
  state(state: 'connecting' | 'open' | 'reconnecting' | 'closed', attempt: number): void;
  /**
   * A request in flight when its connection dropped, whose result the server keeps for 60 s:
   * collect it by its id with the old connection id (GET /auth/results/:id).
   */
  recover(requestId: string, connectionId: string): Promise<ResultFrame>;
}

export interface SocketOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  /** No result within this long: the request fails with `timeout` (the server answers by 10 s itself). */
  requestTimeoutMs: number;
  backoff: { initialMs: number; maxMs: number };
}

/** WebSocket.OPEN (the constant is not on every implementation's instances). */
const OPEN = 1;

/** How long a pushed result nobody asked for yet is kept (a deferred 202 may arrive after it). */
const EARLY_RESULT_MS = 60_000;

/** How long a retired connection may take to be closed by the server before the client closes it. */
const RETIRE_GRACE_MS = 1_000;

/**
 * One WebSocket to the gateway, kept open while wanted: reconnects after a drop with exponential
 * backoff and jitter, answers each request by its id, hands live events and deferred results on.
 */
export class LiveSocket {
  connectionId: string | undefined;
  private socket: WebSocketLike | undefined;
  private wanted = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private readonly deferred = new Map<string, Waiting>();
  private readonly early = new Map<string, ResultFrame>();
  private openWaiters: { resolve: () => void; reject: (err: AuthgateError) => void }[] = [];
  /** Resolves once `opened` ran for the current connection (re-authentication included). */
  private readyPromise: Promise<void> | undefined;

  constructor(
    private readonly options: SocketOptions,
    private readonly hooks: SocketHooks,
  ) {}

  get isOpen(): boolean {
    return this.socket !== undefined && this.connectionId !== undefined && this.socket !== this.retired;
  }

  /** A connection the server is ending (its session logged out: it closes with 4001): nothing more goes into it. */
  private retired: WebSocketLike | undefined;

  /**
   * The current connection is being closed by the server: requests wait for the next one instead of
   * going into it and being lost. Should the server's close not come, the client closes it itself.
   */
  retire(): void {
    const socket = this.socket;
    if (!socket) return;
    this.retired = socket;
    const timer = setTimeout(() => {
      if (this.socket === socket) socket.close(1000, 'retired');
    }, RETIRE_GRACE_MS);
    (timer as { unref?: () => void }).unref?.();
  }

  /** Open, and its `opened` hook (re-authentication) has run: requests may go. */
  get isReady(): boolean {
    return this.isOpen && this.readied;
  }
  private readied = false;

  /** Opens the connection (if not open) and resolves once it is named and its `opened` hook ran. */
  ready(): Promise<void> {
    if (!this.wanted) {
      this.wanted = true;
      this.dial(false);
    }
    if (this.readyPromise) return this.readyPromise;
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  private dial(reconnect: boolean): void {
    this.hooks.state(reconnect ? 'reconnecting' : 'connecting', this.attempt);
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('message', (event) => this.onMessage(socket, String(event.data), reconnect));
    socket.addEventListener('close', (event) => this.onClose(socket, event.code));
    socket.addEventListener('error', () => {}); // a close event follows
  }

  private onMessage(socket: WebSocketLike, text: string, reconnect: boolean): void {
    let frame: { type?: string; [key: string]: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (socket !== this.socket) return;
    if (frame.type === 'welcome' && typeof frame.connectionId === 'string') {
      this.connectionId = frame.connectionId;
      this.attempt = 0;
      this.hooks.state('open', 0);
      const ready = Promise.resolve(this.hooks.opened(frame.connectionId, reconnect));
      this.readyPromise = ready;
      ready.then(
        () => {
          this.readied = true;
          for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
        },
        (err: unknown) => {
          // Re-authentication failed: the connection itself is fine, callers see the session's state.
          this.readied = true;
          for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
          void err;
        },
      );
      return;
    }
    if (frame.type === 'result') this.onResult(frame as unknown as ResultFrame);
    else if (frame.type === 'event' && typeof frame.event === 'string') {
      this.hooks.event(frame.event, (frame.data ?? {}) as Record<string, unknown>);
    }
  }

  private onResult(frame: ResultFrame): void {
    const waiter = this.waiting.get(frame.id) ?? this.deferred.get(frame.id);
    if (!waiter) {
      // A deferred result that came before its 202 was read: kept for `awaitDeferred`.
      this.early.set(frame.id, frame);
      setTimeout(() => this.early.delete(frame.id), EARLY_RESULT_MS);
      return;
    }
    this.waiting.delete(frame.id);
    this.deferred.delete(frame.id);
    clearTimeout(waiter.timer);
    waiter.resolve(frame);
  }

  private onClose(socket: WebSocketLike, code: number): void {
    if (socket !== this.socket) return;
    const lostOn = this.connectionId;
    this.socket = undefined;
    this.connectionId = undefined;
    this.readyPromise = undefined;
    this.readied = false;
    this.hooks.closed(code);
    // Requests in flight: those whose result the server keeps are collected by id; the rest fail now.
    for (const [id, waiter] of [...this.waiting]) {
      this.waiting.delete(id);
      if (waiter.recoverable && lostOn) {
        this.hooks.recover(id, lostOn).then(
          (frame) => {
            clearTimeout(waiter.timer);
            waiter.resolve(frame);
          },
          (err: unknown) => {
            clearTimeout(waiter.timer);
            waiter.reject(err instanceof AuthgateError ? err : AuthgateError.network('connection lost before the result'));
          },
        );
      } else {
        clearTimeout(waiter.timer);
        waiter.reject(AuthgateError.network(`connection closed (code ${code}) before the result`));
      }
    }
    // Deferred results not pushed yet will not be: the server keeps them, collected by id at once.
    for (const [id, waiter] of [...this.deferred]) {
      this.deferred.delete(id);
      clearTimeout(waiter.timer);
      if (lostOn) this.hooks.recover(id, lostOn).then(waiter.resolve, waiter.reject);
      else waiter.reject(AuthgateError.network('connection lost before the result'));
    }
    if (this.wanted) this.scheduleReconnect();
    else {
      this.hooks.state('closed', 0);
      for (const waiter of this.openWaiters.splice(0)) waiter.reject(AuthgateError.network('connection closed'));
    }
  }

  private scheduleReconnect(): void {
    this.attempt += 1;
    const { initialMs, maxMs } = this.options.backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** (this.attempt - 1));
    // Full jitter: edges that all dropped their sockets at once are not all dialled back at once.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.hooks.state('reconnecting', this.attempt);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.wanted) this.dial(true);
    }, delay);
  }

  /** Sends one request; resolves with its result frame (an error result too), rejects on `network`/`timeout`. */
  async request(type: string, fields: Record<string, unknown>, recoverable: boolean): Promise<ResultFrame> {
    const until = Date.now() + this.options.requestTimeoutMs;
    for (;;) {
      await this.ready();
      // A connection the server is closing (after a logout: 4001) is still the current one until its
      // close event: wait for that and the next connection rather than send into it.
      if (this.socket?.readyState === OPEN && this.socket !== this.retired) return this.requestNow(type, fields, recoverable);
      if (Date.now() > until) throw AuthgateError.network('not connected');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Like `request`, without waiting for the `opened` hook: for the hook itself. */
  requestNow(type: string, fields: Record<string, unknown>, recoverable = false): Promise<ResultFrame> {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN || socket === this.retired) return Promise.reject(AuthgateError.network('not connected'));
    // A UUID: the form GET /auth/results/:id takes, should the connection drop before the result.
    const id = randomUuid();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new AuthgateError({ code: 'timeout', message: `no result for ${type} in time` }, 504));
      }, this.options.requestTimeoutMs);
      this.waiting.set(id, { resolve, reject, timer, recoverable });
      socket.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  /** The pushed result of a deferred REST request (its 202 named `requestId`) sent with `connectionId`. */
  awaitDeferred(requestId: string, connectionId: string): Promise<ResultFrame> {
    const early = this.early.get(requestId);
    if (early) {
      this.early.delete(requestId);
      return Promise.resolve(early);
    }
    // That connection dropped before the 202 came (a logout closes it with 4001): the server keeps the
    // result for 60 s under the connection it was addressed to.
    if (this.connectionId !== connectionId) return this.hooks.recover(requestId, connectionId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.deferred.delete(requestId);
        // Perhaps pushed while the connection was down: the server keeps it for 60 s.
        this.hooks.recover(requestId, connectionId).then(resolve, reject);
      }, this.options.requestTimeoutMs);
      this.deferred.set(requestId, { resolve, reject, timer, recoverable: true });
    });
  }

  /** Closes the connection for good (until the next `ready`). */
  stop(): void {
    this.wanted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    if (socket) socket.close(1000, 'client closing');
    else this.hooks.state('closed', 0);
  }
}
