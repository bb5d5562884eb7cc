import { bearerToken } from '@authgate/shared/access-token';
import { AppError, toAppError } from '@authgate/shared/errors';
import { isValidRequestId, newRequestId, nodeOfConnection } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import { resultFrame, type CommandKind } from '@authgate/shared/protocol';
import type { ResultBus } from '@authgate/shared/transport/types';
import type { Admission } from '../admission.ts';
import { lifecycle } from '../lifecycle.ts';
import type { EdgeMetrics, RouteName } from '../observe/metrics.ts';
import type { EdgeTracing } from '../observe/tracing.ts';
import type { Relay } from '../relay.ts';
import type { HttpResponse, TemplatedApp } from '../uws.ts';
import type { TokenVerifier } from '../verify.ts';
import { parseJsonObject, readBody } from './body.ts';
import { clientIp } from './client-ip.ts';
import { forwardToFallback, type HttpFallback } from './fallback.ts';
import { HttpTarget, type AbortState } from './http-target.ts';
import { meterResponse } from './metered.ts';
import { appErrorReply, json, send, type Reply } from './respond.ts';

export interface RouteDeps {
  relay: Relay;
  admission: Admission;
  verifier: TokenVerifier;
  results: ResultBus;
  ready: () => Promise<boolean>;
  log: Logger;
  /** Answers what no edge route matches (the account API in the all-in-one mode); else 404. */
  fallback?: HttpFallback | undefined;
  /** Metrics on (METRICS_PORT not off): each answer is counted by route and status, and timed. */
  metrics?: EdgeMetrics | undefined;
  /** Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): each command request is a trace. */
  tracing?: EdgeTracing | undefined;
}

export interface RouteOptions {
  maxBodyBytes: number;
  trustedProxies: ReadonlySet<string>;
  /** The longest client-chosen request id GET /auth/results takes (CLIENT_ID_MAX_LENGTH). */
  maxClientIdLength: number;
}

/** The REST routes that become commands, and the command each one publishes. */
export const COMMAND_ROUTES: ReadonlyArray<readonly [string, CommandKind]> = [
  ['/auth/register', 'register'],
  ['/auth/login', 'login'],
  ['/auth/refresh', 'refresh'],
  ['/auth/logout', 'logout'],
];

/** Answers after an await: only if the client is still there, and corked as uWebSockets.js requires. */
function replyLater(res: HttpResponse, state: AbortState, reply: Reply): void {
  if (!state.aborted) res.cork(() => send(res, reply));
}

function watchAbort(res: HttpResponse): AbortState {
  const state: AbortState = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  return state;
}

export function registerRoutes(app: TemplatedApp, deps: RouteDeps, options: RouteOptions): void {
  const { relay, admission, verifier, results, log, metrics, tracing } = deps;
  /** Counts the answer of `res` under `route` (nothing when metrics are off). */
  const metered = (route: RouteName) => {
    const meter = metrics?.route(route);
    return meter ? (res: HttpResponse) => meterResponse(res, meter) : () => {};
  };

  const fail = (res: HttpResponse, state: AbortState, err: unknown) => {
    const appError = toAppError(err);
    if (appError.code === 'internal') log.error({ err }, 'request failed');
    // A body left unread (too large) means the connection cannot be reused.
    replyLater(res, state, { ...appErrorReply(appError, newRequestId()), close: appError.code === 'payload_too_large' });
  };

  for (const [path, kind] of COMMAND_ROUTES) {
    const meter = metered(path as RouteName);
    app.post(path, (res, req) => {
      meter(res);
      const state = watchAbort(res);
      // Everything needed from `req` is copied now: it is invalid after the first await.
      const connectionId = req.getHeader('x-connection-id');
      const ip = clientIp(res, req, options.trustedProxies);
      const body = readBody(res, req.getHeader('content-length'), options.maxBodyBytes);
      const taken = lifecycle.accept();
      const traced = tracing?.begin(`POST ${path}`, { 'authgate.kind': kind, 'authgate.transport': 'http' });
      const handle = async () => {
        const parsed = parseJsonObject(await body);
        const admitted = traced ? await traced.admission(() => admission.admit(kind, parsed, ip)) : await admission.admit(kind, parsed, ip);
        if (connectionId) {
          const requestId = await relay.submitDeferred(kind, admitted, ip, connectionId);
          traced?.end(202);
          replyLater(res, state, json(202, { requestId }));
        } else if (!state.aborted) {
          const target = new HttpTarget(res, state);
          relay.submit(kind, admitted, ip, traced ? traced.waitFor(target) : target);
        }
      };
      (traced ? traced.run(handle) : handle())
        .catch((err: unknown) => {
          if (traced) {
            const appError = toAppError(err);
            traced.end(appError.status, appError.code);
          }
          fail(res, state, err);
        })
        .finally(taken);
      body.catch(() => {}); // its failure is answered above
    });
  }

  const verifyMeter = metered('/auth/verify');
  const verifyHit = metrics?.verifyHit;
  app.get('/auth/verify', (res, req) => {
    const token = bearerToken(req.getHeader('authorization'));
    if (!token) {
      verifyMeter(res);
      send(res, appErrorReply(new AppError('invalid_token', 'missing or malformed Bearer token'), newRequestId()));
      return;
    }
    // Hot path: a cached token is answered without leaving this callback, and counted inline.
    const started = verifyHit ? verifyHit.latency.start() : 0;
    const hit = verifier.cached(token);
    if (hit) {
      send(res, { status: 200, body: hit.body });
      if (verifyHit) {
        verifyHit.ok.inc();
        verifyHit.latency.end(started);
      }
      return;
    }
    verifyMeter(res);
    const state = watchAbort(res);
    verifier.verify(token).then(
      (verified) => replyLater(res, state, { status: 200, body: verified.body }),
      (err: unknown) => fail(res, state, err),
    );
  });

  const resultsMeter = metered('/auth/results/:requestId');
  app.get('/auth/results/:requestId', (res, req) => {
    resultsMeter(res);
    const id = decodedParameter(req.getParameter(0) ?? '');
    const connectionId = req.getHeader('x-connection-id');
    if (!connectionId) {
      send(res, appErrorReply(new AppError('invalid_request', 'X-Connection-Id header is required', { details: [{ path: 'X-Connection-Id', message: 'is required' }] }), newRequestId()));
      return;
    }
    const notFound = () => appErrorReply(new AppError('not_found', 'no result for this request (not yet, or expired)'), newRequestId());
    if (!id || id.length > options.maxClientIdLength) {
      send(res, notFound());
      return;
    }
    const state = watchAbort(res);
    // A requestId (deferred delivery, API.md) first; else the client's own id of a WebSocket request
    // on that connection: a client whose connection dropped collects with it what it missed.
    const lookup = async () => {
      if (isValidRequestId(id)) {
        const [result] = await results.collect([id]);
        // A result is shown only to the connection it was addressed to.
        if (result && result.replyTo.connectionId === connectionId) return result;
      }
      return nodeOfConnection(connectionId) ? results.collectForClient(connectionId, id) : undefined;
    };
    lookup().then(
      (result) => replyLater(res, state, result ? json(200, resultFrame(id, result)) : notFound()),
      () => fail(res, state, new AppError('overloaded', 'result store unavailable, retry later')),
    );
  });

  const jwks = JSON.stringify(verifier.jwks);
  const jwksMeter = metered('/.well-known/jwks.json');
  app.get('/.well-known/jwks.json', (res) => {
    jwksMeter(res);
    send(res, { status: 200, body: jwks, cacheControl: 'public, max-age=300' });
  });

  const healthMeter = metered('/health');
  app.get('/health', (res) => {
    healthMeter(res);
    send(res, json(200, { status: 'ok' }));
  });

  const readyMeter = metered('/ready');
  app.get('/ready', (res) => {
    readyMeter(res);
    const state = watchAbort(res);
    deps.ready().then(
      (ok) => replyLater(res, state, ok ? json(200, { status: 'ready' }) : json(503, { status: 'unavailable' })),
      () => replyLater(res, state, json(503, { status: 'unavailable' })),
    );
  });

  const fallbackMeter = metered('fallback');
  app.any('/*', (res, req) => {
    fallbackMeter(res);
    if (deps.fallback) forwardToFallback(res, req, deps.fallback, options, (state, err) => fail(res, state, err));
    else send(res, appErrorReply(new AppError('not_found', 'no such route'), newRequestId()));
  });
}

/** A path parameter as the client meant it; undefined when its percent-encoding is broken. */
function decodedParameter(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
