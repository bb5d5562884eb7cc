import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { createLogger } from '@authgate/shared/logger';
import { buildApp, type AppDeps } from '../../services/api/src/app.ts';
import { registerRoutes } from '../../services/edge/src/http/routes.ts';
import { registerWebSocket } from '../../services/edge/src/ws/socket.ts';
import type { TemplatedApp } from '../../services/edge/src/uws.ts';

/**
 * The routes the code really serves, collected by running each server's own registration code:
 * nothing here is a list kept by hand. Handlers are never invoked, so their dependencies are inert
 * stand-ins.
 */

export interface ServedRoute {
  method: string;
  /** As the server spells it: `/auth/results/:requestId`. */
  path: string;
}

/** uWebSockets.js's catch-all: the account API (all-in-one) or 404. Documented in prose, not as a route. */
export const EDGE_CATCH_ALL = '/*';

/**
 * Anything at all: every property is another stand-in, every call returns one, and in arithmetic it
 * is 0 (an option such as `maxPayloadBytes * 16`). Enough for code that only keeps its dependencies
 * for later, whatever shape they take (the edge's signatures are changing).
 */
const inert: any = new Proxy(function inert() {}, {
  get: (_target, property) => {
    if (property === Symbol.toPrimitive) return () => 0;
    return typeof property === 'symbol' || property === 'then' ? undefined : inert;
  },
  apply: () => inert,
});

const UWS_METHODS: Record<string, string> = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  del: 'DELETE',
  head: 'HEAD',
  options: 'OPTIONS',
  connect: 'CONNECT',
  trace: 'TRACE',
  any: 'ANY',
};

/** A uWS app that records each route registered on it (a WebSocket route as the GET of its upgrade). */
function recordingUwsApp(routes: ServedRoute[]): TemplatedApp {
  const app: TemplatedApp = new Proxy({} as TemplatedApp, {
    get: (_target, property) => {
      if (property === 'ws') {
        return (path: string) => {
          routes.push({ method: 'GET', path });
          return app;
        };
      }
      const method = typeof property === 'string' ? UWS_METHODS[property] : undefined;
      if (!method) throw new Error(`the recording uWS app does not know app.${String(property)}: add it to test/contract/served-routes.ts`);
      return (path: string) => {
        routes.push({ method, path });
        return app;
      };
    },
  });
  return app;
}

/**
 * The one place that knows how the edge registers its routes. When the edge's registration
 * functions change shape, adapt these calls; the rest of the contract test reads only the list.
 */
export function edgeRoutes(): ServedRoute[] {
  const routes: ServedRoute[] = [];
  const app = recordingUwsApp(routes);
  registerWebSocket(app, inert, inert);
  registerRoutes(app, inert, inert);
  // HEAD of a GET route answers GET's headers without a body (docs/rest.md, conventions): one row, GET's.
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.path));
  return routes.filter((r) => !(r.method === 'HEAD' && gets.has(r.path)));
}

export interface ApiRoutes {
  app: FastifyInstance;
  routes: Array<ServedRoute & { hidden: boolean }>;
}

/**
 * The account API as built for production, with inert dependencies, and every route it registered.
 * Fastify announces each new instance on the `fastify.initialization` diagnostics channel: an onRoute
 * hook added there sees every route, the plugins' (swagger-ui) included. HEAD routes Fastify adds by
 * itself for each GET are left out. Close the app when done.
 */
export async function apiRoutes(): Promise<ApiRoutes> {
  const routes: ApiRoutes['routes'] = [];
  const onInit = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') routes.push({ method, path: route.url, hidden: Boolean(route.schema?.hide) });
      }
    });
  };
  subscribe('fastify.initialization', onInit);
  let app: FastifyInstance;
  try {
    const deps: AppDeps = {
      users: inert,
      auth: inert,
      checkEmailLimiter: inert,
      sessionEnding: inert,
      pendingSignIns: inert,
      mail: inert,
      audit: { reads: inert, events: inert, appEventLimiter: inert, sessionLifetimeMs: 0 },
      ready: inert,
      log: createLogger({ level: 'silent', name: 'contract-docs' }),
      oidc: inert,
    };
    app = await buildApp(deps, { version: 'contract-test', corsOrigins: [], trustedProxies: [], docs: true });
  } finally {
    unsubscribe('fastify.initialization', onInit);
  }
  await app.ready();
  return { app, routes };
}
