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
