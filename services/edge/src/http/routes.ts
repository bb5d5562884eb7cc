import {
  AppError, bodySchemas, checkNewPassword, fieldIssues, isValidRequestId, newRequestId, nodeOfConnection, resultFrame, toAppError,
  type CommandKind, type Logger, type LoginLimiter, type ResultBus,
} from '@authgate/shared';
import type { IpRateLimiter } from '../rate-limit.ts';
import type { Relay } from '../relay.ts';
import type { HttpResponse, TemplatedApp } from '../uws.ts';
import { bearerToken, type TokenVerifier } from '../verify.ts';
import { parseJsonObject, readBody } from './body.ts';
import { clientIp } from './client-ip.ts';
import { forwardToFallback, type HttpFallback } from './fallback.ts';
import { getAndHead, markIfHead } from './head.ts';
import { appErrorReply, json, send, type Reply } from './respond.ts';

export interface RouteDeps {
  relay: Relay;
  verifier: TokenVerifier;
  limiter: IpRateLimiter;
  /** Brute-force limits of logins: per account and per (account, IP), counted before publishing. */
  loginLimiter: LoginLimiter;
  results: ResultBus;
  ready: () => Promise<boolean>;
  log: Logger;
  /** Answers what no edge route matches (the account API in the all-in-one mode); else 404. */
  fallback?: HttpFallback | undefined;
}

export interface RouteOptions {
  maxBodyBytes: number;
  trustedProxies: ReadonlySet<string>;
}

const COMMAND_ROUTES: ReadonlyArray<readonly [string, CommandKind]> = [
  ['/auth/register', 'register'],
  ['/auth/login', 'login'],
  ['/auth/refresh', 'refresh'],
  ['/auth/logout', 'logout'],
];

type AbortState = { aborted: boolean };

/** A WebSocket request's `id` (API.md: chosen by the client) is at most this long. */
const MAX_CLIENT_ID_LENGTH = 64;

/** Answers after an await: only if the client is still there, and corked as uWebSockets.js requires. */
function replyLater(res: HttpResponse, state: AbortState, reply: Reply): void {
  if (!state.aborted) res.cork(() => send(res, reply));
}

export function registerRoutes(app: TemplatedApp, deps: RouteDeps, options: RouteOptions): void {
  const { relay, verifier, limiter, results, log } = deps;

  const fail = (res: HttpResponse, state: AbortState, err: unknown) => {
    const appError = toAppError(err);
    if (appError.code === 'internal') log.error({ err }, 'request failed');
    // A body left unread (too large) means the connection cannot be reused.
    replyLater(res, state, { ...appErrorReply(appError, newRequestId()), close: appError.code === 'payload_too_large' });
  };

  for (const [path, kind] of COMMAND_ROUTES) {
    app.post(path, (res, req) => {
      const state: AbortState = { aborted: false };
      res.onAborted(() => {
        state.aborted = true;
      });
      // Everything needed from `req` is copied now: it is invalid after the first await.
      const connectionId = req.getHeader('x-connection-id');
      const ip = clientIp(res, req, options.trustedProxies);
      const body = readBody(res, req.getHeader('content-length'), options.maxBodyBytes);
      const taken = relay.accept();
      (async () => {
        await limiter.consume(ip);
        const parsed = bodySchemas[kind].safeParse(parseJsonObject(await body));
        if (!parsed.success) throw new AppError('invalid_request', 'request body is invalid', { details: fieldIssues(parsed.error) });
        if (kind === 'register') {
          const { email, password } = parsed.data as { email: string; password: string };
          checkNewPassword(password, email);
        }
        if (kind === 'login') await deps.loginLimiter.admit((parsed.data as { email: string }).email, ip);
        if (connectionId) {
          const requestId = await relay.submitDeferred(kind, parsed.data, ip, connectionId);
          replyLater(res, state, json(202, { requestId }));
        } else if (!state.aborted) {
          relay.submit(kind, parsed.data, ip, { kind: 'http', res, state });
        }
      })()
        .catch((err: unknown) => fail(res, state, err))
        .finally(taken);
      body.catch(() => {}); // its failure is answered above
    });
  }

  getAndHead(app, '/auth/verify', (res, req) => {
    const token = bearerToken(req.getHeader('authorization'));
    if (!token) {
      send(res, appErrorReply(new AppError('invalid_token', 'missing or malformed Bearer token'), newRequestId()));
      return;
    }
    // Hot path: a cached token is answered without leaving this callback.
    const hit = verifier.cached(token);
    if (hit) {
      send(res, { status: 200, body: hit.body });
      return;
    }
    const state: AbortState = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    verifier.verify(token).then(
      (verified) => replyLater(res, state, { status: 200, body: verified.body }),
      (err: unknown) => fail(res, state, err),
    );
  });

  getAndHead(app, '/auth/results/:requestId', (res, req) => {
    const id = decodedParameter(req.getParameter(0) ?? '');
    const connectionId = req.getHeader('x-connection-id');
    if (!connectionId) {
      send(res, appErrorReply(new AppError('invalid_request', 'X-Connection-Id header is required', { details: [{ path: 'X-Connection-Id', message: 'is required' }] }), newRequestId()));
      return;
    }
    const notFound = () => appErrorReply(new AppError('not_found', 'no result for this request (not yet, or expired)'), newRequestId());
    if (!id || id.length > MAX_CLIENT_ID_LENGTH) {
      send(res, notFound());
      return;
    }
    const state: AbortState = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
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
  getAndHead(app, '/.well-known/jwks.json', (res) => {
    send(res, { status: 200, body: jwks, cacheControl: 'public, max-age=300' });
  });

  getAndHead(app, '/health', (res) => send(res, json(200, { status: 'ok' })));

  getAndHead(app, '/ready', (res) => {
    const state: AbortState = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    deps.ready().then(
      (ok) => replyLater(res, state, ok ? json(200, { status: 'ready' }) : json(503, { status: 'unavailable' })),
      () => replyLater(res, state, json(503, { status: 'unavailable' })),
    );
  });

  app.any('/*', (res, req) => {
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
