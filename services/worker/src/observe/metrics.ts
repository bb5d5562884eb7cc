import { Gauge, type Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, LATENCY_BUCKETS, register, type CounterCell, type HistogramCell } from '@authgate/shared/metrics/families';
import { outcomeLabel } from '@authgate/shared/metrics/outcome';
import { COMMAND_KINDS, type CommandKind } from '@authgate/shared/protocol';
import { laneOf, LANES, type Lane } from '@authgate/shared/transport/types';
import type { AuditLog } from '../audit.ts';
import type { CommandObserver, ConsumerStats, Handled } from '../consumer.ts';
import type { BcryptObserver } from '../passwords.ts';

/** bcrypt at cost 10-14 takes 50 ms to over a second per job; a saturated pool adds the wait. */
const BCRYPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The worker's metrics: commands by kind and outcome and their time (handler and result delivery),
 * the time each waited in the queue, bcrypt's time and the thread pool's load, results delivered.
 */
export class WorkerMetrics implements CommandObserver, BcryptObserver {
  private readonly commands: CounterFamily<'kind' | 'outcome'>;
  private readonly byOutcome = new Map<string, CounterCell>();
  private readonly duration = new Map<CommandKind, HistogramCell>();
  private readonly queueWait = new Map<Lane, HistogramCell>();
  private readonly bcrypt: Record<'hash' | 'compare', HistogramCell>;
  private bcryptInFlight = 0;

  constructor(
    private readonly registry: Registry,
    threadpoolSize: number,
  ) {
    this.commands = register(
      registry,
      new CounterFamily('authgate_worker_commands_total', 'Commands a worker ran, by kind and outcome (ok or the error code).', ['kind', 'outcome']),
    );
    const duration = register(
      registry,
      new HistogramFamily('authgate_worker_command_duration_seconds', 'Time a worker spent on a command: handler and result delivery, by kind.', ['kind']),
    );
    for (const kind of COMMAND_KINDS) this.duration.set(kind, duration.cell({ kind }));
    const wait = register(
      registry,
      new HistogramFamily(
        'authgate_worker_queue_wait_seconds',
        'Time a command waited between its publish at the edge and its start at a worker, by lane.',
        ['lane'],
        LATENCY_BUCKETS,
      ),
    );
    for (const lane of LANES) this.queueWait.set(lane, wait.cell({ lane }));
    const bcrypt = register(
      registry,
      new HistogramFamily('authgate_bcrypt_duration_seconds', 'Time of one bcrypt job, thread-pool wait included, by operation.', ['op'], BCRYPT_BUCKETS),
    );
    this.bcrypt = { hash: bcrypt.cell({ op: 'hash' }), compare: bcrypt.cell({ op: 'compare' }) };
    const self = this;
    new Gauge({
      name: 'authgate_bcrypt_jobs_in_flight',
      help: 'bcrypt jobs handed to the thread pool and not done; above authgate_threadpool_size they queue for a thread.',
      registers: [registry],
      collect() {
        this.set(self.bcryptInFlight);
      },
    });
    new Gauge({
      name: 'authgate_threadpool_size',
      help: "libuv's thread pool size (UV_THREADPOOL_SIZE): the bcrypt jobs that can run at once.",
      registers: [registry],
    }).set(threadpoolSize);
  }

  async around(command: Parameters<CommandObserver['around']>[0], work: (traceparent?: string) => Promise<Handled>): Promise<Handled> {
    const lane = laneOf(command.kind);
    if (command.sentAt) this.queueWait.get(lane)!.observe(Math.max(0, Date.now() - command.sentAt) / 1000);
    const started = performance.now();
    const handled = await work();
    this.duration.get(command.kind)!.since(started);
    if (!handled.result) return handled; // run already: counted once, where it was answered
    const outcome = outcomeLabel(handled.result.ok ? undefined : handled.result.error.code);
    const key = `${command.kind} ${outcome}`;
    let cell = this.byOutcome.get(key);
    if (!cell) this.byOutcome.set(key, (cell = this.commands.cell({ kind: command.kind, outcome })));
    cell.inc();
    return handled;
  }

  started(op: 'hash' | 'compare'): () => void {
    this.bcryptInFlight++;
    const started = performance.now();
    return () => {
      this.bcryptInFlight--;
      this.bcrypt[op].since(started);
    };
  }

  /** What the consumer and the audit log count by themselves, read at scrape time. */
  observe(stats: ConsumerStats, audit: AuditLog): void {
    register(
      this.registry,
      new CounterFamily(
        'authgate_worker_results_total',
        'Commands by what became of their result: delivered (published once), duplicate (already answered), expired (deadline passed), malformed (dropped).',
        ['outcome'],
      )
        .read({ outcome: 'delivered' }, () => stats.handled)
        .read({ outcome: 'duplicate' }, () => stats.duplicates)
        .read({ outcome: 'expired' }, () => stats.expired)
        .read({ outcome: 'malformed' }, () => stats.malformed),
    );
    register(
      this.registry,
      new CounterFamily('authgate_audit_events_total', 'Audit events written, by action.', ['action']).readMany(() =>
        [...audit.counts].map(([action, n]) => [{ action }, n] as [{ action: string }, number]),
      ),
    );
  }
}
