import type { Redis } from 'ioredis';
import { MemoryPasswordWork, type PasswordWorkBudget } from './password-work.ts';

/**
 * A source's units are a sorted set, requestId → deadline; expired members are dropped before each
 * count, and the set itself expires after the latest deadline. A lease key names the set a requestId
 * counts in, so that any edge can release it knowing the requestId only.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], KEYS[1], 'PX', ARGV[5])
return 1`;

const RELEASE = `
local source = redis.call('GET', KEYS[1])
if source then
  redis.call('ZREM', source, ARGV[1])
  redis.call('DEL', KEYS[1])
end
return 1`;

/** Some slack past the deadline, so that clocks a little apart never drop a unit early. */
const EXPIRY_SLACK_MS = 1_000;

type AcquireFn = (source: string, lease: string, now: number, deadline: number, limit: number, requestId: string, ttlMs: number) => Promise<number>;
type ReleaseFn = (lease: string, requestId: string) => Promise<number>;

/**
 * Redis driver: one budget per source for every edge of the deployment. While Redis is away, an
 * in-memory budget per edge stands in (as the rate limiters' insurance limiter does): per edge
 * rather than shared, but never unbounded. The client is the limiters' own (offline queue off), so a
 * call fails at once instead of waiting for a reconnect.
 */
export class RedisPasswordWork implements PasswordWorkBudget {
  private readonly insurance: MemoryPasswordWork;
  private readonly acquireScript: AcquireFn;
  private readonly releaseScript: ReleaseFn;

  constructor(
    redis: Redis,
    private readonly namespace: string,
    private readonly perSource: number,
  ) {
    this.insurance = new MemoryPasswordWork(perSource);
    redis.defineCommand('authgatePasswordWorkAcquire', { lua: ACQUIRE, numberOfKeys: 2 });
    redis.defineCommand('authgatePasswordWorkRelease', { lua: RELEASE, numberOfKeys: 1 });
    const scripts = redis as unknown as { authgatePasswordWorkAcquire: AcquireFn; authgatePasswordWorkRelease: ReleaseFn };
    this.acquireScript = scripts.authgatePasswordWorkAcquire.bind(redis);
    this.releaseScript = scripts.authgatePasswordWorkRelease.bind(redis);
  }

  private sourceKey(source: string): string {
    return `${this.namespace}:pw-work:${source}`;
  }

  private leaseKey(requestId: string): string {
    return `${this.namespace}:pw-lease:${requestId}`;
  }

  async acquire(source: string, requestId: string, deadline: number): Promise<boolean> {
    const now = Date.now();
    const ttlMs = Math.max(deadline - now, 0) + EXPIRY_SLACK_MS;
    try {
      return (await this.acquireScript(this.sourceKey(source), this.leaseKey(requestId), now, deadline, this.perSource, requestId, ttlMs)) === 1;
    } catch {
      return this.insurance.acquireNow(source, requestId, deadline);
    }
  }

  async release(requestId: string): Promise<void> {
    this.insurance.releaseNow(requestId);
    // A unit that cannot be given back now expires at its deadline.
    await this.releaseScript(this.leaseKey(requestId), requestId).catch(() => {});
  }

  close(): void {
    this.insurance.close();
  }
}
