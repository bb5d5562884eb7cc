import type { Redis } from 'ioredis';
import type { NewSession, RotateOutcome, SessionStore } from './types.ts';
import { REPLACED_HASHES_KEPT } from './types.ts';

// Both keys of a session share the `{sid}` hash tag, so each script touches one Redis Cluster slot.
const ROTATE = `
local cur = redis.call('HGET', KEYS[1], 'cur')
if not cur then return {'unknown'} end
if cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'rotatedAt', ARGV[4])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  local s = redis.call('HMGET', KEYS[1], 'uid', 'email')
  return {'rotated', s[1], s[2]}
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  local uid = redis.call('HGET', KEYS[1], 'uid')
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'reused', uid}
end
return {'unknown'}`;

const REVOKE = `
if redis.call('HGET', KEYS[1], 'cur') == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0`;

type Script = (k1: string, k2: string, ...args: (string | number)[]) => Promise<unknown>;

export class RedisSessionStore implements SessionStore {
  private readonly rotateScript: Script;
  private readonly revokeScript: Script;

  constructor(private readonly redis: Redis, private readonly namespace: string) {
    redis.defineCommand('authgateRotate', { numberOfKeys: 2, lua: ROTATE });
    redis.defineCommand('authgateRevoke', { numberOfKeys: 2, lua: REVOKE });
    const commands = redis as unknown as { authgateRotate: Script; authgateRevoke: Script };
    this.rotateScript = commands.authgateRotate.bind(redis);
    this.revokeScript = commands.authgateRevoke.bind(redis);
  }

  private keys(sid: string): [string, string] {
    return [`${this.namespace}:sess:{${sid}}`, `${this.namespace}:sess:{${sid}}:replaced`];
  }

  async create(session: NewSession, ttlMs: number): Promise<void> {
    const [key] = this.keys(session.sid);
    await this.redis
      .multi()
      .hset(key, { uid: session.userId, email: session.email, cur: session.refreshHash, device: session.deviceId ?? '', createdAt: Date.now() })
      .pexpire(key, ttlMs)
      .exec();
  }

  async rotate(sid: string, presentedHash: string, nextHash: string, ttlMs: number): Promise<RotateOutcome> {
    const [status, a, b] = (await this.rotateScript(...this.keys(sid), presentedHash, nextHash, ttlMs, Date.now(), REPLACED_HASHES_KEPT)) as string[];
    if (status === 'rotated') return { status, userId: a!, email: b! };
    if (status === 'reused') return { status, userId: a! };
    return { status: 'unknown' };
  }

  async revoke(sid: string, presentedHash: string): Promise<boolean> {
    return (await this.revokeScript(...this.keys(sid), presentedHash)) === 1;
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
