import type { Registry } from 'prom-client';
import type { Config } from '@authgate/shared/config';
import type { Db } from '@authgate/shared/db/database';
import type { Logger } from '@authgate/shared/logger';
import type { EventBus, EventConsumer, EventDelivery } from '@authgate/shared/events/types';
import { dropExpiredPartitions, monthStart, nextMonth } from './partitions.ts';
import { auditWriterMetrics } from './metrics.ts';
import { insertSplitting } from './split-insert.ts';
import { AuditStore } from './store.ts';

export { AuditStore } from './store.ts';
export * from './partitions.ts';

export interface AuditWriterStats {
  batches: number;
  /** Rows inserted. */
  stored: number;
  /** Events delivered again that were stored already (redelivery, a publish repeated). */
  duplicates: number;
  failedBatches: number;
  /** Events the bus handed out again (an earlier delivery was not acknowledged). */
  redelivered: number;
  /** Events PostgreSQL refused for their data (SQLSTATE class 22): logged by id and type, acknowledged, not stored. */
  setAside: number;
  /** Batches split because PostgreSQL refused some of their events. */
  splitBatches: number;
}

export interface AuditWriterHandle {
  stats: AuditWriterStats;
  ready(): Promise<boolean>;
  /** Runs retention now (also hourly); returns the partitions dropped. */
  applyRetention(now?: Date): Promise<string[]>;
  /** Stops consuming; the batch in hand is written and acknowledged, the rest goes back to the bus. */
  stop(): Promise<void>;
}

export type AuditWriterConfig = Pick<Config, 'AUDIT_BATCH_SIZE' | 'AUDIT_BATCH_WAIT_MS' | 'AUDIT_RETENTION_DAYS'>;

const RETENTION_EVERY_MS = 3_600_000;

/**
 * The audit writer: consumes events from the bus in batches (AUDIT_BATCH_SIZE events or
 * AUDIT_BATCH_WAIT_MS, whichever first) and inserts each batch in one statement. A batch is
 * acknowledged only after its INSERT committed; a failed one goes back to the bus and comes again.
 * Since a row is keyed by the event's (id, at) and inserted ON CONFLICT DO NOTHING, a batch that was
 * written but not acknowledged (the writer killed between the two) is stored once on its redelivery.
 * An event PostgreSQL cannot store (U+0000, an unpaired surrogate in `data`...) would fail its batch on
 * every retry and hold back every event behind it: such a batch is split until the event stands alone
 * (insertSplitting), the rest is stored, and the event is set aside: counted, logged by id and type
 * only (its content is what could not be stored, and is the client's), and acknowledged.
 * The database (migrated by its owner) is handed in.
 */
export async function startAuditWriter(
  config: AuditWriterConfig,
  deps: { events: EventBus; db: Db; log: Logger; metrics?: Registry | undefined },
): Promise<AuditWriterHandle> {
  const log = deps.log.child({ role: 'audit' });
  const store = new AuditStore(deps.db);
  const stats: AuditWriterStats = { batches: 0, stored: 0, duplicates: 0, failedBatches: 0, redelivered: 0, setAside: 0, splitBatches: 0 };
  const metrics = deps.metrics ? auditWriterMetrics(deps.metrics, stats) : undefined;
  const now = new Date();
  await store.ensureMonth(monthStart(now));
  await store.ensureMonth(nextMonth(monthStart(now)));

  const applyRetention = async (at = new Date()) => {
    const dropped = await dropExpiredPartitions(deps.db, config.AUDIT_RETENTION_DAYS, at);
    if (dropped.length > 0) {
      store.forgetMonths();
      log.info({ dropped, retentionDays: config.AUDIT_RETENTION_DAYS }, 'audit months past retention dropped');
    }
    // The month ahead exists before its first event arrives, whoever writes it.
    await store.ensureMonth(nextMonth(monthStart(at)));
    return dropped;
  };
  await applyRetention(now);
  const retention = setInterval(() => void applyRetention().catch((err: unknown) => log.warn({ err }, 'audit retention failed')), RETENTION_EVERY_MS);
  retention.unref();

  const write = async (batch: EventDelivery[]) => {
    const started = performance.now();
    for (const delivery of batch) if (delivery.redelivered) stats.redelivered++;
    try {
      const { stored, refused, splits } = await insertSplitting(
        store,
        batch.map((d) => d.event),
      );
      stats.batches++;
      stats.stored += stored;
      stats.duplicates += batch.length - stored - refused.length;
      if (splits > 0) stats.splitBatches++;
      stats.setAside += refused.length;
      for (const { event, code } of refused) {
        // Its id, its type (a fixed label or an `app.<name>` of a checked alphabet) and the SQL state:
        // never its data, which is what could not be stored and may hold anything.
        log.error({ eventId: event.id, type: event.type, sqlState: code }, 'audit event set aside: PostgreSQL cannot store it');
      }
    } catch (err) {
      stats.failedBatches++;
      throw err;
    } finally {
      metrics?.written.since(started);
    }
  };
  const consumer: EventConsumer = await deps.events.consume(write, { maxBatchSize: config.AUDIT_BATCH_SIZE, maxWaitMs: config.AUDIT_BATCH_WAIT_MS });
  log.info(
    { batchSize: config.AUDIT_BATCH_SIZE, batchWaitMs: config.AUDIT_BATCH_WAIT_MS, retentionDays: config.AUDIT_RETENTION_DAYS },
    'audit writer consuming',
  );

  return {
    stats,
    applyRetention,
    ready: async () => deps.events.ready(),
    async stop() {
      clearInterval(retention);
      await consumer.stop();
    },
  };
}
