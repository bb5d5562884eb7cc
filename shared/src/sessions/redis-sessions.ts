import type { Redis } from 'ioredis';
import type { GraceSuccessor, NewSession, RotateOutcome, SessionStore } from './types.ts';
import { REPLACED_HASHES_KEPT } from './types.ts';

// The keys of a session share the `{sid}` hash tag, so each script touches one Redis Cluster slot:
// KEYS[1] the session hash, KEYS[2] the list of replaced hashes, KEYS[3] the grace hash, whose fields
// are replaced hashes and values `<until ms>|<sealed successor>`.
const ROTATE = `
local s = redis.call('HMGET', KEYS[1], 'cur', 'uid', 'email')
local cur = s[1]
if not cur then return {'unknown'} end
if cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'rotatedAt', ARGV[4])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  local grace = tonumber(ARGV[7])
  local kept = redis.call('HGETALL', KEYS[3])
  for i = 1, #kept, 2 do
    local bar = string.find(kept[i + 1], '|', 1, true)
    if tonumber(string.sub(kept[i + 1], 1, bar - 1)) <= tonumber(ARGV[4]) then redis.call('HDEL', KEYS[3], kept[i]) end
  end
  if grace > 0 then
    redis.call('HSET', KEYS[3], ARGV[1], (tonumber(ARGV[4]) + grace) .. '|' .. ARGV[6])
    redis.call('PEXPIRE', KEYS[3], grace)
  end
  return {'rotated', s[2], s[3]}
end
local kept = redis.call('HGET', KEYS[3], ARGV[1])
if kept then
  local bar = string.find(kept, '|', 1, true)
  if tonumber(string.sub(kept, 1, bar - 1)) > tonumber(ARGV[4]) then
    return {'grace', s[2], string.sub(kept, bar + 1)}
  end
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return {'reused', s[2]}
end
return {'unknown'}`;

const REVOKE = `
if redis.call('HGET', KEYS[1], 'cur') == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 1
end
return 0`;

type Script = (k1: string, k2: string, k3: string, ...args: (string | number)[]) => Promise<unknown>;

export class RedisSessionStore implements SessionStore {
  private readonly rotateScript: Script;
  private readonly revokeScript: Script;

  constructor(private readonly redis: Redis, private readonly namespace: string) {
    redis.defineCommand('authgateRotate', { numberOfKeys: 3, lua: ROTATE });
    redis.defineCommand('authgateRevoke', { numberOfKeys: 3, lua: REVOKE });
    const commands = redis as unknown as { authgateRotate: Script; authgateRevoke: Script };
    this.rotateScript = commands.authgateRotate.bind(redis);
    this.revokeScript = commands.authgateRevoke.bind(redis);
  }

  private keys(sid: string): [string, string, string] {
    const base = `${this.namespace}:sess:{${sid}}`;
    return [base, `${base}:replaced`, `${base}:grace`];
  }

  async create(session: NewSession, ttlMs: number): Promise<void> {
    const [key] = this.keys(session.sid);
    await this.redis
      .multi()
      .hset(key, { uid: session.userId, email: session.email, cur: session.refreshHash, device: session.deviceId ?? '', createdAt: Date.now() })
      .pexpire(key, ttlMs)
      .exec();
  }

  async peek(sid: string): Promise<{ userId: string; email: string } | undefined> {
    const [userId, email] = await this.redis.hmget(this.keys(sid)[0], 'uid', 'email');
    return userId && email ? { userId, email } : undefined;
  }

  async rotate(sid: string, presentedHash: string, nextHash: string, ttlMs: number, successor?: GraceSuccessor): Promise<RotateOutcome> {
    const [status, a, b] = (await this.rotateScript(
      ...this.keys(sid), presentedHash, nextHash, ttlMs, Date.now(), REPLACED_HASHES_KEPT, successor?.sealed ?? '', successor?.graceMs ?? 0,
    )) as string[];
    if (status === 'rotated') return { status, userId: a!, email: b! };
    if (status === 'grace') return { status, userId: a!, sealed: b! };
    if (status === 'reused') return { status, userId: a! };
    return { status: 'unknown' };
  }

  async revoke(sid: string, presentedHash: string): Promise<boolean> {
    return (await this.revokeScript(...this.keys(sid), presentedHash)) === 1;
  }

  async end(sid: string): Promise<void> {
    await this.redis.del(...this.keys(sid));
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
