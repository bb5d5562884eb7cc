import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthAnswer, readyAnswer } from '../schemas.ts';

export function registerHealthRoutes(app: FastifyInstance, ready: () => Promise<boolean>): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/health', {
    schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: healthAnswer } },
  }, async () => ({ status: 'ok' as const }));

  typed.get('/ready', {
    schema: { tags: ['operations'], summary: 'PostgreSQL (and Redis when configured) answer', response: { 200: readyAnswer, 503: readyAnswer } },
  }, async (_request, reply) => {
    const ok = await ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable' });
  });
}
