import type { RedisClient } from '@authgate/shared/redis';
import { isTaggable, KeyScheme } from './keys.ts';
import { alreadyConsumed, CONSUMABLE, epochTime, GRANTABLE, type AdapterFactory, type Payload, type ProviderAdapter } from './types.ts';

/**
 * The provider's storage on Redis or a Redis Cluster. Every command and every MULTI below touches keys
 * of one hash slot (keys.ts). Writes put the indexes first and the entity second: a crash between the
 * two leaves an index entry pointing at nothing, never a token that revokeByGrantId cannot find.
 * Needs Redis 7 (EXPIRE NX/GT).
 */

/** Marks an entity consumed unless it already is, never creating a missing key: 1 now, 0 already, -1 no such entity. */
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])`;

/** Deletes an index only while it points at this id: a Session's id rotates while its uid index is rewritten. */
const DELETE_IF_EQUAL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function parse(hash: Record<string, string>): Payload | undefined {
  if (!hash?.payload) return undefined;
  const payload = JSON.parse(hash.payload) as Payload;
  if (hash.consumed) payload.consumed = Number(hash.consumed);
  return payload;
}

class RedisAdapter implements ProviderAdapter {
  constructor(
    private readonly model: string,
    private readonly redis: RedisClient,
    private readonly keys: KeyScheme,
  ) {}

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const key = this.keys.entity(this.model, id);
    const ttl = typeof expiresIn === 'number' && expiresIn > 0 ? Math.ceil(expiresIn) : undefined;
    const indexes: Promise<unknown>[] = [];
    if (GRANTABLE.has(this.model) && payload.grantId) {
      const members = this.keys.grantMembers(payload.grantId);
      const multi = this.redis.multi().sadd(members, key);
      // As long as its longest-lived member: NX sets a first expiry, GT only ever extends it.
      if (ttl) multi.expire(members, ttl, 'NX').expire(members, ttl, 'GT');
      else multi.persist(members);
      indexes.push(multi.exec());
    }
    if (this.model === 'Session' && payload.uid) {
      const uidKey = this.keys.sessionUid(payload.uid);
      indexes.push(ttl ? this.redis.set(uidKey, id, 'EX', ttl) : this.redis.set(uidKey, id));
    }
    if (payload.userCode) {
      const codeKey = this.keys.userCode(payload.userCode);
      indexes.push(ttl ? this.redis.set(codeKey, id, 'EX', ttl) : this.redis.set(codeKey, id));
    }
    await Promise.all(indexes);
    const multi = this.redis.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
    if (ttl) multi.expire(key, ttl);
    await multi.exec();
  }

  async find(id: string): Promise<Payload | undefined> {
    if (!isTaggable(id)) return undefined;
    return parse(await this.redis.hgetall(this.keys.entity(this.model, id)));
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    if (!isTaggable(uid)) return undefined;
    const id = await this.redis.get(this.keys.sessionUid(uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    if (!isTaggable(userCode)) return undefined;
    const id = await this.redis.get(this.keys.userCode(userCode));
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    if (!isTaggable(id)) return;
    const result = await this.redis.eval(CONSUME, 1, this.keys.entity(this.model, id), String(epochTime()));
    if (result === 0 && CONSUMABLE.has(this.model)) throw alreadyConsumed(this.model);
  }

  async destroy(id: string): Promise<void> {
    if (!isTaggable(id)) return;
    const key = this.keys.entity(this.model, id);
    const results = await this.redis.multi().hget(key, 'payload').del(key).exec();
    const json = results?.[0]?.[1] as string | null | undefined;
    if (!json) return;
    const payload = JSON.parse(json) as Payload;
    const cleanup: Promise<unknown>[] = [];
    if (this.model === 'Session' && payload.uid) cleanup.push(this.redis.eval(DELETE_IF_EQUAL, 1, this.keys.sessionUid(payload.uid), id));
    if (payload.userCode) cleanup.push(this.redis.eval(DELETE_IF_EQUAL, 1, this.keys.userCode(payload.userCode), id));
    if (GRANTABLE.has(this.model) && payload.grantId) cleanup.push(this.redis.srem(this.keys.grantMembers(payload.grantId), key));
    await Promise.all(cleanup);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    if (!isTaggable(grantId)) return;
    const membersKey = this.keys.grantMembers(grantId);
    const results = await this.redis.multi().smembers(membersKey).del(membersKey).exec();
    const members = (results?.[0]?.[1] as string[] | undefined) ?? [];
    // One DEL per key: the members live in other slots, and a cluster pipeline may not span them.
    await Promise.all(members.map((key) => this.redis.del(key)));
  }
}

/** `prefix`: `<NAMESPACE>:oidc`, so that deployments sharing a Redis keep apart. */
export function redisAdapterFactory(redis: RedisClient, prefix: string): AdapterFactory {
  const keys = new KeyScheme(prefix);
  const adapters = new Map<string, RedisAdapter>();
  return (model: string) => {
    let adapter = adapters.get(model);
    if (!adapter) adapters.set(model, (adapter = new RedisAdapter(model, redis, keys)));
    return adapter;
  };
}
