import type { DeadMail, MailJob, SetAsideReason } from './job.ts';

/** How often a job has been handed out: classic queues and the in-process queue tell only first or not. */
export interface MailDelivery {
  redelivered: boolean;
}

/**
 * What the handler decided about a job:
 * - `sent`: acknowledged, gone from the lane;
 * - `set_aside`: a redacted copy goes to the set-aside lane, then the job is acknowledged;
 * - `requeue`: put back untouched for this or another mailer (the handler is stopping).
 * A handler that throws has its job put back once; a second failure sets it aside (`delivery_limit`).
 */
export type MailOutcome =
  | { outcome: 'sent' }
  | { outcome: 'set_aside'; reason: SetAsideReason; attempts: number; responseCode?: number }
  | { outcome: 'requeue' };

export type MailHandler = (job: MailJob, delivery: MailDelivery) => Promise<MailOutcome>;

/** Called with each job's redacted copy once it is set aside (by the handler, or as invalid). */
export type SetAsideListener = (dead: DeadMail) => void;

/**
 * The mail-job lane between whoever asks for a mail (workers, the account API) and the mailer.
 * At-least-once: a job leaves the lane only when its handler says so; a consumer that dies holding
 * jobs gives them back. Two drivers: `amqp` (RabbitMQ, durable) and `memory` (in-process).
 */
export interface MailQueue {
  /** Resolves once the lane holds the job (publisher confirm); rejects with AppError('overloaded') otherwise. */
  publish(job: MailJob): Promise<void>;
  /** Hands jobs to `handle`, at most `prefetch` unsettled at once. One consumer per MailQueue instance. */
  consume(handle: MailHandler, options: { prefetch: number; onSetAside?: SetAsideListener }): Promise<void>;
  /** Stops taking new jobs; jobs in hand are settled by their handlers. */
  stopConsuming(): Promise<void>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** A job whose handler threw is retried once, then set aside: it must not crash every mailer forever. */
export const MAIL_DELIVERY_LIMIT = 2;
/** The pause before a job whose handler threw is put back. */
export const MAIL_REQUEUE_DELAY_MS = 250;
