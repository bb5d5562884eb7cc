import type { ChannelWrapper } from 'amqp-connection-manager';
import { BrokerConnection } from '../amqp-broker.ts';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { QueueType } from '../transport/amqp-queue.ts';
import { deadMailOf, mailJobSchema, type DeadMail, type MailJob } from './job.ts';
import { MAIL_DELIVERY_LIMIT, MAIL_REQUEUE_DELAY_MS, type MailHandler, type MailOutcome, type MailQueue, type SetAsideListener } from './types.ts';

export interface AmqpMailQueueOptions {
  /** One broker, or every node of a RabbitMQ cluster (the connection manager tries them in turn). */
  url: string | readonly string[];
  namespace: string;
  maxLength: number;
  /** How long a publish may wait for the broker (reconnecting, or not confirming) before `overloaded`. */
  publishTimeoutMs: number;
  /** Default `classic`; `quorum` on a cluster of brokers. A queue keeps the type it was declared with. */
  queueType?: QueueType;
  log: Logger;
}

/** amqplib's error for a publish the broker nacked. */
const NACKED = 'message nacked';
/** Set-aside copies are for a look by an operator: bounded in number and in age, as `<ns>.cmd.dead`. */
const DEAD_MAX_LENGTH = 10_000;
const DEAD_TTL_MS = 7 * 86_400_000;

/**
 * RabbitMQ driver of MailQueue: its own durable lane `<ns>.mail`, persistent messages published on a
 * confirm channel, so a job counts as queued only once the broker has it. amqp-connection-manager
 * re-creates connection, channels, queues and the consumer after any loss; a job is acknowledged only
 * when its handler settles it, so a mailer that dies (SIGKILL included) gives its jobs back.
 *
 * The set-aside lane `<ns>.mail.dead` receives a DeadMail, never the job: the job's data holds the
 * link token or the code. A broker dead-letter exchange would copy the whole message, hence by hand.
 */
export class AmqpMailQueue implements MailQueue {
  private readonly connection: BrokerConnection;
  private readonly publisher: ChannelWrapper;
  private consumer: ChannelWrapper | undefined;
  /** The raw channel the consumer lives on now and its tag: acks go to the channel a message came on. */
  private consuming: { channel: Channel; tag: string } | undefined;
  private stopped = false;
  readonly laneName: string;
  readonly deadName: string;

  constructor(private readonly options: AmqpMailQueueOptions) {
    this.laneName = `${options.namespace}.mail`;
    this.deadName = `${options.namespace}.mail.dead`;
    this.connection = new BrokerConnection(options.url, 'mail', options.log);
    this.publisher = this.connection.channel('mail-publisher', {
      confirm: true,
      publishTimeoutMs: options.publishTimeoutMs,
      setup: (channel) => this.assertQueues(channel),
    });
  }

  private async assertQueues(channel: Channel): Promise<void> {
    const bounded = { 'x-max-length': this.options.maxLength, 'x-overflow': 'reject-publish' };
    const args = this.options.queueType === 'quorum' ? { ...bounded, 'x-queue-type': 'quorum' } : bounded;
    await channel.assertQueue(this.laneName, { durable: true, arguments: args });
    const dead = { 'x-max-length': DEAD_MAX_LENGTH, 'x-overflow': 'drop-head', 'x-message-ttl': DEAD_TTL_MS };
    // Quorum too on a RabbitMQ cluster: a classic queue whose node is down cannot even be declared.
    await channel.assertQueue(this.deadName, { durable: true, arguments: this.options.queueType === 'quorum' ? { ...dead, 'x-queue-type': 'quorum' } : dead });
  }

  async publish(job: MailJob): Promise<void> {
    const checked = mailJobSchema.parse(job);
    // A job never sent is surely not queued: while the broker is away, wait a little for the
    // reconnection, then answer `overloaded` rather than leave it in the wrapper's resend buffer.
    if (!(await this.connection.connectedWithin(this.options.publishTimeoutMs))) {
      this.options.log.warn({ mailId: checked.id, kind: checked.kind }, 'mail job not queued: the broker is unreachable');
      throw new AppError('overloaded', 'the service is busy, retry later');
    }
    try {
      await this.publisher.sendToQueue(this.laneName, Buffer.from(JSON.stringify(checked)), {
        persistent: true,
        contentType: 'application/json',
        messageId: checked.id,
        type: checked.kind,
        timeout: this.options.publishTimeoutMs,
      });
    } catch (err) {
      if ((err as Error).message === NACKED) {
        this.options.log.warn({ mailId: checked.id, kind: checked.kind }, 'mail job refused by the broker: the lane is full');
        throw new AppError('overloaded', 'the service is busy, retry later');
      }
      // Sent, confirm lost: the broker may hold it. A retry by the caller may send the mail twice,
      // which at-least-once allows; losing it silently would not.
      this.options.log.warn({ err, mailId: checked.id, kind: checked.kind }, 'mail job sent but not confirmed');
      throw new AppError('overloaded', 'the mail job was not confirmed, retry later');
    }
  }

  async consume(handle: MailHandler, options: { prefetch: number; onSetAside?: SetAsideListener }): Promise<void> {
    this.stopped = false;
    const settleWith = (channel: Channel, message: ConsumeMessage, job: unknown, outcome: MailOutcome) => {
      if (outcome.outcome === 'sent') settle(channel, (c) => c.ack(message));
      else if (outcome.outcome === 'requeue') settle(channel, (c) => c.nack(message, false, true));
      else void this.setAside(channel, message, deadMailOf(job, outcome.reason, outcome.attempts, outcome.responseCode), options.onSetAside);
    };
    const onMessage = (channel: Channel, message: ConsumeMessage) => {
      const redelivered = message.fields.redelivered;
      let raw: unknown;
      try {
        raw = JSON.parse(message.content.toString('utf8'));
      } catch {
        raw = { id: message.properties.messageId, kind: message.properties.type };
      }
      const parsed = mailJobSchema.safeParse(raw);
      if (!parsed.success) {
        void this.setAside(channel, message, deadMailOf(raw, 'invalid', 1), options.onSetAside);
        return;
      }
      handle(parsed.data, { redelivered }).then(
        (outcome) => settleWith(channel, message, parsed.data, outcome),
        (err: unknown) => {
          // Classic queues tell only first or not: a job that failed on a redelivery has failed twice.
          const poison = redelivered;
          this.options.log.error({ err, mailId: parsed.data.id, kind: parsed.data.kind, poison }, 'mail job failed');
          if (poison) settleWith(channel, message, parsed.data, { outcome: 'set_aside', reason: 'delivery_limit', attempts: MAIL_DELIVERY_LIMIT });
          else setTimeout(() => settle(channel, (c) => c.nack(message, false, true)), MAIL_REQUEUE_DELAY_MS);
        },
      );
    };
    // The consumer is set up on each new channel by hand rather than with the wrapper's consume(): a
    // message must be acknowledged on the channel it came on (see transport/amqp-queue.ts).
    const consumer = this.connection.channel('mail-consumer', {
      setup: async (channel) => {
        await this.assertQueues(channel);
        if (this.stopped) return;
        await channel.prefetch(options.prefetch, false);
        const { consumerTag } = await channel.consume(this.laneName, (message) => {
          if (message) onMessage(channel, message);
        });
        this.consuming = { channel, tag: consumerTag };
      },
    });
    this.consumer = consumer;
    await consumer.waitForConnect();
  }

  /** Keeps the redacted copy, tells the listener, then acknowledges: the job leaves the lane for good. */
  private async setAside(channel: Channel, message: ConsumeMessage, dead: DeadMail, onSetAside?: SetAsideListener): Promise<void> {
    this.options.log.warn(dead, 'mail job set aside');
    try {
      await this.publisher.sendToQueue(this.deadName, Buffer.from(JSON.stringify(dead)), {
        persistent: true,
        contentType: 'application/json',
        messageId: dead.id,
      });
    } catch (err) {
      this.options.log.error({ err, mailId: dead.id }, 'set-aside copy not kept (it is in this log line)');
    }
    try {
      onSetAside?.(dead);
    } catch (err) {
      this.options.log.error({ err, mailId: dead.id }, 'set-aside listener failed');
    }
    settle(channel, (c) => c.ack(message));
  }

  async stopConsuming(): Promise<void> {
    this.stopped = true;
    const consuming = this.consuming;
    this.consuming = undefined;
    if (consuming) await consuming.channel.cancel(consuming.tag).catch(() => {});
  }

  async ready(): Promise<boolean> {
    return this.connection.isConnected();
  }

  async waitForConnect(): Promise<void> {
    await this.publisher.waitForConnect();
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.consumer?.close().catch(() => {});
    await this.publisher.close().catch(() => {});
    await this.connection.close();
  }
}

/** An ack or nack on a channel that has closed since is moot: the broker has put the message back. */
function settle(channel: Channel, action: (channel: Channel) => void): void {
  try {
    action(channel);
  } catch {
    // IllegalOperationError: channel closed. The job comes round again (at-least-once).
  }
}
