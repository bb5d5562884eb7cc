import { AppError } from '@authgate/shared/errors';
import { newRequestId } from '@authgate/shared/ids';
import { answerWith, appErrorReply, send } from '../http/respond.ts';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../uws.ts';

const ALLOWED_METHODS = ['GET', 'POST'];
const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Connection-Id';
/** A browser script may read these on a cross-origin answer: how long to wait after a 429. */
const EXPOSED_HEADERS = 'Retry-After';
const PREFLIGHT_MAX_AGE_S = '600';
/** The edge's own paths. Anything else is the fallback's (the account API answers its own preflights). */
const EDGE_PATHS = ['/auth/*', '/.well-known/*', '/health', '/ready'];
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'del', 'head', 'any']);

/**
 * The CORS allowlist (CORS_ORIGINS). Hand-written rather than a library's because the edge is no
 * Node http server (@fastify/cors and cors need one); the rules are the Fetch standard's: an allowed
 * origin is echoed back (never `*`, never credentials), every answer varies by Origin, and a preflight
 * is answered only for an allowed origin asking for a method the edge serves.
 */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.origins = new Set(origins);
  }

  get enabled(): boolean {
    return this.origins.size > 0;
  }

  allows(origin: string): boolean {
    return this.origins.has(origin);
  }

  /** What an answer to a request from `origin` carries; for a foreign origin, nothing a browser would honour. */
  answerHeaders(origin: string): ReadonlyArray<readonly [string, string]> {
    return origin && this.allows(origin)
      ? [
          ['Access-Control-Allow-Origin', origin],
          ['Access-Control-Expose-Headers', EXPOSED_HEADERS],
          ['Vary', 'Origin'],
        ]
      : VARY_ONLY;
  }
}

const VARY_ONLY: ReadonlyArray<readonly [string, string]> = [['Vary', 'Origin']];

/**
 * Returns `app` with CORS on every route registered through it: each handler first records the
 * headers its answer will carry (respond.ts writes them with the answer, whenever that comes). A
 * Proxy, so that routes.ts registers its routes exactly as it would without CORS. Preflights for the
 * edge's own paths are answered here. With no origin configured, `app` comes back untouched.
 */
export function withCors(app: TemplatedApp, policy: CorsPolicy): TemplatedApp {
  if (!policy.enabled) return app;
  for (const path of EDGE_PATHS) app.options(path, (res, req) => preflight(res, req, policy));
  return new Proxy(app, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !ROUTE_METHODS.has(property) || typeof original !== 'function') return original;
      return (pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void) =>
        original.call(target, pattern, (res: HttpResponse, req: HttpRequest) => {
          answerWith(res, policy.answerHeaders(req.getHeader('origin')));
          handler(res, req);
        });
    },
  });
}

function preflight(res: HttpResponse, req: HttpRequest, policy: CorsPolicy): void {
  const origin = req.getHeader('origin');
  const method = req.getHeader('access-control-request-method').toUpperCase();
  if (!policy.allows(origin) || !ALLOWED_METHODS.includes(method)) {
    answerWith(res, VARY_ONLY);
    send(res, appErrorReply(new AppError('forbidden', 'cross-origin requests from this origin are not allowed'), newRequestId()));
    return;
  }
  send(res, {
    status: 204,
    headers: [
      ['Access-Control-Allow-Origin', origin],
      ['Access-Control-Allow-Methods', ALLOWED_METHODS.join(', ')],
      ['Access-Control-Allow-Headers', ALLOWED_HEADERS],
      ['Access-Control-Max-Age', PREFLIGHT_MAX_AGE_S],
      ['Vary', 'Origin'],
    ],
  });
}

/**
 * A browser opening a WebSocket always sends its page's Origin, and WebSockets are not bound by CORS:
 * a page of any site could otherwise open one in its visitors' browsers and send logins from their
 * addresses (and lock their owners out with failures). So an upgrade that carries an Origin is accepted only
 *
 * - with an allowlist set: from an origin on it;
 * - without one: from a page of the host the client asked for (Origin's hostname = Host's hostname;
 *   ports are not compared, since a proxy in front may rewrite Host without its port), the same
 *   "same origin unless allowed" rule browsers apply to the edge's REST answers.
 *
 * `Origin: null` (sandboxed frames, files) never passes. Clients that are no browser send no Origin
 * and are not concerned.
 */
export function refusesUpgrade(policy: CorsPolicy, origin: string, host: string): boolean {
  if (origin === '') return false;
  if (policy.enabled) return !policy.allows(origin);
  return hostnameOf(origin) === undefined || hostnameOf(origin) !== hostnameOf(`http://${host}`);
}

function hostnameOf(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).hostname || undefined : undefined;
}
