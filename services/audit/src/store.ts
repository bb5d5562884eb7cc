import { sql, type Kysely } from 'kysely';
import type { AuditEvent } from '@authgate/shared/events/schema';
import { ensurePartition, monthStart } from './partitions.ts';

/** PostgreSQL's code for a row that no partition accepts. */
const NO_PARTITION = '23514';

/**
 * Writes batches of events: one INSERT of unnested arrays per batch (nine parameters whatever its
 * size), ON CONFLICT DO NOTHING on (id, at), so a redelivered or twice-published event is stored once.
 * The statement is atomic: a batch is stored whole or not at all.
 */
export class AuditStore {
  /** Months known to have a partition (by their first instant's epoch ms). */
  private readonly months = new Set<number>();

  // biome-ignore lint/suspicious/noExplicitAny: these statements are raw SQL over tables outside the typed schema
  constructor(private readonly db: Kysely<any>) {}

  async ensureMonth(month: Date): Promise<void> {
    if (this.months.has(month.getTime())) return;
    await ensurePartition(this.db, month);
    this.months.add(month.getTime());
  }

  /** Stores the events not stored yet; returns how many rows were new. */
  async insert(events: readonly AuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    for (const month of new Set(events.map((e) => monthStart(new Date(e.at)).getTime()))) await this.ensureMonth(new Date(month));
    try {
      return await this.insertRows(events);
    } catch (err) {
      // A month dropped behind this writer's back (retention on another writer): make it again, once.
      if ((err as { code?: string }).code !== NO_PARTITION) throw err;
      this.months.clear();
      for (const month of new Set(events.map((e) => monthStart(new Date(e.at)).getTime()))) await this.ensureMonth(new Date(month));
      return await this.insertRows(events);
    }
  }

  forgetMonths(): void {
    this.months.clear();
  }

  private async insertRows(events: readonly AuditEvent[]): Promise<number> {
    const column = <T>(pick: (e: AuditEvent) => T) => events.map(pick);
    const result = await sql`
      INSERT INTO audit_events (id, at, type, user_id, session_id, device_id, ip, user_agent, data)
      SELECT * FROM unnest(
        ${column((e) => e.id)}::uuid[], ${column((e) => e.at)}::timestamptz[], ${column((e) => e.type)}::text[],
        ${column((e) => e.userId ?? null)}::uuid[], ${column((e) => e.sessionId ?? null)}::uuid[], ${column((e) => e.deviceId ?? null)}::text[],
        ${column((e) => e.ip ?? null)}::text[], ${column((e) => e.userAgent ?? null)}::text[], ${column((e) => JSON.stringify(e.data))}::jsonb[]
      )
      ON CONFLICT DO NOTHING`.execute(this.db);
    return Number(result.numAffectedRows ?? 0n);
  }
}
