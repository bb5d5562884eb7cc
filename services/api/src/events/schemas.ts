import { z } from 'zod';
import { appEventType, eventType } from '@authgate/shared/events/schema';
import { jsonValue } from '../openapi/components.ts';

/** Request and answer shapes of the audit routes (OpenAPI is generated from them). */

const isoInstant = z.iso.datetime({ offset: true }).describe('ISO 8601 instant');
const limit = (fallback: number) => z.coerce.number().int().min(1).max(100).default(fallback).describe(`events per page, 1-100 (default ${fallback})`);
const cursor = z.string().min(1).max(200).optional().describe('the `next` of the previous page (opaque)');

export const ownEventsQuery = z.object({ limit: limit(50), before: cursor });

export const adminEventsQuery = z.object({
  type: eventType.optional(),
  userId: z.uuid().optional(),
  since: isoInstant.optional(),
  until: isoInstant.optional(),
  limit: limit(50),
  before: cursor,
});

export const topEventsQueryString = z.object({
  since: isoInstant.optional().describe('default: 7 days ago'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const loginsQueryString = z.object({
  since: isoInstant.optional().describe('default: 24 hours ago (hour buckets) or 30 days ago (day buckets)'),
  bucket: z.enum(['hour', 'day']).default('hour'),
});

export const userIdParams = z.object({ userId: z.uuid() });

export const appEventBody = z.strictObject({
  type: appEventType.describe('app.<name>: a-z, 0-9, _, - and .'),
  data: z.record(z.string(), jsonValue).default({}).describe('at most 4 KB of JSON; never a password, token, code or secret'),
});

const ownEvent = z.object({
  id: z.uuid(),
  type: z.string(),
  at: isoInstant,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  sessionId: z.string().nullable(),
  deviceId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const ownEventsAnswer = z.object({ events: z.array(ownEvent), next: z.string().nullable() });
export const adminEventsAnswer = z.object({ events: z.array(ownEvent.extend({ userId: z.string().nullable() })), next: z.string().nullable() });
export const createdEventAnswer = z.object({ id: z.uuid() });
export const topEventsAnswer = z.array(z.object({ type: z.string(), count: z.number().int() }));
export const loginsAnswer = z.array(z.object({ at: isoInstant, succeeded: z.number().int(), failed: z.number().int() }));
export const userAnalyticsAnswer = z.object({
  userId: z.uuid(),
  counts: z.record(z.string(), z.number().int()),
  lastSeenAt: isoInstant.nullable(),
  sessions: z
    .number()
    .int()
    .describe(
      'sessions the audit trail shows open: signed in within the refresh-token lifetime, not ended since by a logout, session.revoked or refresh.reuse_detected of their own, nor by a later account.disabled or password.reset',
    ),
});
