import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { createLogger } from '@authgate/shared/logger';
import { AmqpEventBus } from '@authgate/shared/events/amqp-bus';
import { newAuditEvent } from '@authgate/shared/events/schema';
import { AuditStore, monthStart, nextMonth, startAuditWriter } from '@authgate/audit';
import { eventsQuery, loginsQuery, openSessionsQuery, topEventsQuery, userCountsQuery } from '../../services/api/src/events/queries.ts';
import { generateAuditEvents, GENERATED_USERS, userIdOf } from '../../test/helpers/audit-data.ts';
import { AMQP_URL, createTestDatabase, uniqueNamespace } from '../../test/helpers/services.ts';
import { openPostgres } from '@authgate/shared/db/database';

/**
 * (g) The audit trail on this machine, against the real RabbitMQ and PostgreSQL:
 *  - write rate through the pipeline (events published with confirms to RabbitMQ, then drained by
 *    the audit writer into PostgreSQL), against PostgreSQL's own rates into the same table: the
 *    writer's very INSERT from one client without the bus, and a server-side INSERT ... SELECT
 *    generate_series (no client at all: the ceiling);
 *  - analytics and trail query latency p50/p99 on `analyticsEvents` generated events (180 days).
 * Settings: AUDIT_BENCH_WRITES (events written, default 50 000), AUDIT_BENCH_EVENTS (generated,
 * default 1 000 000), AUDIT_BENCH_BATCH (writer batch size, default 500), AUDIT_BENCH_RUNS (default 40).
 */
export async function benchAudit(options: { writes: number; analyticsEvents: number; batchSize: number; runs: number }): Promise<Record<string, unknown>[]> {
  const log = createLogger({ level: 'silent', name: 'bench-audit' });
  const rows: Record<string, unknown>[] = [];
  const database = await createTestDatabase('bench_audit');
  const db = openPostgres({ url: database.url, poolSize: 10, log });
  const namespace = uniqueNamespace('bench-audit');
  const bus = new AmqpEventBus({ url: AMQP_URL, namespace, maxLength: 10_000_000, publishTimeoutMs: 10_000, log });
  try {
    await migrateToLatest(db);
    const store = new AuditStore(db);
    await store.ensureMonth(monthStart(new Date()));
    await store.ensureMonth(nextMonth(monthStart(new Date())));
    const events = () =>
      Array.from({ length: options.writes }, (_, i) =>
        newAuditEvent({
          type: i % 3 ? 'login.succeeded' : 'login.failed',
          userId: crypto.randomUUID(),
          sessionId: crypto.randomUUID(),
          ip: '192.0.2.1',
          userAgent: 'bench/1',
          data: { requestId: crypto.randomUUID() },
        }),
      );

    // Ceiling: PostgreSQL generating and inserting the rows itself.
    let started = performance.now();
    await sql`INSERT INTO audit_events (id, at, type, user_id, session_id, ip, user_agent, data)
      SELECT gen_random_uuid(), now() - random() * interval '1 hour', 'login.succeeded', gen_random_uuid(), gen_random_uuid(), '192.0.2.1', 'bench/1', '{"requestId":"x"}'::jsonb
      FROM generate_series(1, ${options.writes})`.execute(db);
    const serverSide = options.writes / ((performance.now() - started) / 1000);
    await sql`TRUNCATE audit_events`.execute(db);

    // PostgreSQL's multi-row INSERT from one client: the writer's statement, batches in sequence, no bus.
    const direct = events();
    started = performance.now();
    for (let i = 0; i < direct.length; i += options.batchSize) await store.insert(direct.slice(i, i + options.batchSize));
    const insertRate = options.writes / ((performance.now() - started) / 1000);
    await sql`TRUNCATE audit_events`.execute(db);

    // Publish with confirms (256 in flight), then the writer drains the backlog.
    await bus.waitForConnect();
    const published = events();
    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < published.length) await bus.publish(published[next++]!);
      }),
    );
    const publishRate = options.writes / ((performance.now() - started) / 1000);
    // The bus alone: the same backlog drained by a consumer that writes nothing.
    let drained = 0;
    started = performance.now();
    const noop = await bus.consume(async (batch) => void (drained += batch.length), { maxBatchSize: options.batchSize, maxWaitMs: 50 });
    while (drained < options.writes) await new Promise((resolve) => setTimeout(resolve, 20));
    const busDrainRate = options.writes / ((performance.now() - started) / 1000);
    await noop.stop();
    next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < published.length) await bus.publish(published[next++]!);
      }),
    );
    started = performance.now();
    const writer = await startAuditWriter(
      { AUDIT_BATCH_SIZE: options.batchSize, AUDIT_BATCH_WAIT_MS: 50, AUDIT_RETENTION_DAYS: 365 },
      { events: bus, db, log },
    );
    while (writer.stats.stored < options.writes) await new Promise((resolve) => setTimeout(resolve, 20));
    const drainRate = options.writes / ((performance.now() - started) / 1000);
    await writer.stop();

    // Both at once: the writer consuming while events are published.
    await sql`TRUNCATE audit_events`.execute(db);
    const live = await startAuditWriter({ AUDIT_BATCH_SIZE: options.batchSize, AUDIT_BATCH_WAIT_MS: 50, AUDIT_RETENTION_DAYS: 365 }, { events: bus, db, log });
    const concurrent = events();
    started = performance.now();
    next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < concurrent.length) await bus.publish(concurrent[next++]!);
      }),
    );
    while (live.stats.stored < options.writes) await new Promise((resolve) => setTimeout(resolve, 20));
    const endToEnd = options.writes / ((performance.now() - started) / 1000);
    await live.stop();
    rows.push({
      bench: 'g: audit event writes per second',
      events: options.writes,
      batchSize: options.batchSize,
      postgresServerSideInsert: Math.round(serverSide),
      postgresMultiRowInsert: Math.round(insertRate),
      publishWithConfirms: Math.round(publishRate),
      busDrainNoWrite: Math.round(busDrainRate),
      writerDrainingBacklog: Math.round(drainRate),
      publishAndWriteTogether: Math.round(endToEnd),
      writerVsMultiRowInsert: `${((drainRate / insertRate) * 100).toFixed(0)}%`,
      writerVsBusAlone: `${((drainRate / busDrainRate) * 100).toFixed(0)}%`,
    });

    // Analytics on a trail of realistic size.
    await sql`DROP TABLE audit_events`.execute(db);
    await sql`DELETE FROM authgate_migrations WHERE name = '0002_audit_events'`.execute(db);
    await migrateToLatest(db);
    const generated = await generateAuditEvents(database.url, options.analyticsEvents, 180);
    const busiest = await userIdOf(db, 0);
    const typical = await userIdOf(db, Math.floor(GENERATED_USERS / 2));
    const now = Date.now();
    const day = 86_400_000;
    const queries: Array<[string, () => RawBuilder<unknown>]> = [
      ['top-events, since 7 days', () => topEventsQuery(new Date(now - 7 * day), 10)],
      ['top-events, since 24 h', () => topEventsQuery(new Date(now - day), 10)],
      ['logins, hour buckets, 24 h', () => loginsQuery(new Date(now - day), 'hour')],
      ['logins, day buckets, 30 days', () => loginsQuery(new Date(now - 30 * day), 'day')],
      ['users/:id, busiest user (counts + sessions)', () => userCountsQuery(busiest)],
      ['users/:id, typical user (counts)', () => userCountsQuery(typical)],
      ['own trail, busiest user, first page', () => eventsQuery({ userId: busiest, limit: 50 })],
      ['admin events, type=login.failed, first page', () => eventsQuery({ type: 'login.failed', limit: 50 })],
    ];
    for (const [name, query] of queries) {
      const ms = await latencies(
        db,
        name.startsWith('users/:id, busiest')
          ? () => Promise.all([userCountsQuery(busiest).execute(db), openSessionsQuery(busiest, new Date(now - 30 * day)).execute(db)])
          : () => query().execute(db),
        options.runs,
      );
      rows.push({
        bench: `g: ${name}`,
        events: options.analyticsEvents,
        p50ms: ms.p50,
        p99ms: ms.p99,
        runs: options.runs,
        generatedInSeconds: generated.seconds,
      });
    }
  } finally {
    await bus.close();
    await db.destroy();
    await database.drop();
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteQueue(`${namespace}.audit`);
    await channel.deleteExchange(`${namespace}.events`);
    await connection.close();
  }
  return rows;
}

async function latencies(_db: Db, run: () => Promise<unknown>, runs: number): Promise<{ p50: number; p99: number }> {
  await run(); // warm: plan cache, buffers
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Number(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!.toFixed(2));
  return { p50: at(0.5), p99: at(0.99) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await benchAudit({
    writes: Number(process.env.AUDIT_BENCH_WRITES ?? 50_000),
    analyticsEvents: Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000),
    batchSize: Number(process.env.AUDIT_BENCH_BATCH ?? 500),
    runs: Number(process.env.AUDIT_BENCH_RUNS ?? 40),
  });
  for (const row of rows) console.log(JSON.stringify(row));
}
