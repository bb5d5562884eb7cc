import { COMMANDS, type CommandName, isAccountRoute } from './commands.ts';
import { Emitter } from './emitter.ts';
import type { SdkCore, Sent } from './core.ts';
import { AuthgateError, type ErrorBody } from './errors.ts';
import { randomUuid } from './random.ts';
import { SingleFlight } from './single-flight.ts';
import { LiveSocket, type ResultFrame, type WebSocketConstructor } from './socket.ts';
import { localStorageStore, memoryStore, type SessionStore } from './storage.ts';
import { devicesSdk } from '../../features/devices/sdk.ts';
import { emailSdk } from '../../features/email/sdk.ts';
import { type PasskeyInfo, passkeysSdk } from '../../features/passkeys/sdk.ts';
import { passwordSdk } from '../../features/password/sdk.ts';
import { secondFactorSdk } from '../../features/second-factor/sdk.ts';
import { sessionsSdk } from '../../features/sessions/sdk.ts';
import { type ProofOfWork, solveProofOfWork } from '../../features/stuffing/sdk.ts';
import type { DeviceChallenge, EventMap, EventPage, LoginOutcome, Me, Session, SessionInfo, TokenPair, TotpSetup } from './types.ts';

export interface ClientOptions {
  /** The gateway's origin, e.g. `https://auth.example.com` (the page's own origin: `location.origin`). */
  baseUrl: string;
  /** Where commands go: one WebSocket (`ws`, the default where there is a WebSocket class) or HTTP. */
  transport?: 'ws' | 'rest';
  /** The account API's origin when it is not the gateway's (a test without nginx); default `baseUrl`. */
  accountApiUrl?: string;
  /** Keep a WebSocket open while signed in for live events (default: true when a WebSocket class exists). */
  live?: boolean;
  /** REST transport: send register/login/refresh/logout with X-Connection-Id, the result coming on the socket. */
  deferred?: boolean;
  /** The WebSocket class (default the global one; in Node 20 pass the `ws` package's). */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  /** Where the session is kept: `memory` (default), `local` (localStorage, shared by the tabs) or your own. */
  store?: 'memory' | 'local' | SessionStore;
  /** A stable id of this browser or install; default one made once and kept in the store. */
  deviceId?: string;
  /** Refresh this long before the access token expires (default 60 s, at most a third of its lifetime). */
  refreshSkewMs?: number;
  /** Refresh on a timer before expiry (default true). */
  autoRefresh?: boolean;
  requestTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

/** How long a tab that waited for another's refresh looks for that tab's new pair in the shared store. */
const STORE_SYNC_WAIT_MS = 1_000;

/** How long after a drop the results of requests in flight are looked for (the server keeps them 60 s). */
const RECOVER_POLL_MS = 250;

/** Logins sent again with a solved challenge before a `challenge_required` is handed to the caller. */
const MAX_CHALLENGE_ROUNDS = 3;

/** An access token with less left than this is refreshed before the socket authenticates with it. */
const SOCKET_TOKEN_MIN_MS = 1_000;

export class AuthgateClient extends Emitter<EventMap> {
  readonly transport: 'ws' | 'rest';
  readonly deviceId: string;
  private session: Session | null;
  private readonly baseUrl: string;
  private readonly accountApiUrl: string;
  private readonly live: boolean;
  private readonly deferred: boolean;
  private readonly fetchImpl: typeof fetch;
  private readonly store: SessionStore;
  private readonly socket: LiveSocket | undefined;
  private readonly refreshes: SingleFlight<Session>;
  private readonly skewMs: number;
  private readonly autoRefresh: boolean;
  private readonly requestTimeoutMs: number;
  /** The session the current WebSocket is authenticated as. */
  private socketSession: string | undefined;
  /** The access token it authenticated with: the server ends the socket's authentication at its `exp`. */
  private socketToken: string | undefined;
  private authenticating: Promise<void> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly unwatch: (() => void) | undefined;
  /** The completeToken of each new-device sign-in this client waits on, by verificationId: only it can finish one. */
  private readonly deviceChallenges = new Map<string, string>();
  /** Counts requests sent, by command: what tests and dashboards read to see single flight at work. */
  readonly sent: Partial<Record<CommandName | 'authenticate', number>> = {};

  constructor(options: ClientOptions) {
    super();
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.accountApiUrl = (options.accountApiUrl ?? this.baseUrl).replace(/\/+$/, '');
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.transport = options.transport ?? (WebSocketImpl ? 'ws' : 'rest');
    if (this.transport === 'ws' && !WebSocketImpl) throw new TypeError('transport "ws" needs a WebSocket class (options.WebSocket)');
    this.live = options.live ?? WebSocketImpl !== undefined;
    this.deferred = this.transport === 'rest' && options.deferred === true;
    if (this.deferred && !WebSocketImpl) throw new TypeError('deferred REST needs a WebSocket class (options.WebSocket)');
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.store = options.store === 'local' ? localStorageStore() : options.store === undefined || options.store === 'memory' ? memoryStore() : options.store;
    this.skewMs = options.refreshSkewMs ?? 60_000;
    this.autoRefresh = options.autoRefresh ?? true;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.deviceId = options.deviceId ?? this.store.deviceId() ?? randomUuid();
    this.store.saveDeviceId(this.deviceId);
    this.refreshes = new SingleFlight(`authgate:refresh:${this.baseUrl}`);
    if (WebSocketImpl && (this.transport === 'ws' || this.live || this.deferred)) {
      this.socket = new LiveSocket(
        {
          url: `${this.baseUrl.replace(/^http/, 'ws')}/ws`,
          WebSocket: WebSocketImpl,
          requestTimeoutMs: this.requestTimeoutMs,
          backoff: options.backoff ?? { initialMs: 250, maxMs: 10_000 },
        },
        {
          opened: () => this.reauthenticate(),
          event: (name, data) => this.onLiveEvent(name, data),
          closed: (code) => this.onSocketClosed(code),
          state: (state, attempt) => this.emit('connection', { state, attempt }),
          recover: (id, connectionId) => this.collectResult(id, connectionId),
        },
      );
    }
    this.session = this.store.load();
    this.unwatch = this.store.watch?.((session) => this.onStoreChanged(session));
    if (this.session) this.sessionBegan(false);
  }

  /** The signed-in session, or null. */
  get current(): Session | null {
    return this.session;
  }

  /** The WebSocket's connection id while it is open (what X-Connection-Id takes). */
  get connectionId(): string | undefined {
    return this.socket?.connectionId;
  }

  // --- the features' methods (features/<name>/sdk.ts) ---------------------------------------------

  /** What the features' parts of the SDK build on: this client's transport and session. */
  private readonly core: SdkCore = (() => {
    const client = this;
    return {
      get deviceId() {
        return client.deviceId;
      },
      send: (name, body) => client.send(name as CommandName, body),
      authed: (name, body) => client.authed(name as CommandName, body),
      signInStep: (name, body) => client.signInStep(name as CommandName, body),
      adopt: (pair, via) => client.adopt(pair, via as CommandName),
      deviceChallenges: client.deviceChallenges,
      on: (name, listener) => client.on(name, listener),
    } satisfies SdkCore;
  })();
  private readonly password = passwordSdk(this.core);
  private readonly secondFactor = secondFactorSdk(this.core);
  private readonly devices = devicesSdk(this.core);
  private readonly passkeys = passkeysSdk(this.core);
  private readonly email = emailSdk(this.core);
  private readonly sessionList = sessionsSdk(this.core);

  register(email: string, password: string): Promise<{ userId: string }> {
    return this.password.register(email, password);
  }

  /** Signs in; a second factor or a new device's approval are outcomes, not errors. */
  login(email: string, password: string): Promise<LoginOutcome> {
    return this.password.login(email, password);
  }

  /** The second step of a sign-in that answered `mfa_required`: a TOTP code or a recovery code. */
  verifyMfa(mfaToken: string, answer: { code: string } | { recoveryCode: string }): Promise<LoginOutcome> {
    return this.secondFactor.verifyMfa(mfaToken, answer);
  }

  /**
   * A new device signs in with the code emailed for its waiting sign-in: the `device_verification_required`
   * outcome, or its verificationId when this client made that login (it kept the completeToken).
   */
  verifyDevice(challenge: DeviceChallenge | string, code: string): Promise<Session> {
    return this.devices.verifyDevice(challenge, code);
  }

  /** A new device signs in once a session of the account approved it (409 `device_verification_pending` before). */
  completeDevice(challenge: DeviceChallenge | string): Promise<Session> {
    return this.devices.completeDevice(challenge);
  }

  /**
   * Waits until a session of the account approves (then signs in) or denies (`device_denied`) this
   * device: live by `device.approved`/`device.denied` on the connection that made the login, and by
   * asking every `pollMs` in case that connection dropped meanwhile.
   */
  waitForDeviceApproval(challenge: DeviceChallenge | string, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<Session> {
    return this.devices.waitForDeviceApproval(challenge, options);
  }

  approveDevice(verificationId: string): Promise<void> {
    return this.devices.approveDevice(verificationId);
  }

  denyDevice(verificationId: string): Promise<void> {
    return this.devices.denyDevice(verificationId);
  }

  /** `password`: the account's current one (a stolen access token alone cannot turn TOTP on). */
  setupTotp(password: string): Promise<TotpSetup> {
    return this.secondFactor.setupTotp(password);
  }

  confirmTotp(code: string): Promise<{ recoveryCodes: string[] }> {
    return this.secondFactor.confirmTotp(code);
  }

  disableTotp(password: string, code: string): Promise<void> {
    return this.secondFactor.disableTotp(password, code);
  }

  /** Adds a passkey to the signed-in account: the browser makes it (its own prompt), the gateway keeps it. */
  registerPasskey(name?: string): Promise<Omit<PasskeyInfo, 'lastUsedAt'>> {
    return this.passkeys.registerPasskey(name);
  }

  listPasskeys(): Promise<PasskeyInfo[]> {
    return this.passkeys.listPasskeys();
  }

  deletePasskey(id: string): Promise<void> {
    return this.passkeys.deletePasskey(id);
  }

  /**
   * Signs in with one of this site's passkeys, no email typed (the browser asks which). A passkey with
   * user verification stands for the password and the second factor, and needs no device approval: the
   * outcome is a session, or an error (`invalid_credentials`, `account_disabled`, a browser DOMException).
   */
  signInWithPasskey(options: { deviceId?: string } = {}): Promise<Session> {
    return this.passkeys.signInWithPasskey(options);
  }

  /** Marks the account's address verified with the token of its verification mail (the link's `#token=`). */
  verifyEmail(token: string): Promise<void> {
    return this.email.verifyEmail(token);
  }

  /** Mails the signed-in account a new verification link (`rate_limited` past EMAIL_RESEND_PER_HOUR). */
  resendVerification(): Promise<void> {
    return this.email.resendVerification();
  }

  /** Asks for a reset mail: answered alike whether an account has the address or not. */
  forgotPassword(email: string): Promise<void> {
    return this.password.forgotPassword(email);
  }

  /** Sets a new password with the token of a reset mail; every session of the account ends (this one too). */
  resetPassword(token: string, password: string): Promise<void> {
    return this.password.resetPassword(token, password);
  }

  /** Changes the signed-in account's password; every other session of the account ends. */
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.password.changePassword(currentPassword, newPassword);
  }

  sessions(): Promise<SessionInfo[]> {
    return this.sessionList.sessions();
  }

  revokeSession(sessionId: string): Promise<void> {
    return this.sessionList.revokeSession(sessionId);
  }

  revokeOtherSessions(): Promise<void> {
    return this.sessionList.revokeOtherSessions();
  }

  // --- the session -------------------------------------------------------------------------------

  /**
   * A new token pair for the session. Single flight: concurrent calls (and, with a shared store and
   * Web Locks, other tabs) share one request, so a refresh token is never spent twice.
   */
  refresh(): Promise<Session> {
    const spent = this.session?.refreshToken;
    return this.refreshes.run(async (waited) => {
      // Another tab may have refreshed while this one waited for the lock: its pair is in the store.
      let stored = this.store.load();
      // ... or about to be: Chromium hands a write to localStorage to the other tabs' processes a
      // moment after it happened, and the lock may come first. Spending the token now would spend it
      // twice (with no grace window, a reuse that ends the session): look again for a short while.
      if (waited && spent !== undefined && stored?.refreshToken === spent) stored = await this.storedOtherThan(spent, STORE_SYNC_WAIT_MS);
      if (stored && stored.refreshToken !== spent && stored.expiresAt - Date.now() > this.skewMs) {
        this.session = stored;
        this.scheduleRefresh();
        this.emit('tokens', { session: stored });
        return stored;
      }
      const session = stored ?? this.session;
      if (!session) throw AuthgateError.signedOut();
      try {
        const { data } = await this.send('refresh', { refreshToken: session.refreshToken, deviceId: this.deviceId }, { viaRestIfReconnecting: true });
        return this.adopt(data as TokenPair, 'refresh');
      } catch (err) {
        if (err instanceof AuthgateError && err.code === 'invalid_token') this.endSession('expired');
        throw err;
      }
    });
  }

  /** The stored session once its refresh token is not `spent` (another tab's write arrived), or as it is after `ms`. */
  private async storedOtherThan(spent: string, ms: number): Promise<Session | null> {
    const until = Date.now() + ms;
    for (;;) {
      const stored = this.store.load();
      if (stored?.refreshToken !== spent || Date.now() > until) return stored;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A valid access token, refreshed first when it expires within the skew. */
  async accessToken(): Promise<string> {
    const session = this.session;
    if (!session) throw AuthgateError.signedOut();
    if (session.expiresAt - Date.now() > Math.min(this.skewMs, 5_000)) return session.accessToken;
    return (await this.refresh()).accessToken;
  }

  /** Ends this session on the server and here. */
  async logout(): Promise<void> {
    const session = this.session;
    if (!session) return;
    // The server closes the connections of the session it ends (4001): a request sent into this one
    // before its close arrived would be lost, so the next ones wait for a new connection.
    const bound = this.socketSession === session.sessionId;
    try {
      await this.send('logout', { refreshToken: session.refreshToken });
    } finally {
      if (bound) this.socket?.retire();
      this.endSession('logout');
    }
  }

  /** Asks the gateway whether the access token is valid (it checks revocation too). */
  async verify(): Promise<{ sub: string; sid: string; exp: number }> {
    const accessToken = await this.accessToken();
    return (await this.send('verify', { accessToken }, { bearer: accessToken })).data as { sub: string; sid: string; exp: number };
  }

  async me(): Promise<Me> {
    return (await this.authed('me', {})).data as Me;
  }

  /** The account's own audit trail, newest first; pass `next` back as `before` for the next page. */
  async events(page: { limit?: number; before?: string } = {}): Promise<EventPage> {
    return (await this.authed('events', page)).data as EventPage;
  }

  /** Stops timers and the WebSocket. The session stays in the store. */
  close(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.unwatch?.();
    this.socket?.stop();
  }

  /**
   * Connects the WebSocket now (it connects by itself on first need) and resolves once it is ready:
   * authenticated as the session when signed in, so that live events reach it from then on.
   */
  async connect(): Promise<void> {
    if (!this.socket) return;
    await this.socket.ready();
    await this.authenticateSocket();
  }

  // --- inside --------------------------------------------------------------------------------------

  private async signInStep(name: CommandName, body: Record<string, unknown>): Promise<LoginOutcome> {
    try {
      const { data } = await this.sendSolving(name, body);
      return { kind: 'signed_in', session: this.adopt(data as TokenPair, name) };
    } catch (err) {
      if (!(err instanceof AuthgateError)) throw err;
      if (err.code === 'mfa_required') {
        return { kind: 'mfa_required', mfaToken: String(err.body.mfaToken), methods: (err.body.methods as string[] | undefined) ?? ['totp'] };
      }
      if (err.code === 'device_verification_required') {
        const challenge = { verificationId: String(err.body.verificationId), completeToken: String(err.body.completeToken) };
        this.deviceChallenges.set(challenge.verificationId, challenge.completeToken);
        return { kind: 'device_verification_required', ...challenge, expiresIn: Number(err.body.expiresIn), notified: err.body.notified !== false };
      }
      throw err;
    }
  }

  /**
   * Sends a login; a `challenge_required` (the gateway sees credential stuffing) is solved off the main
   * thread and the login sent again with the answer, the `challenge` event telling the page meanwhile.
   * A few rounds at most: each answer is single use, and a challenge that expired on the way is reissued.
   */
  private async sendSolving(name: CommandName, body: Record<string, unknown>): Promise<Sent> {
    for (let round = 1; ; round++) {
      try {
        return await this.send(name, body);
      } catch (err) {
        if (!(err instanceof AuthgateError) || err.code !== 'challenge_required' || round >= MAX_CHALLENGE_ROUNDS) throw err;
        const challenge = err.body.challenge as ProofOfWork;
        body = { ...body, challenge: await solveProofOfWork(challenge, (progress) => this.emit('challenge', progress)) };
      }
    }
  }

  /** Takes a token pair as the session. Over the WebSocket, the connection it came on is now that session's. */
  private adopt(pair: TokenPair, via: CommandName): Session {
    const previous = this.session;
    const session: Session = {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      sessionId: pair.sessionId,
      user: pair.user,
      expiresAt: Date.now() + pair.expiresIn * 1000,
    };
    this.session = session;
    this.store.save(session);
    // A sign-in or a refresh over the socket binds it to the session
    // (a refresh goes over HTTP while the socket is not ready: then it does not).
    const overSocket = this.transport === 'ws' && COMMANDS[via].wsType !== undefined && this.socket?.isReady === true;
    if (overSocket) {
      this.socketSession = session.sessionId;
      this.socketToken = session.accessToken;
    }
    if (previous?.sessionId === session.sessionId) {
      this.scheduleRefresh();
      this.emit('tokens', { session });
      if (!overSocket) this.renewSocketAuthentication();
    } else this.sessionBegan(true);
    return session;
  }

  /**
   * New tokens that did not come over the socket (a refresh over REST, or by another tab): the socket
   * authenticates again with the new access token, since the server ends its authentication, and its
   * live events, at the old one's `exp`.
   */
  private renewSocketAuthentication(): void {
    if (!this.live || !this.socket?.isOpen) return;
    const again = () => this.authenticateSocket().catch(() => {});
    // One in flight may be sending the old token: once it is answered, the token is compared again.
    if (this.authenticating) this.authenticating.then(again, again);
    else void again();
  }

  private sessionBegan(announce: boolean): void {
    this.scheduleRefresh();
    if (this.live && this.socket) {
      // Live events: the socket opens (if need be) and authenticates in its `opened` hook.
      // A bind that fails (the client closed meanwhile, a refused token) is no error of anyone's: the next
      // session request over the socket authenticates it again.
      this.socket
        .ready()
        .then(() => this.authenticateSocket())
        .catch(() => {});
    }
    if (announce && this.session) this.emit('signed_in', { session: this.session });
  }

  /** Forgets the session here (the server ended it, or is ending it). */
  private endSession(reason: string): void {
    if (!this.session) return;
    this.session = null;
    this.socketSession = undefined;
    this.socketToken = undefined;
    this.store.save(null);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.emit('signed_out', { reason });
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const session = this.session;
    if (!session || !this.autoRefresh) return;
    const lifetime = Math.max(0, session.expiresAt - Date.now());
    const skew = Math.min(this.skewMs, lifetime / 3);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh().catch((err: unknown) => {
        // Unreachable for now: try again shortly; a refused token already signed the session out.
        if (err instanceof AuthgateError && (err.code === 'network' || err.code === 'overloaded' || err.code === 'timeout') && this.session) {
          this.refreshTimer = setTimeout(() => this.scheduleRefresh(), 5_000);
        }
      });
    }, lifetime - skew);
    // A timer must not keep a Node process alive on its own.
    (this.refreshTimer as { unref?: () => void }).unref?.();
  }

  /** A session command: with a fresh access token, and once more after a refresh if it was refused. */
  private async authed(name: CommandName, body: Record<string, unknown>): Promise<Sent> {
    const token = await this.accessToken();
    try {
      return await this.send(name, body, { bearer: token });
    } catch (err) {
      if (!(err instanceof AuthgateError) || err.code !== 'invalid_token' || !this.session) throw err;
      // Refused although not yet expired here: the clock differs, or the key rotated. One refresh decides.
      const fresh = await this.refresh();
      return this.send(name, body, { bearer: fresh.accessToken });
    }
  }

  private async send(name: CommandName, body: Record<string, unknown>, options: { bearer?: string; viaRestIfReconnecting?: boolean } = {}): Promise<Sent> {
    const spec = COMMANDS[name];
    this.sent[name] = (this.sent[name] ?? 0) + 1;
    const overSocket = this.transport === 'ws' && spec.wsType !== undefined && this.socket && !(options.viaRestIfReconnecting && !this.socket.isReady);
    if (overSocket && this.socket) {
      if (spec.bearer && name !== 'verify') await this.authenticateSocket();
      // `verify` and `authenticate` are answered by the edge itself: nothing is kept to collect after a drop.
      const frame = await this.socket.request(spec.wsType as string, body, name !== 'verify');
      return resultOf(frame);
    }
    return this.rest(name, body, options.bearer);
  }

  private async rest(name: CommandName, body: Record<string, unknown>, bearer: string | undefined): Promise<Sent> {
    const spec = COMMANDS[name];
    const origin = isAccountRoute(name) ? this.accountApiUrl : this.baseUrl;
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (spec.method === 'POST') {
      headers['content-type'] = 'application/json';
      const fields = { ...body };
      for (const key of ('inPath' in spec ? spec.inPath : undefined) ?? []) delete fields[key];
      payload = JSON.stringify(fields);
    }
    if (bearer && spec.bearer) headers.authorization = `Bearer ${bearer}`;
    let connectionId: string | undefined;
    if (this.deferred && spec.deferrable && this.socket) {
      await this.socket.ready();
      connectionId = this.socket.connectionId;
      if (connectionId) headers['x-connection-id'] = connectionId;
    }
    const answer = await this.fetchJson(`${origin}${spec.path(body)}`, { method: spec.method, headers, ...(payload === undefined ? {} : { body: payload }) });
    if (answer.status === 202 && connectionId && this.socket) {
      const requestId = (answer.data as { requestId: string }).requestId;
      return resultOf(await this.socket.awaitDeferred(requestId, connectionId));
    }
    return answer;
  }

  private async fetchJson(url: string, init: RequestInit): Promise<Sent> {
    let response: Response;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.requestTimeoutMs);
    try {
      response = await this.fetchImpl(url, { ...init, signal: abort.signal });
    } catch {
      clearTimeout(timer);
      throw AuthgateError.network(`cannot reach ${new URL(url).origin}`);
    }
    let data: unknown;
    try {
      const text = await response.text();
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) return { status: response.status, data };
    const error = (data as { error?: ErrorBody } | undefined)?.error;
    throw new AuthgateError(error ?? { code: codeOfStatus(response.status), message: `HTTP ${response.status}` }, response.status);
  }

  /** The result of a request whose connection dropped, collected by id from any edge (the server keeps it 60 s). */
  private async collectResult(requestId: string, connectionId: string): Promise<ResultFrame> {
    const deadline = Date.now() + this.requestTimeoutMs;
    for (;;) {
      try {
        const { data } = await this.fetchJson(`${this.baseUrl}/auth/results/${requestId}`, { headers: { 'x-connection-id': connectionId } });
        return data as ResultFrame;
      } catch (err) {
        const retry = err instanceof AuthgateError && (err.code === 'not_found' || err.code === 'network' || err.code === 'overloaded');
        if (!retry || Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, RECOVER_POLL_MS));
    }
  }

  /** Binds the WebSocket to the current session (for live events and session commands over it); one at a time. */
  private authenticateSocket(now = false): Promise<void> {
    const session = this.session;
    if (!this.socket || !session) return Promise.resolve();
    if (this.socketSession === session.sessionId && this.socketToken === session.accessToken && this.socket.isOpen) return Promise.resolve();
    // The hook never waits for another caller's authenticate: that one waits for the hook (socket.ready).
    if (this.authenticating && !now) return this.authenticating;
    this.authenticating = this.bindSocket(session, now).finally(() => {
      this.authenticating = undefined;
    });
    return this.authenticating;
  }

  /** `now`: from the socket's `opened` hook, which requests may not wait for (it is what they wait for). */
  private async bindSocket(session: Session, now: boolean): Promise<void> {
    const socket = this.socket as LiveSocket;
    const ask = (accessToken: string) => {
      this.sent.authenticate = (this.sent.authenticate ?? 0) + 1;
      return now ? socket.requestNow('authenticate', { accessToken }) : socket.request('authenticate', { accessToken }, false);
    };
    // An access token (about to be) expired is refreshed first (over HTTP from the hook: the socket is not
    // ready). Only then: one that expires soon is replaced on the socket after the refresh that comes.
    let accessToken = session.expiresAt - Date.now() < SOCKET_TOKEN_MIN_MS ? (await this.refresh()).accessToken : session.accessToken;
    let frame = await ask(accessToken);
    if (!frame.ok && frame.error?.code === 'invalid_token' && this.session) {
      // Refused: expired while away, or revoked. One refresh tells which (and signs out if revoked).
      accessToken = (await this.refresh()).accessToken;
      frame = await ask(accessToken);
    }
    if (!frame.ok) throw new AuthgateError(frame.error ?? { code: 'internal', message: 'authenticate failed' }, frame.status);
    this.socketSession = this.session?.sessionId;
    this.socketToken = accessToken;
  }

  /** The socket's `opened` hook: after a reconnect, the new connection becomes the session's again. */
  private async reauthenticate(): Promise<void> {
    this.socketSession = undefined;
    this.socketToken = undefined;
    await this.authenticateSocket(true).catch(() => {
      // A refused refresh signed the session out; anything else: the next request authenticates again.
    });
  }

  private onLiveEvent(name: string, data: Record<string, unknown>): void {
    if (name === 'session.revoked' && data.sessionId === this.session?.sessionId) {
      // The server closes the connections of the session it ended (4001) right after this event: a
      // request sent into this one before that close would be lost, so the next ones wait for a new one.
      if (this.socketSession === data.sessionId) this.socket?.retire();
      // Signed out first: listeners of session.revoked then see a client with no session to use.
      this.endSession(String(data.reason ?? 'revoked'));
      this.emit('session.revoked', data as EventMap['session.revoked']);
      return;
    }
    this.emit(name as keyof EventMap, data as never);
  }

  private onSocketClosed(code: number): void {
    this.socketSession = undefined;
    this.socketToken = undefined;
    // 4001: this session was revoked (session.revoked came first, unless it was lost on the way).
    if (code === 4001) this.endSession('revoked');
  }

  /** Another tab signed in, refreshed or signed out (shared store). */
  private onStoreChanged(session: Session | null): void {
    const previous = this.session;
    if (!session) {
      if (previous) this.endSession('signed out in another tab');
      return;
    }
    this.session = session;
    if (previous?.sessionId === session.sessionId) {
      this.scheduleRefresh();
      this.emit('tokens', { session });
      this.renewSocketAuthentication();
    } else this.sessionBegan(true);
  }
}

function resultOf(frame: ResultFrame): Sent {
  if (frame.ok) return { status: frame.status, data: frame.data };
  throw new AuthgateError(frame.error ?? { code: codeOfStatus(frame.status), message: `status ${frame.status}` }, frame.status);
}

/** An answer without the contract's error object (a proxy's page): its code by status, as docs/errors.md advises. */
function codeOfStatus(status: number): string {
  if (status === 400) return 'invalid_request';
  if (status === 401) return 'invalid_token';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'overloaded';
  if (status === 504) return 'timeout';
  return 'internal';
}

export function createClient(options: ClientOptions): AuthgateClient {
  return new AuthgateClient(options);
}
