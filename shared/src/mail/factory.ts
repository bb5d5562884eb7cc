import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { AmqpMailQueue } from './amqp-queue.ts';
import { MemoryMailQueue } from './memory-queue.ts';
import type { MailQueue } from './types.ts';

/** RabbitMQ's `<ns>.mail` lane when AMQP_URL is set, the in-process lane otherwise. */
export function createMailQueue(config: Config, log: Logger): MailQueue {
  return config.AMQP_URL
    ? new AmqpMailQueue({
        url: config.AMQP_URL,
        namespace: config.NAMESPACE,
        maxLength: config.QUEUE_MAX_LENGTH,
        publishTimeoutMs: 3_000,
        queueType: config.QUEUE_TYPE,
        log: log.child({ component: 'mail-queue' }),
      })
    : new MemoryMailQueue(config.QUEUE_MAX_LENGTH);
}
