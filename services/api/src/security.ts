import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { isProviderPath } from '@authgate/features/oidc/api/routes/index';

/**
 * Security headers by helmet, with its defaults, less `upgrade-insecure-requests`: that directive
 * would make a browser fetch /docs's own scripts over https from a plain-http development server.
 * CORS only for the origins listed in CORS_ORIGINS; with none listed the plugin is not registered,
 * so no answer carries an Access-Control-Allow-Origin header and browsers keep the same-origin rule.
 */
export async function registerSecurity(app: FastifyInstance, options: { corsOrigins: readonly string[] }): Promise<void> {
  await app.register(helmet, { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  if (options.corsOrigins.length === 0) return;
  const allowed = {
    origin: [...options.corsOrigins],
    methods: ['GET', 'HEAD'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  };
  // The OpenID provider's endpoints answer CORS themselves, for each client's own origins.
  await app.register(cors, { delegator: (request, done) => done(null, isProviderPath(request.url) ? { origin: false } : allowed) });
}
