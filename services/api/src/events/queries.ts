import { sql, type RawBuilder } from 'kysely';
import type { Cursor } from './cursor.ts';
import type { AuditEventsTable } from '@authgate/shared/db/database';

/**
 * Every read of audit_events, as SQL builders so the EXPLAIN test checks the very statements the
 * routes run. Each is shaped to one index of migration 0002:
 *  - a user's trail:           audit_events_user_at (user_id, at DESC, id DESC) INCLUDE (type, session_id)
 *  - admin listing by type:    audit_events_type_at (type, at DESC, id DESC)
 *  - admin listing, all types: audit_events_at (at DESC, id DESC) INCLUDE (type)
 * Paging is keyset on (at, id): a row comparison the index walks from, never an OFFSET.
 */

export const EVENT_COLUMNS = sql`id, at, type, user_id, session_id, device_id, ip, user_agent, data`;

/** A row of the table the migration made, with `data` as the JSON object it always holds. */
export type EventRow = Omit<AuditEventsTable, 'data'> & { data: Record<string, unknown> };

export interface EventFilter {
  type?: string;
  userId?: string;
  since?: Date;
  until?: Date;
  before?: Cursor;
  limit: number;
}

/** Newest first; one row more than asked, to tell whether there is a next page. */
export function eventsQuery(filter: EventFilter): RawBuilder<EventRow> {
  const where: RawBuilder<unknown>[] = [];
  if (filter.userId) where.push(sql`user_id = ${filter.userId}`);
  if (filter.type) where.push(sql`type = ${filter.type}`);
  if (filter.since) where.push(sql`at >= ${filter.since}`);
  if (filter.until) where.push(sql`at < ${filter.until}`);
  if (filter.before) where.push(sql`(at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
  const condition = where.length > 0 ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``;
  return sql<EventRow>`SELECT ${EVENT_COLUMNS} FROM audit_events ${condition} ORDER BY at DESC, id DESC LIMIT ${filter.limit + 1}`;
}

/** Event types by count since a time: an index-only range scan of audit_events_at. */
export function topEventsQuery(since: Date, limit: number): RawBuilder<{ type: string; count: string }> {
  return sql`SELECT type, count(*) AS count FROM audit_events WHERE at >= ${since} GROUP BY type ORDER BY count(*) DESC, type LIMIT ${limit}`;
}

/** Login outcomes per hour or day (UTC): two range scans of audit_events_type_at, index-only. */
export function loginsQuery(since: Date, bucket: 'hour' | 'day'): RawBuilder<{ bucket: Date; succeeded: string; failed: string }> {
  return sql`
    SELECT date_trunc(${bucket}, at, 'UTC') AS bucket,
           count(*) FILTER (WHERE type = 'login.succeeded') AS succeeded,
           count(*) FILTER (WHERE type = 'login.failed') AS failed
    FROM audit_events
    WHERE type IN ('login.succeeded', 'login.failed') AND at >= ${since}
    GROUP BY 1 ORDER BY 1`;
}

/** A user's events by type, and the newest: index-only on audit_events_user_at. */
export function userCountsQuery(userId: string): RawBuilder<{ type: string; count: string; last: Date }> {
  return sql`SELECT type, count(*) AS count, max(at) AS last FROM audit_events WHERE user_id = ${userId} GROUP BY type`;
}

/** Events that end one session (theirs, by session_id). Every way a session ends emits one of them. */
export const SESSION_END_TYPES = ['logout', 'session.revoked', 'refresh.reuse_detected'] as const;
/** Events that end every session of the account signed in before them (docs/rest.md: an admin's disable, a password reset). */
export const ACCOUNT_END_TYPES = ['account.disabled', 'password.reset'] as const;

/**
 * Sessions the events show open: signed in (login.succeeded) since `since` (the refresh-token
 * lifetime: an older session has expired), with no end event of its own since, and signed in after the
 * account's latest account-wide end. An end always follows its sign-in, so one range of the user's
 * events holds them all: one index-only scan of audit_events_user_at (type and session_id are in its
 * INCLUDE), read once (the CTE), grouped by session.
 */
export function openSessionsQuery(userId: string, since: Date): RawBuilder<{ sessions: string }> {
  const types = ['login.succeeded', ...SESSION_END_TYPES, ...ACCOUNT_END_TYPES];
  return sql`
    WITH ev AS MATERIALIZED (
      SELECT session_id, type, at FROM audit_events
      WHERE user_id = ${userId} AND at >= ${since} AND type IN (${sql.join(types)})
    )
    SELECT count(*) AS sessions FROM (
      SELECT min(at) AS opened FROM ev
      WHERE session_id IS NOT NULL AND type NOT IN (${sql.join([...ACCOUNT_END_TYPES])})
      GROUP BY session_id
      HAVING bool_or(type = 'login.succeeded') AND NOT bool_or(type <> 'login.succeeded')
    ) open
    WHERE opened > coalesce((SELECT max(at) FROM ev WHERE type IN (${sql.join([...ACCOUNT_END_TYPES])})), '-infinity')`;
}
