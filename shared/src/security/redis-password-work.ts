import { defineScript } from '../redis-script.ts';
import type { RedisClient } from '../redis.ts';
import { MemoryPasswordWork, type PasswordWorkBudget } from './password-work.ts';

/**
 * A source's units are a sorted set, requestId → deadline; expired members are dropped before each
 * count, and the set itself expires after the latest deadline. The count (the new unit's round), the
 * bound check and the take are one script on that one key (one Redis Cluster slot): commands admitted
 * together on several edges each see the ones before them. -1: the source is at its bound.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[3]) then return -1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return held`;

/** Some slack past the deadline, so that clocks a little apart never drop a unit early. */
const EXPIRY_SLACK_MS = 1_000;

type AcquireFn = (source: string, now: number, deadline: number, limit: number, requestId: string, ttlMs: number) => Promise<number>;

/**
 * Redis driver: one budget per source for every edge of the deployment. While Redis is away, an
 * in-memory budget per edge stands in (as the rate limiters' insurance limiter does): per edge
 * rather than shared, but never unbounded. The client is the limiters' own (offline queue off), so a
 * call fails at once instead of waiting for a reconnect.
 */
export class RedisPasswordWork implements PasswordWorkBudget {
  private readonly insurance: MemoryPasswordWork;
  private readonly acquireScript: AcquireFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
    private readonly perSource: number,
  ) {
    this.insurance = new MemoryPasswordWork(perSource);
    this.acquireScript = defineScript<AcquireFn>(redis, 'authgatePasswordWorkAcquireV3', 1, ACQUIRE);
  }

  private sourceKey(source: string): string {
    return `${this.namespace}:pw-work:${source}`;
  }

  private leaseKey(requestId: string): string {
    return `${this.namespace}:pw-lease:${requestId}`;
  }

  async acquire(source: string, requestId: string, deadline: number, leased = false): Promise<number | undefined> {
    const now = Date.now();
    const ttlMs = Math.max(deadline - now, 0) + EXPIRY_SLACK_MS;
    let heldBefore: number;
    try {
      heldBefore = await this.acquireScript(this.sourceKey(source), now, deadline, this.perSource, requestId, ttlMs);
    } catch {
      return this.insurance.acquireNow(source, requestId, deadline);
    }
    if (heldBefore < 0) return undefined;
    // The lease (requestId → its source's set) lies in another slot than the set, so it is a second
    // command, not part of the script: a lease that is not written leaves the unit to expire at its
    // deadline, as a unit that cannot be given back does. Only a unit another edge may give back has one.
    if (leased) await this.redis.set(this.leaseKey(requestId), this.sourceKey(source), 'PX', ttlMs).catch(() => {});
    return heldBefore;
  }

  async release(requestId: string, source?: string): Promise<void> {
    this.insurance.releaseNow(requestId);
    // Without the source: two single-key steps (the lease, then its set), each in its own slot. A unit
    // that cannot be given back now expires at its deadline.
    try {
      const set = source === undefined ? await this.redis.getdel(this.leaseKey(requestId)) : this.sourceKey(source);
      if (set) await this.redis.zrem(set, requestId);
    } catch {
      /* expires at its deadline */
    }
  }

  close(): void {
    this.insurance.close();
  }
}
