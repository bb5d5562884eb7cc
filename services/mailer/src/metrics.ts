import type { Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, register, type CounterCell, type HistogramCell } from '@authgate/shared/metrics/families';
import { MAIL_KINDS, type DeadMail, type MailKind, type SetAsideReason } from '@authgate/shared/mail/job';
import type { MailOutcome } from '@authgate/shared/mail/types';

/** Sending one mail: a local outbox file in milliseconds, an SMTP exchange up to seconds, retries longer. */
const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SET_ASIDE_REASONS: readonly SetAsideReason[] = ['smtp_rejected', 'expired', 'invalid', 'render_failed', 'delivery_limit'];
const HANDLER_OUTCOMES = ['sent', 'set_aside', 'requeue'] as const;

/**
 * The mailer's metrics, every label from a closed list (the mail kinds, the handler's outcomes, the
 * set-aside reasons): jobs by kind and outcome, set aside by kind and reason (also those the lane sets
 * aside itself: invalid, delivery_limit), sends retried, and each job's time from first try to outcome.
 */
export class MailerMetrics {
  private readonly jobs = new Map<string, CounterCell>();
  private readonly setAside = new Map<string, CounterCell>();
  private readonly retries = new Map<MailKind, CounterCell>();
  private readonly duration = new Map<MailKind, HistogramCell>();

  constructor(registry: Registry) {
    const jobs = register(
      registry,
      new CounterFamily('authgate_mail_jobs_total', 'Mail jobs the mailer finished, by kind and outcome (sent, set_aside, requeue: handed back to the lane).', [
        'kind',
        'outcome',
      ]),
    );
    const setAside = register(
      registry,
      new CounterFamily('authgate_mail_set_aside_total', 'Mail jobs set aside (not sent, a redacted copy kept), by kind and reason.', ['kind', 'reason']),
    );
    const retries = register(
      registry,
      new CounterFamily('authgate_mail_send_retries_total', 'Sends tried again after a temporary failure (SMTP away, 4xx), by kind.', ['kind']),
    );
    const duration = register(
      registry,
      new HistogramFamily(
        'authgate_mail_job_duration_seconds',
        'Time from taking a mail job to its outcome (retries included), by kind.',
        ['kind'],
        SEND_BUCKETS,
      ),
    );
    for (const kind of MAIL_KINDS) {
      for (const outcome of HANDLER_OUTCOMES) this.jobs.set(`${kind} ${outcome}`, jobs.cell({ kind, outcome }));
      for (const reason of SET_ASIDE_REASONS) this.setAside.set(`${kind} ${reason}`, setAside.cell({ kind, reason }));
      this.retries.set(kind, retries.cell({ kind }));
      this.duration.set(kind, duration.cell({ kind }));
    }
    for (const reason of SET_ASIDE_REASONS) this.setAside.set(`unknown ${reason}`, setAside.cell({ kind: 'unknown', reason }));
  }

  finished(kind: MailKind, outcome: MailOutcome, startMs: number): void {
    this.jobs.get(`${kind} ${outcome.outcome}`)?.inc();
    this.duration.get(kind)?.since(startMs);
  }

  retried(kind: MailKind): void {
    this.retries.get(kind)?.inc();
  }

  /** Every job set aside passes here once (the handler's and the lane's own), its kind already bounded. */
  setAsideOf(dead: DeadMail): void {
    this.setAside.get(`${dead.kind} ${dead.reason}`)?.inc();
  }
}
