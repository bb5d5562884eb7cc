import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthAnswer, readyAnswer } from '../schemas.ts';

/** Every process answers these on its own port; on the public origin the edge's answer. Same shapes. */
const SERVED_BY = 'The edge answers on the public origin; the account API answers its own on API_PORT.';

export function registerHealthRoutes(app: FastifyInstance, ready: () => Promise<boolean>): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/health',
    {
      schema: { operationId: 'api_health', tags: ['operations'], summary: 'The process is alive', description: SERVED_BY, response: { 200: healthAnswer } },
    },
    async () => ({ status: 'ok' as const }),
  );

  typed.get(
    '/ready',
    {
      schema: {
        operationId: 'api_ready',
        tags: ['operations'],
        summary: "The process's dependencies answer",
        description: `${SERVED_BY} The edge is ready when its queue, result bus and revocation feed answer; the API when PostgreSQL (and Redis when configured) do.`,
        response: { 200: readyAnswer, 503: readyAnswer },
      },
    },
    async (_request, reply) => {
      const ok = await ready().catch(() => false);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable' });
    },
  );
}
