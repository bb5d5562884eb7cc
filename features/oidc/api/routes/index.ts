import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { z } from 'zod';
import type { OidcLayer } from '../layer.ts';
import { registerClientAdminRoutes } from './admin.ts';
import { registerInteractionRoutes } from './interaction.ts';
import { mountProvider } from './mount.ts';

/** Every route of the OpenID layer in the account API. Nothing is called on `oidc` until a request comes. */
export async function registerOidcRoutes(
  app: FastifyInstance,
  deps: { oidc: OidcLayer; requireAdmin: onRequestHookHandler; errorAnswer: z.ZodType },
): Promise<void> {
  await mountProvider(app, deps.oidc);
  registerInteractionRoutes(app, deps.oidc, deps.errorAnswer);
  registerClientAdminRoutes(app, deps.oidc, deps.requireAdmin, deps.errorAnswer);
}

/** The paths the provider answers itself (its own CORS, its own errors): the API's CORS plugin leaves them alone. */
export function isProviderPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/.well-known/openid-configuration' || (path.startsWith('/oidc/') && !path.startsWith('/oidc/interaction/'));
}
