import type { RedisClient } from '@authgate/shared/redis';
import { CHALLENGE_KEY, type ChallengePurpose, type PasskeyChallengeStore, type PendingChallenge } from './challenges.ts';

/**
 * Challenges in Redis, one key each with its TTL (`SET ... PX`), taken with GETDEL (Redis 6.2+): one
 * atomic step, so of two workers answering the same challenge only one gets it. Any worker takes a
 * challenge another made. Bounded by the TTL and the edge's per-IP limit on the options commands.
 */
export class RedisPasskeyChallenges implements PasskeyChallengeStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
  ) {}

  private key(purpose: ChallengePurpose, key: string): string {
    return `${this.namespace}:passkeys:challenge:${purpose}:${key}`;
  }

  async put(purpose: ChallengePurpose, key: string, pending: PendingChallenge, ttlMs: number): Promise<boolean> {
    const value = JSON.stringify({ c: pending.challenge, ...(pending.userId === undefined ? {} : { u: pending.userId }) });
    await this.redis.set(this.key(purpose, key), value, 'PX', ttlMs);
    return true;
  }

  async take(purpose: ChallengePurpose, key: string): Promise<PendingChallenge | undefined> {
    if (!CHALLENGE_KEY.test(key)) return undefined;
    const value = await this.redis.getdel(this.key(purpose, key));
    if (value === null) return undefined;
    const { c, u } = JSON.parse(value) as { c: string; u?: string };
    return { challenge: c, ...(u === undefined ? {} : { userId: u }) };
  }

  async ready(): Promise<boolean> {
    return this.redis.ping().then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
