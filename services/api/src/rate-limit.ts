import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '@authgate/shared';

/**
 * Requests per client IP on one route. Counters live in Redis so the limit holds across every api
 * replica; if Redis is unreachable the in-memory insurance limiter takes over per process. Without
 * REDIS_URL the memory limiter is the only one.
 */
export class RouteRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  /** Whose requests are counted: the client IP unless told (POST /events counts per user). */
  private readonly keyOf: (request: FastifyRequest) => string;

  constructor(options: { redis: Redis | undefined; keyPrefix: string; pointsPerMinute: number; keyOf?: (request: FastifyRequest) => string }) {
    this.keyOf = options.keyOf ?? ((request) => request.ip);
    const base = { points: options.pointsPerMinute, duration: 60, keyPrefix: options.keyPrefix };
    const memory = new RateLimiterMemory(base);
    this.limiter = options.redis ? new RateLimiterRedis({ ...base, storeClient: options.redis, insuranceLimiter: memory }) : memory;
  }

  /** onRequest hook: 429 `rate_limited` with the seconds to wait. request.ip honours TRUSTED_PROXIES only. */
  readonly hook = async (request: FastifyRequest): Promise<void> => {
    try {
      await this.limiter.consume(this.keyOf(request));
    } catch (res) {
      if (res instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw new AppError('rate_limited', 'too many requests, retry later', { retryAfter });
      }
      throw new AppError('overloaded', 'rate limiter unavailable, retry later');
    }
  };
}
