import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { AppError } from '@authgate/shared/errors';
import { newRequestId } from '@authgate/shared/ids';
import type { Logger } from '@authgate/shared/logger';
import type { Accounts } from './accounts.ts';
import type { AccessTokenAuth } from './auth.ts';
import { registerDocs } from './docs.ts';
import { registerErrorHandlers, sendError } from './errors.ts';
import type { RouteRateLimiter } from './rate-limit.ts';
import { registerAdminUserRoutes, type AdminUserDeps } from './routes/admin-users.ts';
import type { EventBus } from '@authgate/shared/events/types';
import type { AuditReads } from './events/reads.ts';
import { registerAdminEventRoutes } from './routes/admin-events.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerMeRoute } from './routes/me.ts';
import { registerUserRoutes } from './routes/users.ts';
import { registerSecurity } from './security.ts';
import { refuseUnstorableInput } from './storable-input.ts';
import { registerRouteMetrics } from './metrics.ts';
import type { Registry } from 'prom-client';
import { registerOidcRoutes, type OidcLayer } from '@authgate/features/oidc/api/index';
import { errorAnswer } from './schemas.ts';

/** Routes read a query or a path; POST /events sets its own larger limit. Any other body past this is refused. */
const BODY_LIMIT_BYTES = 1024;
/** An email in the path is at most 254 characters, more once percent-encoded. */
const MAX_PARAM_LENGTH = 1024;

export interface AppDeps {
  users: Accounts;
  auth: AccessTokenAuth;
  checkEmailLimiter: RouteRateLimiter;
  sessionEnding: AdminUserDeps['sessionEnding'];
  pendingSignIns: AdminUserDeps['pendingSignIns'];
  mail: AdminUserDeps['mail'];
  ready: () => Promise<boolean>;
  log: Logger;
  /** The audit trail's reads, and the bus POST /events publishes to. */
  audit: { reads: AuditReads; events: EventBus; appEventLimiter: RouteRateLimiter; sessionLifetimeMs: number };
  /** The process's metrics registry (METRICS_PORT not off): requests and latency per route. */
  metrics?: Registry | undefined;
  /** The OpenID Connect provider (features/oidc): its endpoints, the sign-in interaction, the client admin routes. */
  oidc: OidcLayer;
}

export interface AppOptions {
  version: string;
  corsOrigins: readonly string[];
  /** Peers whose X-Forwarded-For decides request.ip (the nginx in front). */
  trustedProxies: readonly string[];
  /** Serve the OpenAPI UI and document at /docs (API_DOCS; off in production unless turned on). */
  docs: boolean;
}

/** The account API as a Fastify instance, ready to listen or to be injected into. */
export async function buildApp(deps: AppDeps, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Typed as Fastify's logger interface so route plugins take a plain FastifyInstance.
    loggerInstance: deps.log as FastifyBaseLogger,
    genReqId: () => newRequestId(),
    trustProxy: options.trustedProxies.length > 0 ? [...options.trustedProxies] : false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL the router cannot decode never reaches the error handler: answer it in the same shape.
    frameworkErrors: (_err, request, reply) => {
      sendError(request, reply, new AppError('invalid_request', 'request URL is malformed', { details: [{ path: '(url)', message: 'is not a valid URL' }] }));
    },
  });
  app.decorateRequest('accessToken', null);
  // First: the hooks see every request, those refused by an earlier hook (401, 429) included.
  if (deps.metrics) registerRouteMetrics(app, deps.metrics);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app);
  refuseUnstorableInput(app);
  // Every body is JSON (docs/rest.md): a text/plain body is a CORS "simple request" a page of any site can
  // send without a preflight, so it is refused with 415 like every other non-JSON type.
  app.removeContentTypeParser('text/plain');
  // Answers carry personal data: no cache keeps them unless a route says otherwise (the docs' files do).
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  await registerSecurity(app, { corsOrigins: options.corsOrigins });
  if (options.docs) await registerDocs(app, options.version);
  registerHealthRoutes(app, deps.ready);
  registerMeRoute(app, deps);
  registerUserRoutes(app, deps);
  registerAdminUserRoutes(app, { ...deps, events: deps.audit.events });
  registerEventRoutes(app, { auth: deps.auth, ...deps.audit });
  registerAdminEventRoutes(app, { auth: deps.auth, ...deps.audit });
  await registerOidcRoutes(app, { oidc: deps.oidc, requireAdmin: deps.auth.requireAdmin, errorAnswer });
  return app;
}
