import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';
import type { LimiterStore } from './limiter-store.ts';

/** Requests per key (a client IP, a user) per minute, across every node that shares the store. */
export class PerMinuteLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(store: LimiterStore, keyPrefix: string, pointsPerMinute: number) {
    this.limiter = store.limiter(keyPrefix, pointsPerMinute, 60);
  }

  /** Resolves when the request may go on; rejects with `rate_limited` and the seconds to wait. */
  async consume(key: string): Promise<void> {
    await this.limiter.consume(key).catch((err: unknown) => Promise.reject(limiterRefusal(err)));
  }
}

/** What a limiter's rejection tells the client: `rate_limited` with the seconds to wait, or `overloaded` when the store failed. */
export function limiterRefusal(err: unknown): AppError {
  if (err instanceof RateLimiterRes) {
    const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    return new AppError('rate_limited', 'too many requests, retry later', { retryAfter });
  }
  return new AppError('overloaded', 'rate limiter unavailable, retry later');
}
