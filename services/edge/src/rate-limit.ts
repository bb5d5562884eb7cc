import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '@authgate/shared';

/**
 * Requests per client IP on the routes that cost a queue round trip. Counters live in Redis so they
 * hold across all edges; if Redis is unreachable the in-memory insurance limiter takes over per node.
 */
export class IpRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(options: { redis: Redis | undefined; namespace: string; pointsPerMinute: number }) {
    const base = { points: options.pointsPerMinute, duration: 60 };
    const memory = new RateLimiterMemory({ ...base, keyPrefix: `${options.namespace}:rl:ip` });
    this.limiter = options.redis
      ? new RateLimiterRedis({ ...base, storeClient: options.redis, keyPrefix: `${options.namespace}:rl:ip`, insuranceLimiter: memory })
      : memory;
  }

  /** Resolves when the request may go on; rejects with `rate_limited` and the seconds to wait. */
  async consume(ip: string): Promise<void> {
    try {
      await this.limiter.consume(ip);
    } catch (res) {
      if (res instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw new AppError('rate_limited', 'too many requests, retry later', { retryAfter });
      }
      throw new AppError('overloaded', 'rate limiter unavailable, retry later');
    }
  }
}
