import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { AmqpEventBus } from './amqp-bus.ts';
import { MemoryEventBus } from './memory-bus.ts';
import type { EventBus } from './types.ts';

/** RabbitMQ when AMQP_URL is set, the in-process driver otherwise (one per process: all-in-one). */
export function createEventBus(config: Pick<Config, 'AMQP_URL' | 'NAMESPACE' | 'EVENTS_QUEUE_MAX_LENGTH'>, log: Logger): EventBus {
  return config.AMQP_URL
    ? new AmqpEventBus({
        url: config.AMQP_URL,
        namespace: config.NAMESPACE,
        maxLength: config.EVENTS_QUEUE_MAX_LENGTH,
        publishTimeoutMs: 5_000,
        log: log.child({ component: 'events' }),
      })
    : new MemoryEventBus({ maxLength: config.EVENTS_QUEUE_MAX_LENGTH, log: log.child({ component: 'events' }) });
}
