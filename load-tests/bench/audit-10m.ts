import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type RawBuilder } from 'kysely';
import { AuditStore, monthStart, nextMonth, startAuditWriter } from '@authgate/audit';
import { openPostgres, type Db } from '@authgate/shared/db/database';
import { migrateToLatest } from '@authgate/shared/db/migrations';
import { MemoryEventBus } from '@authgate/shared/events/memory-bus';
import { newAuditEvent, type AuditEvent } from '@authgate/shared/events/schema';
import { createLogger } from '@authgate/shared/logger';
import { eventsQuery, loginsQuery, openSessionsQuery, topEventsQuery, userCountsQuery } from '../../services/api/src/events/queries.ts';
import { generateAuditEvents, GENERATED_USERS, userIdOf } from '../../test/helpers/audit-data.ts';
import { createTestDatabase } from '../../test/helpers/services.ts';

/**
 * (g') The audit trail at 10 million events, in a scratch database dropped at the end:
 *  1. generates AUDIT_10M_EVENTS (10,000,000) events over 180 days server-side (generate_series, not
 *     through the app: test/helpers/audit-data.ts, one month partition at a time);
 *  2. runs every read of the analytics and admin routes AUDIT_10M_RUNS times (50; at most
 *     AUDIT_10M_QUERY_S seconds each) and prints p50/p99 and the plan's scan nodes (EXPLAIN);
 *  3. writes AUDIT_10M_WRITES (100,000) new events into that 10 M-row table twice: through the real
 *     audit writer (startAuditWriter: batches of AUDIT_10M_BATCH, one INSERT … ON CONFLICT each; fed
 *     by the in-process bus so the broker's delivery rate is not what is measured), and the same rows
 *     by PostgreSQL's own COPY (psql \copy from a CSV file): the ratio is writer ÷ COPY, same run.
 * Run: node --import tsx load-tests/bench/audit-10m.ts (or BENCH_ONLY=audit-10m npm run bench). Not part
 * of npm test: generating 10 M events takes minutes (test/audit-explain.test.ts checks plans at 500k).
 */
export interface Audit10mOptions {
  events: number;
  runs: number;
  maxQuerySeconds: number;
  writes: number;
  batchSize: number;
  log?: (line: string) => void;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** The scan nodes of a plan, partitions folded: "Index Only Scan on *_user_id_at_id_idx ×7". */
function scanSummary(plan: PlanNode): string {
  const counts = new Map<string, number>();
  for (const node of nodesOf(plan)) {
    if (!/Scan/.test(node['Node Type'])) continue;
    // Partition index names start with the partition's (audit_events_YYYY_MM_…): fold the month.
    const target = (node['Index Name'] ?? node['Relation Name'] ?? '?').replace(/^audit_events_\d{4}_\d{2}/, 'audit_events_*');
    const key = `${node['Node Type']} ${target}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join('; ');
}

export async function benchAudit10m(options: Audit10mOptions): Promise<Record<string, unknown>[]> {
  const say = options.log ?? (() => {});
  const log = createLogger({ level: 'silent', name: 'bench-audit-10m' });
  const database = await createTestDatabase('bench_audit10m');
  const db = openPostgres({ url: database.url, poolSize: 4, log });
  const rows: Record<string, unknown>[] = [];
  try {
    await migrateToLatest(db);
    say(`generating ${options.events.toLocaleString('en')} events ...`);
    const generated = await generateAuditEvents(database.url, options.events, 180);
    const { rows: size } = await sql<{
      bytes: string;
    }>`SELECT sum(pg_total_relation_size(inhrelid))::bigint AS bytes FROM pg_inherits WHERE inhparent = 'audit_events'::regclass`.execute(db);
    say(`generated in ${generated.seconds.toFixed(0)} s, ${generated.months} partitions, ${(Number(size[0]!.bytes) / 2 ** 30).toFixed(2)} GiB with indexes`);
    rows.push({
      bench: "g': generated events",
      events: options.events,
      partitions: generated.months,
      seconds: Math.round(generated.seconds),
      gib: Number((Number(size[0]!.bytes) / 2 ** 30).toFixed(2)),
    });

    for (const row of await measureReads(db, options, say)) rows.push({ ...row, events: options.events });
    rows.push(await measureWrites(db, database.url, options, say));
  } finally {
    await db.destroy();
    await database.drop();
    say('scratch database dropped');
  }
  return rows;
}

async function measureReads(db: Db, options: Audit10mOptions, say: (line: string) => void): Promise<Record<string, unknown>[]> {
  const busiest = await userIdOf(db, 0);
  const typical = await userIdOf(db, Math.floor(GENERATED_USERS / 2));
  const now = Date.now();
  const day = 86_400_000;
  const firstPage = await eventsQuery({ userId: busiest, limit: 50 }).execute(db);
  const last = firstPage.rows.at(-2)!;
  const reads: Array<[string, () => RawBuilder<unknown>]> = [
    ['GET /auth/events, busiest user, first page', () => eventsQuery({ userId: busiest, limit: 50 })],
    [
      'GET /auth/events, busiest user, cursor page',
      () => eventsQuery({ userId: busiest, limit: 50, before: { at: new Date(last.at).toISOString(), id: last.id } }),
    ],
    ['GET /auth/events, typical user', () => eventsQuery({ userId: typical, limit: 50 })],
    ['GET /admin/events', () => eventsQuery({ limit: 50 })],
    ['GET /admin/events?type=login.failed', () => eventsQuery({ type: 'login.failed', limit: 50 })],
    [
      'GET /admin/events?since&until (one day, 60 days ago)',
      () => eventsQuery({ since: new Date(now - 61 * day), until: new Date(now - 60 * day), limit: 50 }),
    ],
    ['GET /admin/events?userId&type', () => eventsQuery({ userId: busiest, type: 'login.succeeded', limit: 50 })],
    ['GET /admin/analytics/top-events (24 h)', () => topEventsQuery(new Date(now - day), 10)],
    ['GET /admin/analytics/top-events (7 days, default)', () => topEventsQuery(new Date(now - 7 * day), 10)],
    ['GET /admin/analytics/logins?bucket=hour (24 h)', () => loginsQuery(new Date(now - day), 'hour')],
    ['GET /admin/analytics/logins?bucket=day (7 days)', () => loginsQuery(new Date(now - 7 * day), 'day')],
    ['GET /admin/analytics/logins?bucket=day (30 days)', () => loginsQuery(new Date(now - 30 * day), 'day')],
    ['GET /admin/analytics/users/:id, counts (busiest user)', () => userCountsQuery(busiest)],
    ['GET /admin/analytics/users/:id, counts (typical user)', () => userCountsQuery(typical)],
    ['GET /admin/analytics/users/:id, open sessions (busiest user, 30 days)', () => openSessionsQuery(busiest, new Date(now - 30 * day))],
  ];
  const out: Record<string, unknown>[] = [];
  for (const [name, query] of reads) {
    const explained = await sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>`EXPLAIN (FORMAT JSON) ${query()}`.execute(db);
    const plan = scanSummary(explained.rows[0]!['QUERY PLAN'][0]!.Plan);
    const ms = await latencies(() => query().execute(db), options.runs, options.maxQuerySeconds * 1000);
    say(`${name}: p50 ${ms.p50} ms, p99 ${ms.p99} ms (${ms.runs} runs) | ${plan}`);
    out.push({ bench: `g': ${name}`, p50ms: ms.p50, p99ms: ms.p99, runs: ms.runs, plan });
  }
  return out;
}

/** The same `writes` events written by the audit writer and by COPY into the 10 M-row table. */
async function measureWrites(db: Db, url: string, options: Audit10mOptions, say: (line: string) => void): Promise<Record<string, unknown>> {
  const log = createLogger({ level: 'silent', name: 'bench-audit-10m' });
  const events: AuditEvent[] = Array.from({ length: options.writes }, (_, i) =>
    newAuditEvent({
      type: i % 3 ? 'login.succeeded' : 'login.failed',
      userId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
      deviceId: 'device-1',
      ip: '192.0.2.1',
      userAgent: 'bench/1',
      data: { requestId: crypto.randomUUID() },
    }),
  );
  const from = new Date(Math.min(...events.map((e) => new Date(e.at).getTime())));
  const store = new AuditStore(db);
  await store.ensureMonth(monthStart(from));
  await store.ensureMonth(nextMonth(monthStart(from)));
  const forget = () => sql`DELETE FROM audit_events WHERE at >= ${from}`.execute(db);
  const csv = path.join(os.tmpdir(), `authgate-audit-10m-${process.pid}.csv`);
  writeFileSync(csv, events.map(csvLine).join(''));
  try {
    const rates = { writer: [] as number[], copy: [] as number[] };
    // Twice each, alternated, so a warming cache or a neighbour's burst favours neither.
    for (const which of ['writer', 'copy', 'copy', 'writer'] as const) {
      await forget();
      await sql`VACUUM audit_events`.execute(db);
      const seconds = which === 'writer' ? await throughWriter(events, db, options.batchSize, log) : await timed(() => copyFile(url, csv));
      const rate = options.writes / seconds;
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events WHERE at >= ${from}`.execute(db);
      if (Number(rows[0]!.n) !== options.writes) throw new Error(`${which} stored ${rows[0]!.n} of ${options.writes} events`);
      rates[which].push(rate);
      say(`${which}: ${Math.round(rate).toLocaleString('en')} events/s`);
    }
    await forget();
    const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
    return {
      bench: "g': audit writer ÷ COPY, same rows, into the 10 M-row table",
      writes: options.writes,
      batchSize: options.batchSize,
      writerRuns: rates.writer.map(Math.round),
      copyRuns: rates.copy.map(Math.round),
      writerPerSecond: Math.round(mean(rates.writer)),
      copyPerSecond: Math.round(mean(rates.copy)),
      ratio: Number((mean(rates.writer) / mean(rates.copy)).toFixed(3)),
    };
  } finally {
    rmSync(csv, { force: true });
  }
}

/**
 * Seconds the real writer (batches, one INSERT each, ack after commit) takes to drain the events
 * from the in-process bus, filled before the clock starts: the bus's own cost is not the writer's.
 */
async function throughWriter(events: AuditEvent[], db: Db, batchSize: number, log: ReturnType<typeof createLogger>): Promise<number> {
  const bus = new MemoryEventBus({ maxLength: events.length + 1, log });
  for (const event of events) await bus.publish(event);
  const seconds = await timed(async () => {
    const writer = await startAuditWriter({ AUDIT_BATCH_SIZE: batchSize, AUDIT_BATCH_WAIT_MS: 20, AUDIT_RETENTION_DAYS: 3650 }, { events: bus, db, log });
    while (writer.stats.stored + writer.stats.duplicates < events.length) await new Promise((resolve) => setTimeout(resolve, 5));
    await writer.stop();
  });
  await bus.close();
  return seconds;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function copyFile(url: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const columns = '(id, at, type, user_id, session_id, device_id, ip, user_agent, data)';
    const child = spawn('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy audit_events ${columns} FROM '${file}' WITH (FORMAT csv)`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy exited ${code}: ${stderr}`))));
  });
}

const csvField = (value: string | undefined) => (value === undefined ? '' : `"${value.replaceAll('"', '""')}"`);

function csvLine(e: AuditEvent): string {
  return `${[e.id, e.at, e.type, e.userId, e.sessionId, e.deviceId, e.ip, e.userAgent, JSON.stringify(e.data)].map(csvField).join(',')}\n`;
}

async function latencies(run: () => Promise<unknown>, runs: number, budgetMs: number): Promise<{ p50: number; p99: number; runs: number }> {
  await run(); // warm: plan cache, buffers
  const ms: number[] = [];
  const until = performance.now() + budgetMs;
  for (let i = 0; i < runs && (i < 5 || performance.now() < until); i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Number(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!.toFixed(2));
  return { p50: at(0.5), p99: at(0.99), runs: ms.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const rows = await benchAudit10m({
    events: Number(process.env.AUDIT_10M_EVENTS ?? 10_000_000),
    runs: Number(process.env.AUDIT_10M_RUNS ?? 50),
    maxQuerySeconds: Number(process.env.AUDIT_10M_QUERY_S ?? 30),
    writes: Number(process.env.AUDIT_10M_WRITES ?? 100_000),
    batchSize: Number(process.env.AUDIT_10M_BATCH ?? 500),
    log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
  });
  for (const row of rows) console.log(JSON.stringify(row));
}
