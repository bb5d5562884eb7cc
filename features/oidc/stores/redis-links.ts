import { defineScript } from '@authgate/shared/redis-script';
import type { RedisClient } from '@authgate/shared/redis';
import { KeyScheme } from './keys.ts';
import type { SessionLinks } from './links.ts';

/** The claim and the read of the links in one step: KEYS[1] the sid's set, KEYS[2] its claim (one slot). */
const CLAIM = `
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('SMEMBERS', KEYS[1])`;

/** Forgets the ended uids and the claim; returns the links made meanwhile. */
const RELEASE = `
if #ARGV > 0 then redis.call('SREM', KEYS[1], unpack(ARGV)) end
redis.call('DEL', KEYS[2])
return redis.call('SCARD', KEYS[1])`;

/** Deletes a reverse link only while it still names this sid (the provider session may have moved on). */
const FORGET_IF_EQUAL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type ClaimFn = (set: string, claim: string, holder: string, leaseMs: number) => Promise<string[] | null>;
type ReleaseFn = (set: string, claim: string, ...uids: string[]) => Promise<number>;

/** The links on Redis or a Redis Cluster, beside the provider's own keys (keys.ts). */
export class RedisSessionLinks implements SessionLinks {
  private readonly keys: KeyScheme;
  private readonly claimScript: ClaimFn;
  private readonly releaseScript: ReleaseFn;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly holder: string,
  ) {
    this.keys = new KeyScheme(prefix);
    this.claimScript = defineScript<ClaimFn>(redis, 'authgateOidcClaimEnding', 2, CLAIM);
    this.releaseScript = defineScript<ReleaseFn>(redis, 'authgateOidcReleaseEnding', 2, RELEASE);
  }

  async link(sid: string, uid: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    const uidKey = this.keys.uidToSid(uid);
    const previous = await this.redis.getset(uidKey, sid);
    await this.redis.expire(uidKey, ttl);
    // A browser that signs in again with another authgate session moves its provider session over.
    if (previous && previous !== sid) await this.redis.srem(this.keys.authgateSid(previous), uid);
    const setKey = this.keys.authgateSid(sid);
    await this.redis.multi().sadd(setKey, uid).expire(setKey, ttl, 'NX').expire(setKey, ttl, 'GT').exec();
  }

  async sidOf(uid: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.uidToSid(uid))) ?? undefined;
  }

  async claim(sid: string, leaseMs: number): Promise<string[] | undefined> {
    const uids = await this.claimScript(this.keys.authgateSid(sid), this.keys.endingClaim(sid), this.holder, Math.max(1, Math.ceil(leaseMs)));
    return uids ?? undefined;
  }

  async release(sid: string, uids: readonly string[]): Promise<number> {
    // The reverse links live in other slots: one command each, before the set forgets them.
    await Promise.all(uids.map((uid) => this.redis.eval(FORGET_IF_EQUAL, 1, this.keys.uidToSid(uid), sid)));
    return this.releaseScript(this.keys.authgateSid(sid), this.keys.endingClaim(sid), ...uids);
  }

  async close(): Promise<void> {}
}
