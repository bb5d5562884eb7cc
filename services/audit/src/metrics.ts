import type { Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, register, type HistogramCell } from '@authgate/shared/metrics/families';
import type { AuditWriterStats } from './index.ts';

/** One batch INSERT: a few ms for a small batch, longer for 500 rows on a busy database. */
const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The audit writer's metrics. The totals are the writer's own stats, read at scrape time; only the
 * write latency is observed as it happens (once per batch, not per event).
 */
export function auditWriterMetrics(registry: Registry, stats: AuditWriterStats): { written: HistogramCell } {
  register(
    registry,
    new CounterFamily('authgate_audit_rows_written_total', 'Audit events the writer inserted (new rows).').read({}, () => stats.stored),
  );
  register(
    registry,
    new CounterFamily(
      'authgate_audit_batches_total',
      'Batches the writer handled, by outcome (written: committed and acknowledged; failed: put back on the bus).',
      ['outcome'],
    )
      .read({ outcome: 'written' }, () => stats.batches)
      .read({ outcome: 'failed' }, () => stats.failedBatches),
  );
  register(
    registry,
    new CounterFamily(
      'authgate_audit_duplicates_skipped_total',
      'Events delivered again that were stored already (a redelivery after a writer died, a publish repeated): skipped by the (id, at) key.',
    ).read({}, () => stats.duplicates),
  );
  register(
    registry,
    new CounterFamily('authgate_audit_redeliveries_total', 'Events the bus handed out again (an earlier delivery was not acknowledged).').read(
      {},
      () => stats.redelivered,
    ),
  );
  register(
    registry,
    new CounterFamily(
      'authgate_audit_events_set_aside_total',
      'Events PostgreSQL refused for their data (SQLSTATE class 22: U+0000, an unpaired surrogate...): split from their batch, logged by id and type, acknowledged and not stored.',
    ).read({}, () => stats.setAside),
  );
  const latency = register(
    registry,
    new HistogramFamily('authgate_audit_write_duration_seconds', 'Time of one batch INSERT (committed or failed).', [], WRITE_BUCKETS),
  );
  return { written: latency.cell({}) };
}
