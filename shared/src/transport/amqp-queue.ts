import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Command } from '../protocol.ts';
import { laneOf, LANES, type CommandQueue, type Lane } from './types.ts';

export interface AmqpQueueOptions {
  url: string;
  namespace: string;
  maxLength: number;
  /** How long a publish may wait for the broker (reconnecting, or not confirming) before `overloaded`. */
  publishTimeoutMs: number;
  log: Logger;
}

const RETRY_DELAY_MS = 250;

/**
 * RabbitMQ driver of CommandQueue. amqp-connection-manager re-creates the connection, channels,
 * queues and consumers after any loss; publishes go through a confirm channel so a command counts as
 * accepted only once the broker has it. Each lane is a durable queue whose length is bounded with
 * `reject-publish`: a full queue nacks, and the edge answers `overloaded` at once.
 */
export class AmqpCommandQueue implements CommandQueue {
  private readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private consumer: ChannelWrapper | undefined;
  private readonly queueNames: Record<Lane, string>;

  constructor(private readonly options: AmqpQueueOptions) {
    this.queueNames = { password: `${options.namespace}.cmd.password`, session: `${options.namespace}.cmd.session` };
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 1,
      // Without TCP_NODELAY, Nagle's algorithm and the broker's delayed ACKs hold small frames ~40 ms.
      connectionOptions: { noDelay: true },
    });
    this.connection.on('disconnect', ({ err }) => options.log.warn({ err }, 'amqp disconnected'));
    this.connection.on('connect', () => options.log.info('amqp connected'));
    this.publisher = this.connection.createChannel({
      name: 'publisher',
      confirm: true,
      publishTimeout: options.publishTimeoutMs,
      setup: (channel: ConfirmChannel) => this.assertQueues(channel),
    });
  }

  private async assertQueues(channel: ConfirmChannel): Promise<void> {
    for (const lane of LANES) {
      await channel.assertQueue(this.queueNames[lane], {
        durable: true,
        arguments: { 'x-max-length': this.options.maxLength, 'x-overflow': 'reject-publish' },
      });
    }
  }

  async publish(command: Command): Promise<void> {
    const ttl = command.deadline - Date.now();
    if (ttl <= 0) throw new AppError('timeout', 'the request expired before it was queued');
    try {
      await this.publisher.sendToQueue(this.queueNames[laneOf(command.kind)], Buffer.from(JSON.stringify(command)), {
        persistent: true,
        contentType: 'application/json',
        messageId: command.requestId,
        // The broker itself discards a command nobody waits for any more.
        expiration: String(ttl),
        timeout: Math.min(this.options.publishTimeoutMs, ttl),
      });
    } catch (err) {
      this.options.log.warn({ err, requestId: command.requestId }, 'command not accepted by the broker');
      throw new AppError('overloaded', 'the service is busy, retry later');
    }
  }

  async consume(handle: (command: Command) => Promise<void>, prefetch: { password: number; session: number }): Promise<void> {
    const consumer = this.connection.createChannel({
      name: 'consumer',
      confirm: false,
      setup: (channel: ConfirmChannel) => this.assertQueues(channel),
    });
    this.consumer = consumer;
    const onMessage = (message: ConsumeMessage) => {
      let command: Command;
      try {
        command = JSON.parse(message.content.toString('utf8')) as Command;
      } catch {
        this.options.log.error({ messageId: message.properties.messageId }, 'unparseable command dropped');
        consumer.nack(message, false, false);
        return;
      }
      handle(command).then(
        () => consumer.ack(message),
        (err: unknown) => {
          // A second failure marks the command as poison: it must not loop through the workers forever.
          const requeue = !message.fields.redelivered;
          this.options.log.error({ err, requestId: command.requestId, requeue }, 'command failed');
          setTimeout(() => consumer.nack(message, false, requeue), RETRY_DELAY_MS);
        },
      );
    };
    await consumer.waitForConnect();
    for (const lane of LANES) await consumer.consume(this.queueNames[lane], onMessage, { prefetch: prefetch[lane] });
  }

  async stopConsuming(): Promise<void> {
    await this.consumer?.cancelAll();
  }

  async ready(): Promise<boolean> {
    return this.connection.isConnected();
  }

  async waitForConnect(): Promise<void> {
    await this.publisher.waitForConnect();
  }

  async close(): Promise<void> {
    await this.consumer?.close().catch(() => {});
    await this.publisher.close().catch(() => {});
    await this.connection.close();
  }
}
