import type { RedisClient } from '../redis.ts';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';

/**
 * RateLimiterMemory forgets each key with a setTimeout, and Node runs a timer longer than 2^31-1 ms
 * (about 24.8 days) at once: a trusted device (kept for REFRESH_TOKEN_TTL_S, 30 days by default) would
 * be forgotten the moment it was set. In memory, durations stop at the longest timer; Redis keeps them whole.
 */
const MAX_MEMORY_DURATION_S = Math.floor((2 ** 31 - 1) / 1000);
const bounded = (secDuration: number) => Math.min(secDuration, MAX_MEMORY_DURATION_S);

class BoundedMemoryLimiter extends RateLimiterMemory {
  override set(key: string | number, points: number, secDuration: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    return super.set(key, points, bounded(secDuration), options);
  }

  override block(key: string | number, secDuration: number, options?: Record<string, unknown>): Promise<RateLimiterRes> {
    return super.block(key, bounded(secDuration), options);
  }
}

/**
 * Where rate-limiter-flexible keeps its counters: Redis (shared by every node) with an in-memory
 * insurance limiter for when Redis is away, or memory alone. One store per process, built by the
 * composition module and handed to each role, so that in the all-in-one shape the edge (which counts
 * attempts) and the worker (which forgives them on success) see one counter, as they would in Redis.
 */
export class LimiterStore {
  private readonly memory = new Map<string, BoundedMemoryLimiter>();

  /** `redis` is a client with its offline queue off: a limiter fails over at once instead of waiting. */
  constructor(private readonly redis: RedisClient | undefined) {}

  limiter(keyPrefix: string, points: number, durationS: number): RateLimiterAbstract {
    const memory = this.memoryLimiter(keyPrefix, points, durationS);
    return this.redis ? new RateLimiterRedis({ storeClient: this.redis, keyPrefix, points, duration: durationS, insuranceLimiter: memory }) : memory;
  }

  private memoryLimiter(keyPrefix: string, points: number, durationS: number): BoundedMemoryLimiter {
    const name = `${keyPrefix}|${points}|${durationS}`;
    let limiter = this.memory.get(name);
    if (!limiter) {
      limiter = new BoundedMemoryLimiter({ keyPrefix, points, duration: bounded(durationS) });
      this.memory.set(name, limiter);
    }
    return limiter;
  }

  async ready(): Promise<boolean> {
    if (!this.redis) return true;
    return this.redis.ping().then(
      () => true,
      () => false,
    );
  }

  close(): void {
    this.redis?.disconnect();
  }
}
