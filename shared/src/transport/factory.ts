import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { AmqpCommandQueue } from './amqp-queue.ts';
import { LocalCommandQueue } from './local-queue.ts';
import { MemoryResultBus } from './memory-results.ts';
import { RedisResultBus } from './redis-results.ts';
import type { CommandQueue, ResultBus } from './types.ts';

export { AmqpCommandQueue, LocalCommandQueue, MemoryResultBus, RedisResultBus };

export interface Transports {
  queue: CommandQueue;
  results: ResultBus;
}

/** RabbitMQ and Redis when their URLs are set; the in-process drivers otherwise. */
export function createTransports(config: Config, log: Logger): Transports {
  const queue = config.AMQP_URL
    ? new AmqpCommandQueue({
        url: config.AMQP_URL,
        namespace: config.NAMESPACE,
        maxLength: config.QUEUE_MAX_LENGTH,
        publishTimeoutMs: Math.min(config.REQUEST_TIMEOUT_MS, 3_000),
        queueType: config.QUEUE_TYPE,
        deliveryLimit: config.QUEUE_DELIVERY_LIMIT,
        log: log.child({ component: 'amqp' }),
      })
    : new LocalCommandQueue(config.QUEUE_MAX_LENGTH);
  const results = config.REDIS_URL
    ? new RedisResultBus(config.REDIS_URL, config.NAMESPACE, log.child({ component: 'results' }))
    : new MemoryResultBus();
  return { queue, results };
}
