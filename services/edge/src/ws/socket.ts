import { TextDecoder } from 'node:util';
import {
  AppError, checkNewPassword, clientFrame, fieldIssues, newConnectionId, newRequestId, toAppError,
  type ClientFrame, type Logger, type LoginLimiter,
} from '@authgate/shared';
import { appErrorReply, send } from '../http/respond.ts';
import { refusesUpgrade, type CorsPolicy } from '../security/cors.ts';
import type { IpRateLimiter } from '../rate-limit.ts';
import type { Relay } from '../relay.ts';
import type { TemplatedApp, WebSocket } from '../uws.ts';
import type { TokenVerifier } from '../verify.ts';
import { clientIp } from '../http/client-ip.ts';
import type { Connections, SocketData } from './connections.ts';

export interface SocketOptions {
  nodeId: string;
  maxPayloadBytes: number;
  idleTimeoutS: number;
  maxBackpressureBytes: number;
  maxFramesPer10s: number;
  maxInFlightPerConnection: number;
  trustedProxies: ReadonlySet<string>;
  /** With an allowlist set, upgrades from browser pages of other origins are refused. */
  cors: CorsPolicy;
  log: Logger;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FLOOD_WINDOW_MS = 10_000;
const OVERSIZE_HARD_CAP_FACTOR = 16;

/**
 * The /ws protocol of docs/websocket.md. A frame over WS_MAX_PAYLOAD_BYTES closes the connection with 1009; a client
 * sending more than its share of frames is closed with 1008. Everything else that is wrong gets an
 * `error` (unknown or unparseable frame) or an error `result` (a request with bad fields) and the
 * connection stays open.
 */
export function registerWebSocket(
  app: TemplatedApp,
  deps: { relay: Relay; connections: Connections; verifier: TokenVerifier; limiter: IpRateLimiter; loginLimiter: LoginLimiter },
  options: SocketOptions,
): void {
  const { relay, connections, verifier, limiter, loginLimiter } = deps;

  const sendFrame = (ws: WebSocket<SocketData>, frame: unknown) => {
    if (!ws.getUserData().closed) ws.send(JSON.stringify(frame), false);
  };
  const sendError = (ws: WebSocket<SocketData>, err: AppError) => sendFrame(ws, { type: 'error', error: err.toPayload() });
  const sendResultError = (ws: WebSocket<SocketData>, id: string, err: AppError) =>
    sendFrame(ws, { type: 'result', id, ok: false, status: err.status, error: err.toPayload() });

  const handleFrame = async (ws: WebSocket<SocketData>, frame: ClientFrame) => {
    const data = ws.getUserData();
    if (frame.type === 'verify') {
      try {
        const claims = verifier.cached(frame.accessToken) ?? (await verifier.verify(frame.accessToken));
        sendOutside(ws, { type: 'result', id: frame.id, ok: true, status: 200, data: { sub: claims.sub, sid: claims.sid, exp: claims.exp } });
      } catch (err) {
        sendOutside(ws, { type: 'result', id: frame.id, ok: false, status: 401, error: toAppError(err).toPayload() });
      }
      return;
    }
    const { type, id, ...body } = frame;
    if (frame.type === 'register') checkNewPassword(frame.password, frame.email);
    await limiter.consume(data.ip);
    if (frame.type === 'login') await loginLimiter.admit(frame.email, data.ip);
    if (data.closed) return;
    data.inFlight.add(id);
    relay.submit(type, body, data.ip, { kind: 'ws', connectionId: data.connectionId, clientId: id });
  };

  /** After an await we are outside uWS's callback: the write must be corked and the socket still open. */
  const sendOutside = (ws: WebSocket<SocketData>, frame: unknown) => {
    if (ws.getUserData().closed) return;
    ws.cork(() => ws.send(JSON.stringify(frame), false));
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
      if (refusesUpgrade(options.cors, req.getHeader('origin'))) {
        send(res, appErrorReply(new AppError('forbidden', 'WebSocket connections from this origin are not allowed'), newRequestId()));
        return;
      }
      const data: SocketData = {
        connectionId: newConnectionId(options.nodeId),
        ip: clientIp(res, req, options.trustedProxies),
        closed: false,
        windowStart: Date.now(),
        frames: 0,
        inFlight: new Set(),
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
      const parsed = clientFrame.safeParse(parsedJson);
      if (!parsed.success) {
        const id = requestIdOf(parsedJson);
        const err = new AppError('invalid_request', 'frame is not a valid message', { details: fieldIssues(parsed.error) });
        if (id !== undefined && isKnownType(parsedJson)) sendResultError(ws, id, err);
        else sendError(ws, err);
        return;
      }
      const frame = parsed.data;
      if (data.inFlight.has(frame.id)) {
        sendError(ws, new AppError('invalid_request', `request id ${JSON.stringify(frame.id)} is already in flight`));
        return;
      }
      if (data.inFlight.size >= options.maxInFlightPerConnection) {
        sendResultError(ws, frame.id, new AppError('overloaded', 'too many requests in flight on this connection'));
        return;
      }
      handleFrame(ws, frame).catch((err: unknown) => {
        data.inFlight.delete(frame.id);
        const appError = toAppError(err);
        if (appError.code === 'internal') options.log.error({ err }, 'websocket request failed');
        sendOutside(ws, { type: 'result', id: frame.id, ok: false, status: appError.status, error: appError.toPayload() });
      });
    },

    close: (ws) => {
      const data = ws.getUserData();
      data.closed = true;
      connections.remove(data.connectionId);
    },
  });
}

function requestIdOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
}

const KNOWN_TYPES = new Set(['register', 'login', 'refresh', 'logout', 'verify']);
function isKnownType(value: unknown): boolean {
  return KNOWN_TYPES.has((value as { type?: unknown } | null)?.type as string);
}
