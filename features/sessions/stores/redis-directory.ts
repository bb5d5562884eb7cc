import { defineScript } from '@authgate/shared/redis-script';
import type { RedisClient } from '@authgate/shared/redis';
import { newestFirst, type SessionDirectory, type SessionInfo, type SessionSeen } from './directory.ts';

/**
 * Keeps the later of two times, and only for a session the account still has: a batch that arrives
 * late never moves last use back nor brings an ended session back.
 */
const TOUCH_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  local field = 'used:' .. ARGV[1]
  local was = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if tonumber(ARGV[2]) > was then redis.call('HSET', KEYS[1], field, ARGV[2]) end
end
return 1`;

/**
 * A refresh moves the session's end and its last use, in one round trip (it was HGET, PTTL, MULTI).
 * The description is the JSON that `add` wrote with JSON.stringify (no spaces): its expiresAt is
 * replaced in place rather than re-encoded by cjson, which would reformat the other fields.
 * ARGV: 1 sid, 2 expiresAt (epoch ms), 3 used at (epoch ms), 4 now (epoch ms).
 */
const EXTEND_SCRIPT = `
local described = redis.call('HGET', KEYS[1], ARGV[1])
if not described then return 0 end
local moved, found = string.gsub(described, '"expiresAt":%d+', '"expiresAt":' .. ARGV[2], 1)
if found == 0 then return 0 end
local was = tonumber(redis.call('HGET', KEYS[1], 'used:' .. ARGV[1]) or '0')
redis.call('HSET', KEYS[1], ARGV[1], moved)
if tonumber(ARGV[3]) > was then redis.call('HSET', KEYS[1], 'used:' .. ARGV[1], ARGV[3]) end
local wanted = tonumber(ARGV[2]) - tonumber(ARGV[4])
if wanted > redis.call('PTTL', KEYS[1]) then redis.call('PEXPIRE', KEYS[1], wanted) end
return 1`;

/**
 * A sign-in lists its session, and the hash lives at least as long as it, in one round trip. It was
 * PTTL, then MULTI: two sign-ins of one account at once could both read the old TTL and the later
 * PEXPIRE, a shorter session's, cut the hash below the longer one's end.
 * ARGV: 1 sid, 2 description (JSON), 3 used at (epoch ms), 4 expiresAt (epoch ms), 5 now (epoch ms).
 */
const ADD_SCRIPT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'used:' .. ARGV[1], ARGV[3])
local wanted = tonumber(ARGV[4]) - tonumber(ARGV[5])
if wanted > redis.call('PTTL', KEYS[1]) then redis.call('PEXPIRE', KEYS[1], wanted) end
return 1`;

type Touch = (key: string, sid: string, at: number) => Promise<unknown>;
type Extend = (key: string, sid: string, expiresAt: number, at: number, now: number) => Promise<number>;
type Add = (key: string, sid: string, described: string, at: number, expiresAt: number, now: number) => Promise<number>;

/**
 * Redis driver of SessionDirectory: one hash per account, `<ns>:sessions-of:{<userId>}`, with a field per
 * session (its description, JSON) and one `used:<sid>` field per session for its last use. The hash
 * lives as long as the account's longest session.
 */
export class RedisSessionDirectory implements SessionDirectory {
  private readonly touchScript: Touch;
  private readonly extendScript: Extend;
  private readonly addScript: Add;

  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
  ) {
    this.touchScript = defineScript<Touch>(redis, 'authgateTouchSessions', 1, TOUCH_SCRIPT);
    this.extendScript = defineScript<Extend>(redis, 'authgateExtendSession', 1, EXTEND_SCRIPT);
    this.addScript = defineScript<Add>(redis, 'authgateAddSession', 1, ADD_SCRIPT);
  }

  private key(userId: string): string {
    return `${this.namespace}:sessions-of:{${userId}}`;
  }

  async add(userId: string, session: SessionInfo): Promise<void> {
    const { lastUsedAt, ...described } = session;
    await this.addScript(this.key(userId), session.id, JSON.stringify(described), lastUsedAt, session.expiresAt, Date.now());
  }

  async list(userId: string): Promise<SessionInfo[]> {
    const key = this.key(userId);
    const fields = await this.redis.hgetall(key);
    const now = Date.now();
    const live: SessionInfo[] = [];
    const expired: string[] = [];
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('used:')) continue;
      const described = JSON.parse(value) as Omit<SessionInfo, 'lastUsedAt'>;
      if (described.expiresAt <= now) expired.push(field, `used:${field}`);
      else live.push({ ...described, lastUsedAt: Number(fields[`used:${field}`] ?? described.createdAt) });
    }
    if (expired.length > 0) await this.redis.hdel(key, ...expired);
    return live.sort(newestFirst);
  }

  async remove(userId: string, sid: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(userId), sid, `used:${sid}`)) > 0;
  }

  async touch(seen: readonly SessionSeen[]): Promise<void> {
    if (seen.length === 0) return;
    // One script per account key (each touches one Redis Cluster slot), all sent at once: a pipeline
    // could not span a cluster's nodes, a cluster client groups these per node by itself.
    await Promise.all(seen.map(({ userId, sid, at }) => this.touchScript(this.key(userId), sid, at)));
  }

  async extend(userId: string, sid: string, expiresAt: number, at: number): Promise<void> {
    await this.extendScript(this.key(userId), sid, expiresAt, at, Date.now());
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
