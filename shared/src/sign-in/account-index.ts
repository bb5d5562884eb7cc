import { defineScript } from '../redis-script.ts';
import type { RedisClient } from '../redis.ts';

// KEYS[1] the account's index; ARGV: 1 member, 2 its end (epoch ms), 3 now (epoch ms). Members whose
// end has passed are dropped on the way, so the index holds about one lifetime of an account's items;
// the hash lives as long as its longest member.
const ADD = `
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) <= tonumber(ARGV[3]) then redis.call('HDEL', KEYS[1], all[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local wanted = tonumber(ARGV[2]) - tonumber(ARGV[3])
if wanted > redis.call('PTTL', KEYS[1]) then redis.call('PEXPIRE', KEYS[1], wanted) end
return 1`;

type Add = (key: string, member: string, endsAt: number, now: number) => Promise<number>;

/**
 * Which pending items (mfa challenges, device verifications) an account has, so that all of them can
 * be ended at once: one hash per account, `<prefix>:{<userId>}`, a field per item (the digest its own
 * key is named by) whose value is the item's end. The items themselves stay where they are, found by
 * their digest alone; only this index is per account. Its key is hash-tagged by the account and each
 * command touches one key, so it works alike on one Redis and on a Redis Cluster.
 */
export class RedisAccountIndex {
  private readonly addScript: Add;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.addScript = defineScript<Add>(redis, 'authgateAccountIndexAddV1', 1, ADD);
  }

  private key(userId: string): string {
    return `${this.prefix}:{${userId}}`;
  }

  async add(userId: string, member: string, endsAt: number): Promise<void> {
    await this.addScript(this.key(userId), member, endsAt, Date.now());
  }

  /**
   * Takes the account's members out of the index and hands them to `end`, which removes the items
   * themselves. Only the members read are taken out: one added meanwhile stays for the next call.
   */
  async endAll(userId: string, end: (members: string[]) => Promise<number>): Promise<number> {
    const key = this.key(userId);
    const members = await this.redis.hkeys(key);
    if (members.length === 0) return 0;
    const ended = await end(members);
    await this.redis.hdel(key, ...members);
    return ended;
  }
}

/** DEL of each key, one command apiece (keys of one account's items sit in different cluster slots); how many existed. */
export async function deleteEach(redis: RedisClient, keys: string[]): Promise<number> {
  const removed = await Promise.all(keys.map((key) => redis.del(key)));
  return removed.reduce((sum, n) => sum + n, 0);
}
