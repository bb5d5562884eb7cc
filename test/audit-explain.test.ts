import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { createLogger } from '@authgate/shared/logger';
import { eventsQuery, loginsQuery, openSessionsQuery, topEventsQuery, userCountsQuery } from '../services/api/src/events/queries.ts';
import { createTestDatabase } from './helpers/services.ts';
import { generateAuditEvents, GENERATED_USERS, userIdOf } from './helpers/audit-data.ts';
import { openPostgres } from '@authgate/shared/db/database';

/**
 * The plans of every audit read on generated data of a size this 2-core machine builds in about a
 * minute (AUDIT_EXPLAIN_ROWS, default 500,000 over 180 days: ~85k events a month). Each plan is
 * printed, and none may read a big partition (over BIG rows) by Seq Scan: every read that reaches one
 * is answered from an index of migration 0002.
 */
const ROWS = Number(process.env.AUDIT_EXPLAIN_ROWS ?? 500_000);
const DAYS = 180;
const BIG = 20_000;
const log = createLogger({ level: 'silent', name: 'explain-test' });

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

describe(`audit reads use an index on ${ROWS.toLocaleString('en')} generated events`, { timeout: 600_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  const rowsOf = new Map<string, number>();

  before(async () => {
    database = await createTestDatabase('audit_explain');
    db = openPostgres({ url: database.url, poolSize: 10, log });
    await migrateToLatest(db);
    const made = await generateAuditEvents(database.url, ROWS, DAYS);
    console.log(`# generated ${ROWS} events in ${made.months} month partitions in ${made.seconds.toFixed(1)} s`);
    const { rows } = await sql<{ name: string; n: number }>`
      SELECT c.relname AS name, c.reltuples::bigint AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'audit_events'::regclass AND c.relkind = 'r'`.execute(db);
    for (const r of rows) rowsOf.set(r.name, Number(r.n));
    console.log(`# partitions: ${[...rowsOf].map(([n, c]) => `${n}=${c}`).join(' ')}`);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function assertIndexed(what: string, query: RawBuilder<unknown>): Promise<void> {
    const text = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${query}`.execute(db);
    console.log(`\n# ${what}\n${text.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);
    const json = await sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>`EXPLAIN (FORMAT JSON) ${query}`.execute(db);
    const nodes = nodesOf(json.rows[0]!['QUERY PLAN'][0]!.Plan);
    const seqOnBig = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && (rowsOf.get(n['Relation Name'] ?? '') ?? Infinity) > BIG);
    assert.deepEqual(
      seqOnBig.map((n) => n['Relation Name']),
      [],
      `${what}: Seq Scan on a big partition`,
    );
    // A read whose partitions are all small (a 24-hour window early on the 1st or 2nd of a month
    // reaches only the new month's partition) is rightly a Seq Scan: the rule is about big ones.
    const readsBig = nodes.some((n) => n['Relation Name'] !== undefined && (rowsOf.get(n['Relation Name']) ?? Infinity) > BIG);
    if (!readsBig) return;
    assert.ok(
      nodes.some((n) => /Index/.test(n['Node Type']) && n['Index Name']?.startsWith('audit_events_')),
      `${what}: no index of audit_events used`,
    );
  }

  test("a user's trail (busiest and typical user): first page and a cursor page from audit_events_user_at", async () => {
    const busiest = await userIdOf(db, 0);
    const typical = await userIdOf(db, Math.floor(GENERATED_USERS / 2));
    await assertIndexed('GET /auth/events, busiest user, first page', eventsQuery({ userId: busiest, limit: 50 }));
    const first = await eventsQuery({ userId: busiest, limit: 50 }).execute(db);
    const last = first.rows[49]!;
    await assertIndexed(
      'GET /auth/events, busiest user, page 2 (cursor)',
      eventsQuery({ userId: busiest, limit: 50, before: { at: new Date(last.at).toISOString(), id: last.id } }),
    );
    await assertIndexed('GET /auth/events, typical user', eventsQuery({ userId: typical, limit: 50 }));
  });

  test('admin listing: all types, one type, a time window, a user and a type', async () => {
    const day = 86_400_000;
    const now = Date.now();
    await assertIndexed('GET /admin/events', eventsQuery({ limit: 50 }));
    await assertIndexed('GET /admin/events?type=login.failed', eventsQuery({ type: 'login.failed', limit: 50 }));
    await assertIndexed(
      'GET /admin/events?since&until (one day, 60 days ago)',
      eventsQuery({ since: new Date(now - 61 * day), until: new Date(now - 60 * day), limit: 50 }),
    );
    await assertIndexed(
      'GET /admin/events?type=register&since&until',
      eventsQuery({ type: 'register', since: new Date(now - 61 * day), until: new Date(now - 60 * day), limit: 50 }),
    );
    await assertIndexed('GET /admin/events?userId&type=login.succeeded', eventsQuery({ userId: await userIdOf(db, 3), type: 'login.succeeded', limit: 50 }));
  });

  test("analytics: top events, login buckets, a user's summary", async () => {
    const now = Date.now();
    const hour = 3_600_000;
    await assertIndexed('GET /admin/analytics/top-events (since 24 h)', topEventsQuery(new Date(now - 24 * hour), 10));
    await assertIndexed('GET /admin/analytics/top-events (since 7 days, the default)', topEventsQuery(new Date(now - 7 * 24 * hour), 10));
    await assertIndexed('GET /admin/analytics/logins?bucket=hour (24 h)', loginsQuery(new Date(now - 24 * hour), 'hour'));
    await assertIndexed('GET /admin/analytics/logins?bucket=day (7 days)', loginsQuery(new Date(now - 7 * 24 * hour), 'day'));
    const busiest = await userIdOf(db, 0);
    await assertIndexed('GET /admin/analytics/users/:id, counts (busiest user)', userCountsQuery(busiest));
    await assertIndexed('GET /admin/analytics/users/:id, open sessions (busiest user)', openSessionsQuery(busiest, new Date(now - 30 * 24 * hour)));
  });
});
