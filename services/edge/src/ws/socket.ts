import { TextDecoder } from 'node:util';
import { AppError, toAppError } from '@authgate/shared/errors';
import { newConnectionId, newRequestId } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import {
  ACCEPTED_AT_EDGE,
  fieldIssues,
  frameEnvelope,
  SESSION_KINDS,
  SIGN_IN_KINDS,
  type CommandKind,
  type Result,
  type TokenPair,
} from '@authgate/shared/protocol';
import { outcomeLabel } from '@authgate/shared/metrics/outcome';
import { isStorableText, storableText, unstorableTextIssues } from '@authgate/shared/storable-text';
import type { Admission } from '../admission.ts';
import { clientIp } from '../http/client-ip.ts';
import { appErrorReply, send } from '../http/respond.ts';
import { meteredTarget, type EdgeMetrics } from '../observe/metrics.ts';
import type { EdgeTracing } from '../observe/tracing.ts';
import type { Relay, ResultTarget } from '../relay.ts';
import type { SessionActivity } from '../session-activity.ts';
import type { AccountSockets } from './accounts.ts';
import { refusesUpgrade, type CorsPolicy } from '../security/cors.ts';
import type { TemplatedApp, WebSocket } from '../uws.ts';
import type { TokenVerifier } from '../verify.ts';
import { authCurrent, endRequest, requestsInFlight, startRequest, type Connections, type SocketData } from './connections.ts';
import { issuedExp } from './issued-exp.ts';
import { WsRequestTarget } from './request-target.ts';

export interface SocketOptions {
  nodeId: string;
  maxPayloadBytes: number;
  idleTimeoutS: number;
  maxBackpressureBytes: number;
  maxFramesPer10s: number;
  maxInFlightPerConnection: number;
  maxClientIdLength: number;
  trustedProxies: ReadonlySet<string>;
  /** Upgrades from browser pages of other origins are refused: the allowlist's, or other hosts' without one. */
  cors: CorsPolicy;
  log: Logger;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FLOOD_WINDOW_MS = 10_000;
const OVERSIZE_HARD_CAP_FACTOR = 16;

/**
 * The /ws protocol (docs/websocket.md). A frame over WS_MAX_PAYLOAD_BYTES closes the connection with
 * 1009; a client sending more than its share of frames is closed with 1008. Everything else that is
 * wrong gets an `error` (unknown or unparseable frame) or an error `result` (a request with bad
 * fields) and the connection stays open. Commands pass the same admission as REST requests.
 */
export function registerWebSocket(
  app: TemplatedApp,
  deps: {
    relay: Relay;
    connections: Connections;
    accounts: AccountSockets;
    activity: SessionActivity;
    verifier: TokenVerifier;
    admission: Admission;
    metrics?: EdgeMetrics | undefined;
    tracing?: EdgeTracing | undefined;
  },
  options: SocketOptions,
): void {
  const { relay, connections, accounts, verifier, admission, metrics, tracing } = deps;

  const sendFrame = (ws: WebSocket<SocketData>, frame: unknown) => {
    if (!ws.getUserData().closed) connections.sent(ws.send(JSON.stringify(frame), false));
  };
  /** After an await we are outside uWS's callback: the write must be corked and the socket still open. */
  const sendOutside = (ws: WebSocket<SocketData>, frame: unknown) => {
    if (ws.getUserData().closed) return;
    ws.cork(() => connections.sent(ws.send(JSON.stringify(frame), false)));
  };
  const sendError = (ws: WebSocket<SocketData>, err: AppError) => sendFrame(ws, { type: 'error', error: err.toPayload() });
  const errorResult = (id: string, err: AppError) => ({ type: 'result', id, ok: false, status: err.status, error: err.toPayload() });

  /** `verify` checks a token; `authenticate` also binds the connection to its session for live events. */
  const verifyMeter = metrics?.message('verify');
  const authenticateMeter = metrics?.message('authenticate');
  const verify = async (ws: WebSocket<SocketData>, id: string, accessToken: unknown, bind: boolean) => {
    const meter = bind ? authenticateMeter : verifyMeter;
    const started = meter ? performance.now() : 0;
    try {
      // A missing or malformed token is `invalid_token`, as over REST.
      if (typeof accessToken !== 'string' || accessToken.length === 0) throw new AppError('invalid_token', 'missing or malformed access token');
      const claims = verifier.cached(accessToken) ?? (await verifier.verify(accessToken));
      deps.activity.seen(claims.sub, claims.sid);
      if (bind && !ws.getUserData().closed) await accounts.bind(ws, { sub: claims.sub, sid: claims.sid, exp: claims.exp });
      const data = bind ? { sub: claims.sub, sid: claims.sid } : { sub: claims.sub, sid: claims.sid, exp: claims.exp };
      sendOutside(ws, { type: 'result', id, ok: true, status: 200, data });
      meter?.answered('ok', started);
    } catch (err) {
      const appError = toAppError(err);
      sendOutside(ws, errorResult(id, appError));
      meter?.answered(outcomeLabel(appError.code), started);
    }
  };

  /**
   * A successful sign-in or refresh over the socket binds it to the session it started or continued,
   * until the `exp` of the access token it issued (read, not verified: the pair comes from a worker,
   * as its sessionId and user do).
   */
  const bindOnSuccess = (ws: WebSocket<SocketData>, kind: CommandKind) =>
    SIGN_IN_KINDS.has(kind)
      ? (result: Result) => {
          const pair = (result.ok ? result.data : undefined) as Partial<TokenPair> | undefined;
          if (!pair?.sessionId || !pair.user?.id || ws.getUserData().closed) return;
          const exp = issuedExp(pair.accessToken);
          if (exp === undefined) {
            options.log.warn({ kind }, 'token pair without a readable exp: the connection is not bound');
            return;
          }
          accounts.bind(ws, { sub: pair.user.id, sid: pair.sessionId, exp }).catch((err: unknown) => options.log.warn({ err }, 'presence not recorded'));
        }
      : undefined;

  const submit = async (ws: WebSocket<SocketData>, kind: CommandKind, id: string, body: Record<string, unknown>) => {
    const data = ws.getUserData();
    startRequest(data, id);
    const meter = metrics?.message(kind);
    const started = meter ? performance.now() : 0;
    const traced = tracing?.begin(`ws ${kind}`, { 'authgate.kind': kind, 'authgate.transport': 'ws' });
    const work = async () => {
      try {
        const auth = SESSION_KINDS.has(kind) ? authenticated(data) : undefined;
        const admit = () => admission.admit(kind, () => body, data.ip);
        const admitted = { ...(traced ? await traced.admission(admit) : await admit()), userAgent: data.userAgent, auth };
        if (data.closed) {
          await admission.notRun(admitted);
          traced?.end(499, 'client_gone');
          return;
        }
        if (ACCEPTED_AT_EDGE.has(kind)) {
          // Answered here, at once, never by the worker's result (a forgot request: Relay.submitAccepted).
          relay.submitAccepted(admitted);
          endRequest(data, id);
          sendOutside(ws, { type: 'result', id, ok: true, status: 202 });
          meter?.answered('ok', started);
          traced?.end(202);
          return;
        }
        let target: ResultTarget = new WsRequestTarget(connections, data.connectionId, id, bindOnSuccess(ws, kind));
        if (meter) target = meteredTarget(target, meter, started);
        relay.submit(admitted, traced ? traced.waitFor(target) : target);
      } catch (err) {
        endRequest(data, id);
        const appError = toAppError(err);
        if (appError.code === 'internal') options.log.error({ err }, 'websocket request failed');
        sendOutside(ws, errorResult(id, appError));
        meter?.answered(outcomeLabel(appError.code), started);
        traced?.end(appError.status, appError.code);
      }
    };
    return traced ? traced.run(work) : work();
  };

  app.ws<SocketData>('/ws', {
    // uWS drops a connection whose frame passes its own limit without a close frame (1006). Its hard cap
    // sits well above ours so that an oversized frame gets a proper 1009 from the check in `message`.
    maxPayloadLength: options.maxPayloadBytes * OVERSIZE_HARD_CAP_FACTOR,
    idleTimeout: options.idleTimeoutS,
    maxBackpressure: options.maxBackpressureBytes,
    closeOnBackpressureLimit: 1,
    sendPingsAutomatically: true,

    upgrade: (res, req, context) => {
      if (refusesUpgrade(options.cors, req.getHeader('origin'), req.getHeader('host'))) {
        send(res, appErrorReply(new AppError('forbidden', 'WebSocket connections from this origin are not allowed'), newRequestId()));
        return;
      }
      const data: SocketData = {
        connectionId: newConnectionId(options.nodeId),
        ip: clientIp(res, req, options.trustedProxies),
        // Shown in the sessions list and kept in audit rows: cut whole, cleaned of what PostgreSQL cannot store.
        userAgent: storableText(req.getHeader('user-agent'), 512),
        closed: false,
        windowStart: Date.now(),
        frames: 0,
        inFlight: undefined,
      };
      res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },

    open: (ws) => {
      connections.add(ws);
      sendFrame(ws, { type: 'welcome', connectionId: ws.getUserData().connectionId });
    },

    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      const now = Date.now();
      if (now - data.windowStart > FLOOD_WINDOW_MS) {
        data.windowStart = now;
        data.frames = 0;
      }
      if (++data.frames > options.maxFramesPer10s) {
        ws.end(1008, 'message rate exceeded');
        return;
      }
      if (message.byteLength > options.maxPayloadBytes) {
        ws.end(1009, 'message too big');
        return;
      }
      if (isBinary) {
        sendError(ws, new AppError('invalid_request', 'binary frames are not supported; send JSON text'));
        return;
      }
      let parsedJson: unknown;
      try {
        parsedJson = JSON.parse(utf8.decode(message));
      } catch {
        sendError(ws, new AppError('invalid_request', 'frame is not valid UTF-8 JSON'));
        return;
      }
      const envelope = frameEnvelope.safeParse(parsedJson);
      if (!envelope.success) {
        sendError(ws, new AppError('invalid_request', 'frame is not a valid message', { details: fieldIssues(envelope.error) }));
        return;
      }
      const { type, id, ...body } = envelope.data;
      if (id.length > options.maxClientIdLength) {
        sendError(
          ws,
          new AppError('invalid_request', 'frame is not a valid message', {
            details: [{ path: 'id', message: `must be at most ${options.maxClientIdLength} characters` }],
          }),
        );
        return;
      }
      // Every string of the frame, keys included, at any depth: none may hold U+0000 or an unpaired
      // surrogate, which PostgreSQL cannot store (shared/src/storable-text.ts). The request gets its
      // error result, unless its own id holds one or is in flight: then the frame gets an error.
      const unstorable = unstorableTextIssues(parsedJson);
      if (unstorable.length > 0) {
        const err = new AppError('invalid_request', 'frame holds text that cannot be stored', { details: unstorable });
        if (isStorableText(id) && !data.inFlight?.has(id)) sendFrame(ws, errorResult(id, err));
        else sendError(ws, err);
        return;
      }
      if (data.inFlight?.has(id)) {
        sendError(ws, new AppError('invalid_request', `request id ${JSON.stringify(id)} is already in flight`));
        return;
      }
      if (requestsInFlight(data) >= options.maxInFlightPerConnection) {
        sendFrame(ws, errorResult(id, new AppError('overloaded', 'too many requests in flight on this connection')));
        return;
      }
      if (type === 'verify' || type === 'authenticate') void verify(ws, id, body.accessToken, type === 'authenticate');
      else void submit(ws, type, id, body);
    },

    close: (ws) => {
      const data = ws.getUserData();
      data.closed = true;
      accounts.unbind(data);
      connections.remove(data.connectionId);
    },
  });

  /**
   * The session a SESSION_KINDS message acts for. The checks: the connection is authenticated as a
   * session, the access token it authenticated with has not expired, and the session is not revoked.
   */
  function authenticated(data: SocketData): { sub: string; sid: string } {
    const auth = data.auth;
    if (!auth || !authCurrent(auth, Date.now()) || verifier.isRevoked(auth.sid)) {
      throw new AppError(
        'invalid_token',
        'this connection is not authenticated, or the access token it authenticated with has expired: send `authenticate` with a current access token',
      );
    }
    deps.activity.seen(auth.sub, auth.sid);
    return { sub: auth.sub, sid: auth.sid };
  }
}
