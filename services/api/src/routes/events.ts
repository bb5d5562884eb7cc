import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '@authgate/shared/errors';
import { MAX_EVENT_DATA_BYTES, newAuditEvent } from '@authgate/shared/events/schema';
import type { EventBus } from '@authgate/shared/events/types';
import type { AccessTokenAuth } from '../auth.ts';
import { decodeCursor } from '../events/cursor.ts';
import type { AuditReads } from '../events/reads.ts';
import { appEventBody, createdEventAnswer, ownEventsAnswer, ownEventsQuery } from '../events/schemas.ts';
import type { RouteRateLimiter } from '../rate-limit.ts';
import { errorAnswer } from '../schemas.ts';
import { userAgentOf } from '../storable-input.ts';

/** `{type, data}` around 4 KB of data; a body past this is refused before it is parsed. */
const APP_EVENT_BODY_LIMIT = MAX_EVENT_DATA_BYTES + 512;

export interface EventRouteDeps {
  auth: AccessTokenAuth;
  reads: AuditReads;
  /** Where POST /events publishes. */
  events: EventBus;
  appEventLimiter: RouteRateLimiter;
}

export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/auth/events',
    {
      schema: {
        operationId: 'api_own_events',
        tags: ['account'],
        summary: "The caller's own audit trail, newest first",
        security: [{ bearerAuth: [] }],
        querystring: ownEventsQuery,
        response: { 200: ownEventsAnswer, 400: errorAnswer, 401: errorAnswer, 503: errorAnswer },
      },
      onRequest: deps.auth.requireUser,
    },
    async (request) => {
      const page = await deps.reads.page({ userId: request.accessToken!.sub, limit: request.query.limit, before: decodeCursor(request.query.before) });
      return { events: page.events.map(({ userId: _userId, ...event }) => event), next: page.next };
    },
  );

  const events = deps.events;
  typed.post(
    '/events',
    {
      schema: {
        operationId: 'api_app_event_create',
        tags: ['account'],
        summary: "Records an application's own event for the caller",
        description: `data: at most ${MAX_EVENT_DATA_BYTES} bytes of JSON (413 beyond), never a credential (400). Rate-limited per user (APP_EVENTS_PER_MINUTE).`,
        security: [{ bearerAuth: [] }],
        body: appEventBody,
        response: { 201: createdEventAnswer, 400: errorAnswer, 401: errorAnswer, 413: errorAnswer, 415: errorAnswer, 429: errorAnswer, 503: errorAnswer },
      },
      bodyLimit: APP_EVENT_BODY_LIMIT,
      onRequest: [deps.auth.requireUser, deps.appEventLimiter.hook],
      preValidation: requireJson,
    },
    async (request, reply) => {
      const { type, data } = request.body;
      const bytes = Buffer.byteLength(JSON.stringify(data));
      if (bytes > MAX_EVENT_DATA_BYTES) throw new AppError('payload_too_large', `data must be at most ${MAX_EVENT_DATA_BYTES} bytes of JSON`);
      let event;
      try {
        event = newAuditEvent({
          type,
          data,
          userId: request.accessToken!.sub,
          sessionId: request.accessToken!.sid,
          ip: request.ip,
          userAgent: userAgentOf(request.headers['user-agent']),
        });
      } catch (err) {
        // The schema's check: data that looks like a credential (by key name or by shape) is refused.
        if (err instanceof z.ZodError) {
          throw new AppError('invalid_request', 'request body is invalid', { details: err.issues.map((i) => ({ path: 'data', message: i.message })) });
        }
        throw err;
      }
      try {
        await events.publish(event);
      } catch (err) {
        request.log.warn({ err }, 'app event not published');
        throw new AppError('overloaded', 'the event could not be recorded, retry later');
      }
      return reply.code(201).send({ id: event.id });
    },
  );
}

/** docs/rest.md: every POST takes application/json, else 415 (a cross-site form is refused before any work). */
async function requireJson(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new AppError('unsupported_media_type', 'the body must be application/json');
}
