import { sql, type Kysely } from 'kysely';

/** The first instant of the UTC month that holds `at`. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export function nextMonth(month: Date): Date {
  return new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
}

/** `audit_events_2026_12`: the name says the month, so retention can read it back. */
export function partitionName(month: Date): string {
  return `audit_events_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

const NAME = /^audit_events_(\d{4})_(\d{2})$/;

/**
 * Creates the month's partition unless it exists. Two writers racing on the same month: one of them
 * meets a catalog conflict, finds the partition there, and goes on.
 */
// biome-ignore lint/suspicious/noExplicitAny: these statements are raw SQL over tables outside the typed schema
export async function ensurePartition(db: Kysely<any>, month: Date): Promise<void> {
  const name = partitionName(month);
  const from = month.toISOString();
  const to = nextMonth(month).toISOString();
  try {
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(name)} PARTITION OF audit_events FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(db);
  } catch (err) {
    if (!(await partitionExists(db, name))) throw err;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: these statements are raw SQL over tables outside the typed schema
async function partitionExists(db: Kysely<any>, name: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_class WHERE relname = ${name} AND relkind = 'r'`.execute(db);
  return (rows[0]?.n ?? 0) > 0;
}

/** The month partitions of audit_events, oldest first. */
// biome-ignore lint/suspicious/noExplicitAny: these statements are raw SQL over tables outside the typed schema
export async function listPartitions(db: Kysely<any>): Promise<Array<{ name: string; month: Date }>> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'audit_events'`.execute(db);
  return rows
    .flatMap((r) => {
      const m = NAME.exec(r.name);
      return m ? [{ name: r.name, month: new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) }] : [];
    })
    .sort((a, b) => a.month.getTime() - b.month.getTime());
}

/**
 * Retention: drops every month whose last instant is older than `retentionDays` before `now`. Whole
 * months only (a DROP is instant and leaves no dead rows, unlike a DELETE), so an event is kept at
 * least retentionDays and at most a month longer. Returns the partitions dropped.
 */
// biome-ignore lint/suspicious/noExplicitAny: these statements are raw SQL over tables outside the typed schema
export async function dropExpiredPartitions(db: Kysely<any>, retentionDays: number, now = new Date()): Promise<string[]> {
  const horizon = now.getTime() - retentionDays * 86_400_000;
  const dropped: string[] = [];
  for (const { name, month } of await listPartitions(db)) {
    if (nextMonth(month).getTime() > horizon) continue;
    await sql`DROP TABLE IF EXISTS ${sql.table(name)}`.execute(db);
    dropped.push(name);
  }
  return dropped;
}
