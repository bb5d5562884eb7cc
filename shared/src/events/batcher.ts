import type { Logger } from '../logger.ts';
import type { BatchOptions } from './types.ts';

const DEFAULT_RETRY_DELAY_MS = 1_000;

/**
 * Gathers deliveries into batches by size or by age, hands one batch at a time to `handle`, and
 * settles each batch as a whole: acknowledged when `handle` resolved, put back when it rejected (after
 * a delay, so a database that is away is not hammered). While a batch is in hand the next one fills,
 * and is handed over as soon as the first is settled: under load batches grow, when idle they leave
 * after `maxWaitMs`.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly handle: (batch: T[]) => Promise<void>,
    private readonly settle: (batch: T[], acknowledged: boolean) => void,
    private readonly options: BatchOptions,
    private readonly log: Logger,
  ) {}

  add(item: T): void {
    if (this.stopped) {
      this.settle([item], false);
      return;
    }
    this.pending.push(item);
    if (this.pending.length >= this.options.maxBatchSize) this.kick();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, this.options.maxWaitMs);
  }

  private kick(): void {
    if (this.running || this.pending.length === 0 || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.options.maxBatchSize);
    this.running = this.run(batch).finally(() => {
      this.running = undefined;
      // What came meanwhile has waited as long as the write took: it goes now.
      this.kick();
    });
  }

  private async run(batch: T[]): Promise<void> {
    try {
      await this.handle(batch);
    } catch (err) {
      this.log.warn({ err, events: batch.length }, 'event batch not written; it goes back to the bus');
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS));
      this.settle(batch, false);
      return;
    }
    this.settle(batch, true);
  }

  /** Lets the batch in hand finish; everything not yet handed over goes back unacknowledged. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    const left = this.pending.splice(0);
    if (left.length > 0) this.settle(left, false);
  }
}
