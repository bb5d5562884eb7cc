import type { AuditEvent } from './schema.ts';

/** One event handed to a batch consumer, with whether the bus has handed it out before. */
export interface EventDelivery {
  event: AuditEvent;
  /** True when an earlier delivery of this message was not acknowledged (a consumer died or failed). */
  redelivered: boolean;
}

export interface BatchOptions {
  /** A batch is handed over once it holds this many events... */
  maxBatchSize: number;
  /** ...or once its first event has waited this long, whichever comes first. */
  maxWaitMs: number;
  /** Wait before a failed batch is handed out again. */
  retryDelayMs?: number;
}

/**
 * Resolving acknowledges every event of the batch (they are gone from the bus); rejecting puts them
 * all back to be handed out again. A consumer therefore acknowledges only what it has made durable.
 */
export type BatchHandler = (batch: EventDelivery[]) => Promise<void>;

export interface EventConsumer {
  /** Stops taking events; waits for the batch in hand, whose events are acknowledged or put back. */
  stop(): Promise<void>;
}

/**
 * Audit events from every role to the audit writer. `amqp`: a durable topic exchange and a durable
 * queue bound to it, persistent messages, publisher confirms. `memory`: the same semantics within one
 * process (all-in-one), without durability across a restart of that process.
 */
export interface EventBus {
  /** Resolves once the bus holds the event (broker confirm); rejects when it cannot be told it does. */
  publish(event: AuditEvent): Promise<void>;
  /** Hands events to `handle` in batches, one batch at a time, until the consumer is stopped. */
  consume(handle: BatchHandler, options: BatchOptions): Promise<EventConsumer>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
