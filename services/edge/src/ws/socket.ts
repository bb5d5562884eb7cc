import { TextDecoder } from 'node:util';
import { AppError, toAppError } from '@authgate/shared/errors';
import { newConnectionId, newRequestId } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import { fieldIssues, frameEnvelope } from '@authgate/shared/protocol';
import { outcomeLabel } from '@authgate/shared/metrics/outcome';
import type { Admission } from '../admission.ts';
import { clientIp } from '../http/client-ip.ts';
import { appErrorReply, send } from '../http/respond.ts';
import { meteredTarget, type EdgeMetrics } from '../observe/metrics.ts';
import type { EdgeTracing } from '../observe/tracing.ts';
import type { Relay, ResultTarget } from '../relay.ts';
import { refusesUpgrade, type CorsPolicy } from '../security/cors.ts';
import type { TemplatedApp, WebSocket } from '../uws.ts';
import type { TokenVerifier } from '../verify.ts';
import type { Connections, SocketData } from './connections.ts';
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
  /** With an allowlist set, upgrades from browser pages of other origins are refused. */
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
  deps: { relay: Relay; connections: Connections; verifier: TokenVerifier; admission: Admission; metrics?: EdgeMetrics | undefined; tracing?: EdgeTracing | undefined },
  options: SocketOptions,
): void {
  const { relay, connections, verifier, admission, metrics, tracing } = deps;

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

  const verifyMeter = metrics?.message('verify');
  const verify = async (ws: WebSocket<SocketData>, id: string, accessToken: unknown) => {
    const started = verifyMeter ? performance.now() : 0;
    try {
      // A missing or malformed token is `invalid_token`, as over REST.
      if (typeof accessToken !== 'string' || accessToken.length === 0) throw new AppError('invalid_token', 'missing or malformed access token');
      const claims = verifier.cached(accessToken) ?? (await verifier.verify(accessToken));
      sendOutside(ws, { type: 'result', id, ok: true, status: 200, data: { sub: claims.sub, sid: claims.sid, exp: claims.exp } });
      verifyMeter?.answered('ok', started);
    } catch (err) {
      const appError = toAppError(err);
      sendOutside(ws, errorResult(id, appError));
      verifyMeter?.answered(outcomeLabel(appError.code), started);
    }
  };

  const submit = async (ws: WebSocket<SocketData>, kind: Exclude<typeof frameEnvelope._output.type, 'verify'>, id: string, body: Record<string, unknown>) => {
    const data = ws.getUserData();
    data.inFlight.add(id);
    const meter = metrics?.message(kind);
    const started = meter ? performance.now() : 0;
    const traced = tracing?.begin(`ws ${kind}`, { 'authgate.kind': kind, 'authgate.transport': 'ws' });
    const work = async () => {
      try {
        const admitted = traced ? await traced.admission(() => admission.admit(kind, body, data.ip)) : await admission.admit(kind, body, data.ip);
        if (data.closed) {
          traced?.end(499, 'client_gone');
          return;
        }
        let target: ResultTarget = new WsRequestTarget(connections, data.connectionId, id);
        if (meter) target = meteredTarget(target, meter, started);
        relay.submit(kind, admitted, data.ip, traced ? traced.waitFor(target) : target);
      } catch (err) {
        data.inFlight.delete(id);
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
      const envelope = frameEnvelope.safeParse(parsedJson);
      if (!envelope.success) {
        sendError(ws, new AppError('invalid_request', 'frame is not a valid message', { details: fieldIssues(envelope.error) }));
        return;
      }
      const { type, id, ...body } = envelope.data;
      if (id.length > options.maxClientIdLength) {
        sendError(ws, new AppError('invalid_request', 'frame is not a valid message', { details: [{ path: 'id', message: `must be at most ${options.maxClientIdLength} characters` }] }));
        return;
      }
      if (data.inFlight.has(id)) {
        sendError(ws, new AppError('invalid_request', `request id ${JSON.stringify(id)} is already in flight`));
        return;
      }
      if (data.inFlight.size >= options.maxInFlightPerConnection) {
        sendFrame(ws, errorResult(id, new AppError('overloaded', 'too many requests in flight on this connection')));
        return;
      }
      if (type === 'verify') void verify(ws, id, body.accessToken);
      else void submit(ws, type, id, body);
    },

    close: (ws) => {
      const data = ws.getUserData();
      data.closed = true;
      connections.remove(data.connectionId);
    },
  });
}
