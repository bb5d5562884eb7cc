import { AppError } from '../errors.ts';
import { deadMailOf, mailJobSchema, type DeadMail, type MailJob } from './job.ts';
import { MAIL_DELIVERY_LIMIT, MAIL_REQUEUE_DELAY_MS, type MailHandler, type MailOutcome, type MailQueue, type SetAsideListener } from './types.ts';

/** Set-aside copies kept in memory for a look (tests, an operator of the all-in-one shape): the latest ones. */
const DEAD_KEPT = 1_000;

interface Entry {
  job: MailJob;
  deliveries: number;
}

/**
 * In-process driver of MailQueue for the all-in-one shape: the same bound, prefetch, acknowledgement,
 * delivery limit and set-aside copies as the RabbitMQ driver, without a broker. Jobs live as long as
 * the process: a mailer stopped and started again in it finds the jobs it gave back.
 */
export class MemoryMailQueue implements MailQueue {
  private readonly items: Entry[] = [];
  /** Redacted copies of set-aside jobs, as `<ns>.mail.dead` holds them. */
  readonly dead: DeadMail[] = [];
  private handler: MailHandler | undefined;
  private onSetAside: SetAsideListener | undefined;
  private prefetch = 0;
  private inFlight = 0;
  private closed = false;

  constructor(private readonly maxLength: number) {}

  async publish(job: MailJob): Promise<void> {
    if (this.closed) throw new AppError('overloaded', 'the mail queue is closed');
    if (this.items.length >= this.maxLength) throw new AppError('overloaded', 'the mail queue is full');
    // A copy, as a broker would hold: the caller's object may change after publish.
    this.items.push({ job: structuredClone(mailJobSchema.parse(job)), deliveries: 0 });
    this.pump();
  }

  async consume(handle: MailHandler, options: { prefetch: number; onSetAside?: SetAsideListener }): Promise<void> {
    this.handler = handle;
    this.prefetch = options.prefetch;
    this.onSetAside = options.onSetAside;
    this.pump();
  }

  private pump(): void {
    while (this.handler && !this.closed && this.inFlight < this.prefetch && this.items.length > 0) {
      const entry = this.items.shift()!;
      this.inFlight++;
      entry.deliveries++;
      const redelivered = entry.deliveries > 1;
      this.handler(entry.job, { redelivered }).then(
        (outcome) => this.settle(entry, outcome),
        () => {
          if (entry.deliveries >= MAIL_DELIVERY_LIMIT) this.settle(entry, { outcome: 'set_aside', reason: 'delivery_limit', attempts: entry.deliveries });
          else setTimeout(() => this.settle(entry, { outcome: 'requeue' }), MAIL_REQUEUE_DELAY_MS);
        },
      );
    }
  }

  private settle(entry: Entry, outcome: MailOutcome): void {
    if (outcome.outcome === 'set_aside') this.setAside(deadMailOf(entry.job, outcome.reason, outcome.attempts, outcome.responseCode));
    // Back at the head, as RabbitMQ puts a returned message back in its place.
    else if (outcome.outcome === 'requeue') this.items.unshift(entry);
    this.inFlight--;
    // setImmediate, not a loop: a handler that settles at once must not starve the event loop.
    setImmediate(() => this.pump());
  }

  private setAside(dead: DeadMail): void {
    this.dead.push(dead);
    if (this.dead.length > DEAD_KEPT) this.dead.shift();
    this.onSetAside?.(dead);
  }

  /** Jobs waiting (not in hand): for tests and the outbox of the all-in-one shape. */
  get depth(): number {
    return this.items.length;
  }

  async stopConsuming(): Promise<void> {
    this.handler = undefined;
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handler = undefined;
  }
}
