import type { ChannelWrapper } from 'amqp-connection-manager';
import { BrokerConnection } from '../amqp-broker.ts';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { Batcher } from './batcher.ts';
import { auditEventSchema, type AuditEvent } from './schema.ts';
import type { BatchHandler, BatchOptions, EventBus, EventConsumer, EventDelivery } from './types.ts';

export interface AmqpEventBusOptions {
  /** `quorum`: replicated over a RabbitMQ cluster (QUEUE_TYPE); the type a queue was declared with stays. */
  queueType?: 'classic' | 'quorum';
  /** One broker, or every node of a RabbitMQ cluster (the connection manager tries them in turn). */
  url: string | readonly string[];
  namespace: string;
  /** Events the audit queue may hold while its writer is away; past it a publish is refused (nack). */
  maxLength: number;
  /** How long a publish may wait for the broker (reconnecting, or not confirming). */
  publishTimeoutMs: number;
  log: Logger;
}

/** amqplib's error for a publish the broker nacked. */
const NACKED = 'message nacked';

interface AmqpDelivery extends EventDelivery {
  channel: Channel;
  message: ConsumeMessage;
}

/**
 * RabbitMQ driver of EventBus. Every event goes to the durable topic exchange `<ns>.events` with its
 * type as routing key (other consumers, such as live account events, bind their own queues to the
 * types they want); the durable queue `<ns>.audit` is bound to all of them (`#`). Messages are
 * persistent and published on a confirm channel, so `publish` resolves only once the broker holds the
 * event. Consumers acknowledge a whole batch once their handler resolved, on the channel it came on.
 */
export class AmqpEventBus implements EventBus {
  private readonly connection: BrokerConnection;
  private readonly publisher: ChannelWrapper;
  readonly exchange: string;
  readonly queue: string;

  constructor(private readonly options: AmqpEventBusOptions) {
    this.exchange = `${options.namespace}.events`;
    this.queue = `${options.namespace}.audit`;
    this.connection = new BrokerConnection(options.url, 'events', options.log);
    this.publisher = this.connection.channel('events-publisher', {
      confirm: true,
      publishTimeoutMs: options.publishTimeoutMs,
      setup: (channel) => this.assertTopology(channel),
    });
  }

  private async assertTopology(channel: Channel): Promise<void> {
    await channel.assertExchange(this.exchange, 'topic', { durable: true });
    const bounded = { 'x-max-length': this.options.maxLength, 'x-overflow': 'reject-publish' };
    const args = this.options.queueType === 'quorum' ? { ...bounded, 'x-queue-type': 'quorum' } : bounded;
    await channel.assertQueue(this.queue, { durable: true, arguments: args });
    await channel.bindQueue(this.queue, this.exchange, '#');
  }

  async publish(event: AuditEvent): Promise<void> {
    auditEventSchema.parse(event);
    try {
      await this.publisher.publish(this.exchange, event.type, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        contentType: 'application/json',
        messageId: event.id,
        timestamp: Math.floor(Date.parse(event.at) / 1000),
      });
    } catch (err) {
      // Either refused (the audit queue is full) or unconfirmed. Publishing the same event again is
      // safe: the writer stores an id once.
      if ((err as Error).message === NACKED) throw new AppError('overloaded', 'the event queue is full');
      throw new AppError('overloaded', 'the event bus did not confirm the event');
    }
  }

  async consume(handle: BatchHandler, options: BatchOptions): Promise<EventConsumer> {
    let current: { channel: Channel; tag: string } | undefined;
    let stopped = false;
    // An acknowledgement is one frame per channel and batch: the newest delivery tag with "all up
    // to". Safe because batches are handed over one at a time in delivery order and every other
    // delivery is settled on its own, so each older unsettled tag on the channel is this batch's.
    // Returns (rare: failures, a stop) go one by one.
    const settle = (batch: EventDelivery[], acknowledged: boolean) => {
      const newest = new Map<Channel, ConsumeMessage>();
      for (const d of batch as AmqpDelivery[]) {
        if (!acknowledged) {
          nackOne(d.channel, d.message);
          continue;
        }
        const seen = newest.get(d.channel);
        if (!seen || d.message.fields.deliveryTag > seen.fields.deliveryTag) newest.set(d.channel, d.message);
      }
      for (const [channel, message] of newest) {
        try {
          channel.ack(message, true);
        } catch {
          // The channel closed since: the broker has put the messages back already, and the writer
          // stores an event id once, so their next delivery is harmless.
        }
      }
    };
    const batcher = new Batcher<EventDelivery>(handle, settle, options, this.options.log);
    const consumer = this.connection.channel('events-consumer', {
      setup: async (channel) => {
        await this.assertTopology(channel);
        if (stopped) return;
        // Room for the batch being written and the next one filling.
        await channel.prefetch(Math.min(65_535, options.maxBatchSize * 2), false);
        const { consumerTag } = await channel.consume(this.queue, (message) => {
          if (!message) return;
          const parsed = parseEvent(message);
          if (!parsed) {
            // Not an event: it can never be stored. Dropped with its id only (its body may hold anything).
            this.options.log.error({ messageId: message.properties.messageId }, 'malformed event dropped');
            settleOne(channel, message);
            return;
          }
          const delivery: AmqpDelivery = { event: parsed, redelivered: message.fields.redelivered, channel, message };
          batcher.add(delivery);
        });
        current = { channel, tag: consumerTag };
      },
    });
    await consumer.waitForConnect();
    return {
      stop: async () => {
        stopped = true;
        if (current) await current.channel.cancel(current.tag).catch(() => {});
        await batcher.stop();
        await consumer.close().catch(() => {});
      },
    };
  }

  async ready(): Promise<boolean> {
    return this.connection.isConnected();
  }

  async waitForConnect(): Promise<void> {
    await this.publisher.waitForConnect();
  }

  async close(): Promise<void> {
    await this.publisher.close().catch(() => {});
    await this.connection.close();
  }
}

function parseEvent(message: ConsumeMessage): AuditEvent | undefined {
  try {
    const parsed = auditEventSchema.safeParse(JSON.parse(message.content.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function nackOne(channel: Channel, message: ConsumeMessage): void {
  try {
    channel.nack(message, false, true);
  } catch {
    /* channel closed: the broker has put it back already */
  }
}

function settleOne(channel: Channel, message: ConsumeMessage): void {
  try {
    channel.ack(message);
  } catch {
    /* channel closed: it comes back and is dropped then */
  }
}
