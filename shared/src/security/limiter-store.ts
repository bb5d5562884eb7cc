import type { RedisClient } from '../redis.ts';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Where rate-limiter-flexible keeps its counters: Redis (shared by every node) with an in-memory
 * insurance limiter for when Redis is away, or memory alone. One store per process, built by the
 * composition module and handed to each role, so that in the all-in-one shape the edge (which counts
 * attempts) and the worker (which forgives them on success) see one counter, as they would in Redis.
 */
export class LimiterStore {
  private readonly memory = new Map<string, RateLimiterMemory>();

  /** `redis` is a client with its offline queue off: a limiter fails over at once instead of waiting. */
  constructor(private readonly redis: RedisClient | undefined) {}

  limiter(keyPrefix: string, points: number, durationS: number): RateLimiterAbstract {
    const memory = this.memoryLimiter(keyPrefix, points, durationS);
    return this.redis ? new RateLimiterRedis({ storeClient: this.redis, keyPrefix, points, duration: durationS, insuranceLimiter: memory }) : memory;
  }

  private memoryLimiter(keyPrefix: string, points: number, durationS: number): RateLimiterMemory {
    const name = `${keyPrefix}|${points}|${durationS}`;
    let limiter = this.memory.get(name);
    if (!limiter) {
      limiter = new RateLimiterMemory({ keyPrefix, points, duration: durationS });
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
