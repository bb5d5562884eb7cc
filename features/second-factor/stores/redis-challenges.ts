import { defineScript } from '@authgate/shared/redis-script';
import type { RedisClient } from '@authgate/shared/redis';
import { deleteEach, RedisAccountIndex } from '@authgate/shared/sign-in/account-index';
import type { MfaChallenge, MfaChallengeAttempt, MfaChallengeStore } from './challenges.ts';

// One script counts an attempt and decides it, so concurrent guesses at one token each get their own
// count. KEYS[1] the challenge hash (u: user, d: device or '', a: attempts); ARGV[1] the most attempts.
const ATTEMPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = redis.call('HINCRBY', KEYS[1], 'a', 1)
if n > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return false
end
local s = redis.call('HMGET', KEYS[1], 'u', 'd')
return {n, s[1] or '', s[2] or ''}`;

type Script = (key: string, maxAttempts: number) => Promise<[number, string, string] | null>;

/**
 * Challenges in Redis with their TTL: any worker answers the verify of a challenge another made. Each
 * account's challenges are also listed in its index (`<ns>:mfa:challenges-of:{<userId>}`), so that a
 * password reset or change, a second factor turned off, or a disabled account ends all of them.
 */
export class RedisMfaChallengeStore implements MfaChallengeStore {
  private readonly attemptScript: Script;
  private readonly index: RedisAccountIndex;

  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
  ) {
    this.attemptScript = defineScript<Script>(redis, 'authgateMfaAttemptV1', 1, ATTEMPT);
    this.index = new RedisAccountIndex(redis, `${namespace}:mfa:challenges-of`);
  }

  private key(tokenDigest: string): string {
    return `${this.namespace}:mfa:challenge:${tokenDigest}`;
  }

  async create(tokenDigest: string, challenge: MfaChallenge, ttlMs: number): Promise<void> {
    const key = this.key(tokenDigest);
    // Listed first: a challenge that exists is always one its account's endAllOf finds.
    await this.index.add(challenge.userId, tokenDigest, Date.now() + ttlMs);
    await this.redis
      .multi()
      .hset(key, { u: challenge.userId, d: challenge.deviceId ?? '', a: 0 })
      .pexpire(key, ttlMs)
      .exec();
  }

  async attempt(tokenDigest: string, maxAttempts: number): Promise<MfaChallengeAttempt | undefined> {
    const found = await this.attemptScript(this.key(tokenDigest), maxAttempts);
    if (!found?.[1]) return undefined;
    const [attempt, userId, deviceId] = found;
    return { userId, deviceId: deviceId || undefined, attempt: Number(attempt) };
  }

  async take(tokenDigest: string): Promise<boolean> {
    return (await this.redis.del(this.key(tokenDigest))) === 1;
  }

  async endAllOf(userId: string): Promise<number> {
    return this.index.endAll(userId, (digests) =>
      deleteEach(
        this.redis,
        digests.map((digest) => this.key(digest)),
      ),
    );
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
