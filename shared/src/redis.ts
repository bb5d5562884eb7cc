import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * ioredis reconnects by itself; commands issued meanwhile wait in its offline queue for at most one
 * retry, so a caller learns within a bounded time that Redis is away instead of hanging.
 */
export function createRedis(url: string, log: Logger, name: string, overrides: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    ...overrides,
  });
  let wasReady = false;
  redis.on('ready', () => {
    if (wasReady) log.info({ name }, 'redis reconnected');
    wasReady = true;
  });
  redis.on('error', (err) => log.warn({ err, name }, 'redis error'));
  return redis;
}

/**
 * A subscriber connection that never gives up and says when a gap has closed. ioredis reconnects and
 * would re-subscribe by itself, but it announces `ready` without waiting for Redis to confirm the
 * SUBSCRIBE: a fetch of "what was missed" started then travels on another connection and may run
 * first, and whatever is published in between would be lost. Here the channels are subscribed again,
 * Redis confirms, and only then `onResubscribed` runs.
 */
export async function createSubscriber(
  url: string,
  log: Logger,
  name: string,
  channels: string[],
  onMessage: (channel: string, message: string) => void,
  onResubscribed: () => void,
): Promise<Redis> {
  const subscriber = createRedis(url, log, name, { maxRetriesPerRequest: null, autoResubscribe: false });
  subscriber.on('message', onMessage);
  let subscribedOnce = false;
  subscriber.on('ready', () => {
    if (!subscribedOnce) return;
    subscriber.subscribe(...channels).then(
      () => onResubscribed(),
      (err: unknown) => log.warn({ err, name }, 'redis resubscribe failed (the next reconnect tries again)'),
    );
  });
  await subscriber.subscribe(...channels);
  subscribedOnce = true;
  return subscriber;
}
