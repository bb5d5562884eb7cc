import type { Db } from '@authgate/shared/db/database';
import { AppError } from '@authgate/shared/errors';
import type { Logger } from '@authgate/shared/logger';
import { encodeCursor, type Cursor } from './cursor.ts';
import { eventsQuery, loginsQuery, openSessionsQuery, topEventsQuery, userCountsQuery, type EventFilter, type EventRow } from './queries.ts';

export interface EventView {
  id: string;
  type: string;
  at: string;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  deviceId: string | null;
  data: Record<string, unknown>;
}

export interface EventPage {
  events: EventView[];
  /** The cursor of the next (older) page, or null on the last one. */
  next: string | null;
}

export type Bucket = 'hour' | 'day';

/** The account API's reads of the audit trail; a database that does not answer is 503 `overloaded`. */
export class AuditReads {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  async page(filter: EventFilter): Promise<EventPage> {
    const { rows } = await this.read(() => eventsQuery(filter).execute(this.db));
    const events = rows.slice(0, filter.limit).map(toView);
    const last = events.at(-1);
    const next = rows.length > filter.limit && last ? encodeCursor({ at: last.at, id: last.id } satisfies Cursor) : null;
    return { events, next };
  }

  async topEvents(since: Date, limit: number): Promise<Array<{ type: string; count: number }>> {
    const { rows } = await this.read(() => topEventsQuery(since, limit).execute(this.db));
    return rows.map((r) => ({ type: r.type, count: Number(r.count) }));
  }

  /** Every bucket from the one holding `since` to the current one, empty ones as zeros. */
  async logins(since: Date, bucket: Bucket, now = new Date()): Promise<Array<{ at: string; succeeded: number; failed: number }>> {
    const { rows } = await this.read(() => loginsQuery(since, bucket).execute(this.db));
    const counted = new Map(rows.map((r) => [new Date(r.bucket).getTime(), r]));
    const step = bucket === 'hour' ? 3_600_000 : 86_400_000;
    const out: Array<{ at: string; succeeded: number; failed: number }> = [];
    for (let t = Math.floor(since.getTime() / step) * step; t <= now.getTime(); t += step) {
      const row = counted.get(t);
      out.push({ at: new Date(t).toISOString(), succeeded: Number(row?.succeeded ?? 0), failed: Number(row?.failed ?? 0) });
    }
    return out;
  }

  async userSummary(
    userId: string,
    sessionsSince: Date,
  ): Promise<{ userId: string; counts: Record<string, number>; lastSeenAt: string | null; sessions: number }> {
    const [counts, open] = await this.read(() =>
      Promise.all([userCountsQuery(userId).execute(this.db), openSessionsQuery(userId, sessionsSince).execute(this.db)]),
    );
    let last: number | undefined;
    const byType: Record<string, number> = {};
    for (const row of counts.rows) {
      byType[row.type] = Number(row.count);
      const at = new Date(row.last).getTime();
      if (last === undefined || at > last) last = at;
    }
    return { userId, counts: byType, lastSeenAt: last === undefined ? null : new Date(last).toISOString(), sessions: Number(open.rows[0]?.sessions ?? 0) };
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (err) {
      this.log.warn({ err }, 'audit database read failed');
      throw new AppError('overloaded', 'audit database unavailable, retry later');
    }
  }
}

function toView(row: EventRow): EventView {
  return {
    id: row.id,
    type: row.type,
    at: new Date(row.at).toISOString(),
    userId: row.user_id,
    ip: row.ip,
    userAgent: row.user_agent,
    sessionId: row.session_id,
    deviceId: row.device_id,
    data: row.data,
  };
}
