import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '@authgate/shared/errors';
import type { AccessTokenAuth } from '../auth.ts';
import { decodeCursor } from '../events/cursor.ts';
import type { AuditReads } from '../events/reads.ts';
import {
  adminEventsAnswer,
  adminEventsQuery,
  loginsAnswer,
  loginsQueryString,
  topEventsAnswer,
  topEventsQueryString,
  userAnalyticsAnswer,
  userIdParams,
} from '../events/schemas.ts';
import { errorAnswer } from '../schemas.ts';

const DAY_MS = 86_400_000;
/** At most this many buckets in one logins answer: a year of days, a month of hours. */
const MAX_BUCKETS = { hour: 24 * 31, day: 366 } as const;

const adminErrors = { 400: errorAnswer, 401: errorAnswer, 403: errorAnswer, 503: errorAnswer };

export function registerAdminEventRoutes(app: FastifyInstance, deps: { auth: AccessTokenAuth; reads: AuditReads; sessionLifetimeMs: number }): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const admin = { tags: ['admin'], security: [{ bearerAuth: [] }] };

  typed.get(
    '/admin/events',
    {
      schema: {
        operationId: 'api_admin_events',
        ...admin,
        summary: 'Audit events of every user, newest first, filtered',
        querystring: adminEventsQuery,
        response: { 200: adminEventsAnswer, ...adminErrors },
      },
      onRequest: deps.auth.requireAdmin,
    },
    async (request) => {
      const q = request.query;
      return deps.reads.page({
        type: q.type,
        userId: q.userId,
        since: q.since ? new Date(q.since) : undefined,
        until: q.until ? new Date(q.until) : undefined,
        limit: q.limit,
        before: decodeCursor(q.before),
      });
    },
  );

  typed.get(
    '/admin/analytics/top-events',
    {
      schema: {
        operationId: 'api_admin_top_events',
        ...admin,
        summary: 'Event types by count since a time',
        querystring: topEventsQueryString,
        response: { 200: topEventsAnswer, ...adminErrors },
      },
      onRequest: deps.auth.requireAdmin,
    },
    async (request) => deps.reads.topEvents(request.query.since ? new Date(request.query.since) : new Date(Date.now() - 7 * DAY_MS), request.query.limit),
  );

  typed.get(
    '/admin/analytics/logins',
    {
      schema: {
        operationId: 'api_admin_logins',
        ...admin,
        summary: 'Succeeded and failed logins per hour or day (UTC)',
        querystring: loginsQueryString,
        response: { 200: loginsAnswer, ...adminErrors },
      },
      onRequest: deps.auth.requireAdmin,
    },
    async (request) => {
      const { bucket } = request.query;
      const now = new Date();
      const since = request.query.since ? new Date(request.query.since) : new Date(now.getTime() - (bucket === 'hour' ? DAY_MS : 30 * DAY_MS));
      const step = bucket === 'hour' ? 3_600_000 : DAY_MS;
      if ((now.getTime() - since.getTime()) / step > MAX_BUCKETS[bucket]) {
        throw new AppError('invalid_request', 'request querystring is invalid', {
          details: [{ path: 'since', message: `at most ${MAX_BUCKETS[bucket]} ${bucket} buckets` }],
        });
      }
      return deps.reads.logins(since, bucket, now);
    },
  );

  typed.get(
    '/admin/analytics/users/:userId',
    {
      schema: {
        operationId: 'api_admin_user_analytics',
        ...admin,
        summary: "A user's events by type, last seen, open sessions",
        description:
          "sessions: what the audit trail shows open (signed in within the refresh-token lifetime, not logged out or revoked since); the session store itself is the workers'.",
        params: userIdParams,
        response: { 200: userAnalyticsAnswer, ...adminErrors },
      },
      onRequest: deps.auth.requireAdmin,
    },
    async (request) => deps.reads.userSummary(request.params.userId, new Date(Date.now() - deps.sessionLifetimeMs)),
  );
}
