import { bearerToken } from '@authgate/shared/access-token';
import { AppError, toAppError } from '@authgate/shared/errors';
import { isValidRequestId, newRequestId } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import { resultFrame, type CommandKind } from '@authgate/shared/protocol';
import { COMMANDS, type FeatureCommand } from '@authgate/features/list';
import { storableText } from '@authgate/shared/storable-text';
import type { ResultBus } from '@authgate/shared/transport/types';
import type { Admission } from '../admission.ts';
import { lifecycle } from '../lifecycle.ts';
import type { EdgeMetrics, RouteName } from '../observe/metrics.ts';
import type { EdgeTracing } from '../observe/tracing.ts';
import type { Relay } from '../relay.ts';
import type { SessionActivity } from '../session-activity.ts';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../uws.ts';
import type { TokenVerifier } from '../verify.ts';
import { parseJsonObject, readBody } from './body.ts';
import { clientIp } from './client-ip.ts';
import { forwardToFallback, type HttpFallback } from './fallback.ts';
import { requireJsonBody } from './media-type.ts';
import { HttpTarget, type AbortState } from './http-target.ts';
import { meterResponse } from './metered.ts';
import { getAndHead, markIfHead } from './head.ts';
import { registerPage } from './page.ts';
import { appErrorReply, json, send, type Reply } from './respond.ts';

export interface RouteDeps {
  relay: Relay;
  admission: Admission;
  verifier: TokenVerifier;
  /** Notes each use of a verified session for its last-used time (batched). */
  activity: SessionActivity;
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
}

/**
 * The longest User-Agent a command carries (it is shown in the sessions list and kept in audit rows,
 * so it is cut whole and cleaned of what PostgreSQL cannot store: storableText).
 */
const MAX_USER_AGENT = 512;

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

  /** A command anyone may send (register, login, ...): JSON body; X-Connection-Id defers its answer to that socket. */
  const openCommand = ({ kind, rest: { path, method }, answeredAtEdge }: FeatureCommand) => {
    if (method !== 'POST') throw new Error(`${kind}: a command without a session is a POST (${method} ${path})`);
    const meter = metered(path);
    app.post(path, (res, req) => {
      meter(res);
      const state = watchAbort(res);
      // Everything needed from `req` is copied now: it is invalid after the first await.
      const connectionId = req.getHeader('x-connection-id');
      const ip = clientIp(res, req, options.trustedProxies);
      const userAgent = storableText(req.getHeader('user-agent'), MAX_USER_AGENT);
      try {
        requireJsonBody(req.getHeader('content-type'));
      } catch (err) {
        // The body is left unread: the connection cannot be reused.
        send(res, { ...appErrorReply(toAppError(err), newRequestId()), close: true });
        return;
      }
      const body = readBody(res, req.getHeader('content-length'), options.maxBodyBytes);
      const taken = lifecycle.accept();
      const traced = tracing?.begin(`POST ${path}`, { 'authgate.kind': kind, 'authgate.transport': 'http' });
      const handle = async () => {
        const raw = await body;
        const admit = () => admission.admit(kind, () => parseJsonObject(raw), ip, connectionId !== '');
        const admitted = { ...(traced ? await traced.admission(admit) : await admit()), userAgent };
        if (answeredAtEdge) {
          // Answered here, at once, never by the worker's result (a forgot request: Relay.submitAccepted).
          relay.submitAccepted(admitted);
          traced?.end(202);
          replyLater(res, state, { status: 202 });
        } else if (connectionId) {
          const requestId = await relay.submitDeferred(admitted, connectionId);
          traced?.end(202);
          replyLater(res, state, json(202, { requestId }));
        } else if (!state.aborted) {
          const target = new HttpTarget(res, state);
          relay.submit(admitted, traced ? traced.waitFor(target) : target);
        } else {
          await admission.notRun(admitted);
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
  };

  /**
   * A command on behalf of the session whose access token the request bears: the token is verified
   * here (with public keys only), and its subject and session go into the command for the worker.
   * `readsBody`: `false`, no body is read; `ignored`, one is read but not used; `json`, the JSON body
   * is the command's body (then a JSON media type is required, as on every command route).
   */
  const sessionCommand = (
    kind: CommandKind,
    res: HttpResponse,
    req: HttpRequest,
    bodyOf: () => Record<string, unknown>,
    readsBody: false | 'ignored' | 'json',
  ) => {
    const state = watchAbort(res);
    const token = bearerToken(req.getHeader('authorization'));
    const ip = clientIp(res, req, options.trustedProxies);
    const userAgent = storableText(req.getHeader('user-agent'), MAX_USER_AGENT);
    const fixedBody = bodyOf();
    // An ignored body must still be JSON if one is sent: a cross-site form gets 415 here too.
    if (readsBody === 'json' || (readsBody === 'ignored' && Number(req.getHeader('content-length') || 0) > 0)) {
      try {
        requireJsonBody(req.getHeader('content-type'));
      } catch (err) {
        send(res, { ...appErrorReply(toAppError(err), newRequestId()), close: true });
        return;
      }
    }
    const rest = readsBody ? readBody(res, req.getHeader('content-length'), options.maxBodyBytes) : Promise.resolve(Buffer.alloc(0));
    const taken = lifecycle.accept();
    (async () => {
      const raw = await rest;
      if (!token) throw new AppError('invalid_token', 'missing or malformed Bearer token');
      const claims = verifier.cached(token) ?? (await verifier.verify(token));
      deps.activity.seen(claims.sub, claims.sid);
      const body = () => (readsBody === 'json' ? parseJsonObject(raw) : fixedBody);
      const admitted = { ...(await admission.admit(kind, body, ip)), userAgent, auth: { sub: claims.sub, sid: claims.sid } };
      if (!state.aborted) relay.submit(admitted, new HttpTarget(res, state));
      else await admission.notRun(admitted);
    })()
      .catch((err: unknown) => fail(res, state, err))
      .finally(taken);
    rest.catch(() => {}); // its failure is answered above
  };
  /** A command for the bearer's session, by its contract's method; a path parameter fills its body field. */
  const bearerCommand = ({ kind, rest }: FeatureCommand) => {
    const meter = metered(rest.path);
    const readsBody = rest.body === 'none' ? false : rest.body;
    const handler = (res: HttpResponse, req: HttpRequest) => {
      meter(res);
      const param = rest.pathParam === undefined ? undefined : (decodedParameter(req.getParameter(0) ?? '') ?? '');
      sessionCommand(kind, res, req, () => (rest.pathParam === undefined ? {} : { [rest.pathParam]: param }), readsBody);
    };
    if (rest.method === 'GET') getAndHead(app, rest.path, handler);
    else if (rest.method === 'DELETE') app.del(rest.path, handler);
    else app.post(rest.path, handler);
  };

  for (const command of COMMANDS) {
    if (command.auth === 'session') bearerCommand(command);
    else openCommand(command);
  }

  const verifyMeter = metered('/auth/verify');
  const verifyHit = metrics?.verifyHit;
  getAndHead(app, '/auth/verify', (res, req) => {
    const authorization = req.getHeader('authorization');
    // Hot path: a cached token is answered without leaving this callback, and counted inline.
    const started = verifyHit ? verifyHit.latency.start() : 0;
    const hit = verifier.cachedBearer(authorization);
    if (hit) {
      deps.activity.seen(hit.sub, hit.sid);
      send(res, { status: 200, body: hit.body });
      if (verifyHit) {
        verifyHit.ok.inc();
        verifyHit.latency.end(started);
      }
      return;
    }
    verifyMeter(res);
    const token = bearerToken(authorization);
    if (!token) {
      send(res, appErrorReply(new AppError('invalid_token', 'missing or malformed Bearer token'), newRequestId()));
      return;
    }
    const state = watchAbort(res);
    verifier.verify(token).then(
      (verified) => {
        deps.activity.seen(verified.sub, verified.sid);
        replyLater(res, state, { status: 200, body: verified.body });
      },
      (err: unknown) => fail(res, state, err),
    );
  });

  const resultsMeter = metered('/auth/results/:requestId');
  getAndHead(app, '/auth/results/:requestId', (res, req) => {
    resultsMeter(res);
    const id = decodedParameter(req.getParameter(0) ?? '');
    const connectionId = req.getHeader('x-connection-id');
    if (!connectionId) {
      send(
        res,
        appErrorReply(
          new AppError('invalid_request', 'X-Connection-Id header is required', { details: [{ path: 'X-Connection-Id', message: 'is required' }] }),
          newRequestId(),
        ),
      );
      return;
    }
    const notFound = () => appErrorReply(new AppError('not_found', 'no result for this request (not yet, expired, or collected)'), newRequestId());
    // The requestId is required: a connectionId alone, which travels in headers
    // and logs, is no handle on the results of that connection's WebSocket requests.
    if (!id || !isValidRequestId(id)) {
      send(res, notFound());
      return;
    }
    const state = watchAbort(res);
    // Handed out once, to the connection it was addressed to, and gone from the store in that step.
    results.take(id, connectionId).then(
      (result) => replyLater(res, state, result ? json(200, resultFrame(id, relay.opened(result))) : notFound()),
      () => fail(res, state, new AppError('overloaded', 'result store unavailable, retry later')),
    );
  });

  const jwks = JSON.stringify(verifier.jwks);
  const jwksMeter = metered('/.well-known/jwks.json');
  getAndHead(app, '/.well-known/jwks.json', (res) => {
    jwksMeter(res);
    send(res, { status: 200, body: jwks, cacheControl: 'public, max-age=300' });
  });

  const healthMeter = metered('/health');
  getAndHead(app, '/health', (res) => {
    healthMeter(res);
    send(res, json(200, { status: 'ok' }));
  });

  const readyMeter = metered('/ready');
  getAndHead(app, '/ready', (res) => {
    readyMeter(res);
    const state = watchAbort(res);
    deps.ready().then(
      (ok) => replyLater(res, state, ok ? json(200, { status: 'ready' }) : json(503, { status: 'unavailable' })),
      () => replyLater(res, state, json(503, { status: 'unavailable' })),
    );
  });

  // The page (web/dist) at `/`, when it is built; every other path falls through as before.
  if (!registerPage(app, metered('page'))) log.warn('the page is not built (npm run build:web): / answers 404');

  const fallbackMeter = metered('fallback');
  app.any('/*', (res, req) => {
    fallbackMeter(res);
    if (deps.fallback) forwardToFallback(res, req, deps.fallback, options, (state, err) => fail(res, state, err));
    else {
      markIfHead(res, req);
      send(res, appErrorReply(new AppError('not_found', 'no such route'), newRequestId()));
    }
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
