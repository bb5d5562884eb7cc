import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Db } from '@authgate/shared/db/database';
import { monthStart, nextMonth, partitionName } from '@authgate/audit';

/** How many distinct users the generated events belong to, and the busiest one (most events). */
export const GENERATED_USERS = 50_000;
export const userIdOf = async (db: Db, k: number): Promise<string> => {
  const { rows } = await sql<{ id: string }>`SELECT md5(${`u${k}`})::uuid AS id`.execute(db);
  return rows[0]!.id;
};

/**
 * Fills audit_events with `total` generated events spread evenly over the `days` before now, one
 * month at a time: each month is loaded into a plain table, then attached as the month's partition
 * (PostgreSQL builds its indexes once, which is far quicker than row by row), then VACUUM ANALYZE.
 * Users are skewed (user k has a share falling with k: u0 is the busiest); types follow a plausible mix.
 */
export async function generateAuditEvents(databaseUrl: string, total: number, days: number, now = new Date()): Promise<{ months: number; seconds: number }> {
  const started = Date.now();
  // One connection of its own: no query timeout (a month of rows takes a while), room for index builds.
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1 }) }) });
  await sql`SET maintenance_work_mem = '256MB'`.execute(db);
  await sql`SET synchronous_commit = off`.execute(db);
  const from = now.getTime() - days * 86_400_000;
  let months = 0;
  for (let month = monthStart(new Date(from)); month.getTime() <= now.getTime(); month = nextMonth(month)) {
    const lo = Math.max(month.getTime(), from);
    const hi = Math.min(nextMonth(month).getTime(), now.getTime());
    const rows = Math.round((total * (hi - lo)) / (now.getTime() - from));
    const name = partitionName(month);
    const staging = sql.table(name);
    await sql`DROP TABLE IF EXISTS ${staging}`.execute(db);
    await sql`CREATE TABLE ${staging} (LIKE audit_events INCLUDING DEFAULTS)`.execute(db);
    await sql`
      INSERT INTO ${staging} (id, at, type, user_id, session_id, device_id, ip, user_agent, data)
      SELECT gen_random_uuid(), g.at, g.type,
             md5('u' || floor(power(random(), 3) * ${GENERATED_USERS})::int)::uuid,
             CASE WHEN g.type IN ('login.succeeded', 'logout', 'refresh.reuse_detected') THEN gen_random_uuid() END,
             'device-' || floor(random() * 4)::int,
             '10.' || floor(random() * 250)::int || '.' || floor(random() * 250)::int || '.7',
             'Mozilla/5.0 (generated)',
             '{"requestId":"generated"}'::jsonb
      FROM (
        SELECT to_timestamp((${lo} + random() * ${hi - lo}) / 1000.0) AS at,
               CASE WHEN r < 0.35 THEN 'login.succeeded' WHEN r < 0.50 THEN 'login.failed' WHEN r < 0.68 THEN 'logout'
                    WHEN r < 0.70 THEN 'register' WHEN r < 0.701 THEN 'refresh.reuse_detected' WHEN r < 0.71 THEN 'password.changed'
                    ELSE 'app.page.' || floor(r * 100)::int END AS type
        FROM (SELECT random() AS r FROM generate_series(1, ${rows})) s
      ) g`.execute(db);
    await sql`ALTER TABLE audit_events ATTACH PARTITION ${staging} FOR VALUES FROM (${sql.lit(month.toISOString())}) TO (${sql.lit(nextMonth(month).toISOString())})`.execute(
      db,
    );
    months++;
  }
  await sql`VACUUM ANALYZE audit_events`.execute(db);
  await db.destroy();
  return { months, seconds: (Date.now() - started) / 1000 };
}
