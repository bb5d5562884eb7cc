import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clientList, clientRegistration, registeredClient } from '../../contract.ts';
import type { OidcLayer } from '../layer.ts';

/** Administrators manage OpenID clients (ADMIN_USER_IDS, ADMIN_EMAILS); OIDC_CLIENTS are listed, never changed here. */
export function registerClientAdminRoutes(app: FastifyInstance, oidc: OidcLayer, requireAdmin: onRequestHookHandler, errorAnswer: z.ZodType): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const errors = (codes: Record<number, string>) =>
    Object.fromEntries(Object.entries(codes).map(([status, description]) => [status, errorAnswer.describe(description)]));
  const common = { tags: ['admin'], security: [{ bearerAuth: [] }] };

  typed.post(
    '/admin/oidc/clients',
    {
      bodyLimit: 16 * 1024,
      onRequest: requireAdmin,
      schema: {
        operationId: 'oidc_admin_client_create',
        ...common,
        summary: 'Register an OpenID client',
        description:
          'RFC 7591 client metadata, plus `first_party: true` to skip the consent screen. `client_id` is made here; a confidential client gets a `client_secret`, shown in this answer only (kept as a digest).',
        body: clientRegistration,
        response: {
          201: registeredClient,
          ...errors({
            400: '`invalid_request`: the metadata is invalid (`details`)',
            401: '`invalid_token`',
            403: '`forbidden`',
            413: '`payload_too_large`',
            415: '`unsupported_media_type`',
            503: '`overloaded`',
          }),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await oidc.createClient(request.body)),
  );

  typed.get(
    '/admin/oidc/clients',
    {
      onRequest: requireAdmin,
      schema: {
        operationId: 'oidc_admin_clients_list',
        ...common,
        summary: 'List the OpenID clients',
        description: 'Those of OIDC_CLIENTS (`source: "OIDC_CLIENTS"`) and those administrators registered (`source: "admin"`); never a secret.',
        response: { 200: clientList, ...errors({ 401: '`invalid_token`', 403: '`forbidden`', 503: '`overloaded`' }) },
      },
    },
    async () => ({ clients: await oidc.listClients() }),
  );

  typed.delete(
    '/admin/oidc/clients/:id',
    {
      onRequest: requireAdmin,
      schema: {
        operationId: 'oidc_admin_client_delete',
        ...common,
        summary: 'Remove an OpenID client',
        description: 'It can no longer sign anyone in nor use its tokens. A client of OIDC_CLIENTS is removed there: `403 forbidden`.',
        params: z.object({ id: z.string().min(1).max(200) }),
        response: {
          204: z.null().describe('No content'),
          ...errors({ 400: '`invalid_request`', 401: '`invalid_token`', 403: '`forbidden`', 404: '`not_found`', 503: '`overloaded`' }),
        },
      },
    },
    async (request, reply) => {
      await oidc.deleteClient(request.params.id);
      return reply.status(204).send(null);
    },
  );
}
