import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { Batcher } from './batcher.ts';
import { auditEventSchema, type AuditEvent } from './schema.ts';
import type { BatchHandler, BatchOptions, EventBus, EventConsumer, EventDelivery } from './types.ts';

/**
 * A FIFO whose take is O(1). Array#shift moves every element of a large array: with a backlog of
 * 100k events (the writer behind a slow database) draining it was quadratic, seconds per batch.
 */
class Backlog<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  take(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined;
    // Drop the taken half once it is most of the array: amortised O(1), memory bounded by the backlog.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Back at the head, in order (a batch whose handler failed). */
  putBack(items: T[]): void {
    this.items.splice(this.head, 0, ...items);
  }
}

interface MemoryConsumer {
  batcher: Batcher<EventDelivery>;
  inHand: number;
  limit: number;
  stopped: boolean;
}

/**
 * In-process driver of EventBus (all-in-one): a bounded queue in this process. As with the broker, an
 * event leaves only when a consumer acknowledged it; a batch whose handler failed is put back at the
 * head, marked redelivered. Events are copied through JSON on publish, as the broker's would be.
 */
export class MemoryEventBus implements EventBus {
  private readonly queue = new Backlog<EventDelivery>();
  private readonly consumers: MemoryConsumer[] = [];
  private closed = false;

  constructor(private readonly options: { maxLength: number; log: Logger }) {}

  async publish(event: AuditEvent): Promise<void> {
    auditEventSchema.parse(event);
    if (this.closed) throw new AppError('overloaded', 'the event bus is closed');
    if (this.queue.length >= this.options.maxLength) throw new AppError('overloaded', 'the event queue is full');
    this.queue.push({ event: auditEventSchema.parse(JSON.parse(JSON.stringify(event))), redelivered: false });
    queueMicrotask(() => this.pump());
  }

  async consume(handle: BatchHandler, options: BatchOptions): Promise<EventConsumer> {
    const consumer: MemoryConsumer = {
      inHand: 0,
      limit: options.maxBatchSize * 2,
      stopped: false,
      batcher: new Batcher(
        handle,
        (batch, acknowledged) => {
          consumer.inHand -= batch.length;
          if (!acknowledged) this.queue.putBack(batch.map((d) => ({ event: d.event, redelivered: true })));
          this.pump();
        },
        options,
        this.options.log,
      ),
    };
    this.consumers.push(consumer);
    queueMicrotask(() => this.pump());
    return {
      stop: async () => {
        consumer.stopped = true;
        await consumer.batcher.stop();
        this.consumers.splice(this.consumers.indexOf(consumer), 1);
        this.pump();
      },
    };
  }

  /** Hands queued events to consumers with room (prefetch: twice a batch each). */
  private pump(): void {
    for (const consumer of this.consumers) {
      while (!consumer.stopped && consumer.inHand < consumer.limit && this.queue.length > 0) {
        consumer.inHand++;
        consumer.batcher.add(this.queue.take());
      }
    }
  }

  /** Events not yet acknowledged by any consumer. */
  get depth(): number {
    return this.queue.length + this.consumers.reduce((n, c) => n + c.inHand, 0);
  }

  async ready(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    for (const consumer of [...this.consumers]) {
      consumer.stopped = true;
      await consumer.batcher.stop();
    }
    this.consumers.length = 0;
    this.closed = true;
  }
}
