import { defineScript } from '@authgate/shared/redis-script';
import type { RedisClient } from '@authgate/shared/redis';
import type { AuthMethod, NewSession, RevokeOutcome, RotateOutcome, RotateRequest, SessionStore, SignedIn } from './sessions.ts';
import { REPLACED_HASHES_KEPT, ROTATIONS_REMEMBERED } from './sessions.ts';

// The keys of a session share the `{sid}` hash tag, so each script touches one Redis Cluster slot:
// KEYS[1] the session hash (uid, email, device, cur, amr and authAt of its sign-in, and the grace successor: gprev = the hash it
// replaced, guntil, gsealed), KEYS[2] the sorted set of replaced hashes scored by when each was replaced.
// One script decides a whole refresh, so two refreshes of one family can never interleave.
//
// The hash also keeps `rq`: the requestIds of its last ROTATIONS_REMEMBERED rotations, space-separated,
// so that the command that rotated it, run again, is known here, in the same step (and the worker
// makes no round trip to the result store before each refresh).
//
// ARGV: 1 presented hash, 2 next hash, 3 ttl ms, 4 now ms, 5 replaced hashes kept, 6 sealed successor,
// 7 grace ms, 8 the presenting device ('' for none), 9 the command's requestId ('' for none),
// 10 rotations remembered.
const ROTATE = `
local s = redis.call('HMGET', KEYS[1], 'cur', 'uid', 'email', 'device', 'gprev', 'guntil', 'gsealed', 'rq', 'amr', 'authAt')
local cur, device = s[1], s[4] or ''
if not cur then return {'unknown'} end
local now = tonumber(ARGV[4])
local rq = s[8] or ''
if ARGV[9] ~= '' and string.find(' ' .. rq .. ' ', ' ' .. ARGV[9] .. ' ', 1, true) then
  if s[5] == ARGV[1] and s[7] then return {'grace', s[2], s[3], s[7], s[9] or '', s[10] or ''} end
  return {'duplicate'}
end
if cur == ARGV[1] then
  if ARGV[9] ~= '' then
    local kept = {ARGV[9]}
    for id in string.gmatch(rq, '%S+') do
      if #kept >= tonumber(ARGV[10]) then break end
      kept[#kept + 1] = id
    end
    rq = table.concat(kept, ' ')
  end
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'rotatedAt', ARGV[4], 'rq', rq)
  local grace = tonumber(ARGV[7])
  if grace > 0 and ARGV[6] ~= '' then
    redis.call('HSET', KEYS[1], 'gprev', ARGV[1], 'guntil', now + grace, 'gsealed', ARGV[6])
  else
    redis.call('HDEL', KEYS[1], 'gprev', 'guntil', 'gsealed')
  end
  -- Scores strictly increase: rotations within one millisecond would tie, and ties are ranked by the
  -- hash, so the trim below would drop a random one of them instead of the oldest.
  local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  local score = now
  if newest[2] and tonumber(newest[2]) >= now then score = tonumber(newest[2]) + 0.001 end
  redis.call('ZADD', KEYS[2], score, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[3])))
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[5]) - 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return {'rotated', s[2], s[3], s[9] or '', s[10] or ''}
end
-- The grace: the token replaced last, its successor unused (gprev moves with every rotation), within
-- the window, and where the session has a device, presented by that device.
if s[5] == ARGV[1] and tonumber(s[6] or '0') > now and (device == '' or device == ARGV[8]) then
  return {'grace', s[2], s[3], s[7], s[9] or '', s[10] or ''}
end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'reused', s[2]}
end
return {'unknown'}`;

// Logout. ARGV: 1 presented hash. The current token ends the session; a replaced one is a reuse and
// ends it too.
const REVOKE = `
local s = redis.call('HMGET', KEYS[1], 'cur', 'uid')
if not s[1] then return {'unknown'} end
if s[1] == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'revoked', s[2]}
end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'reused', s[2]}
end
return {'unknown'}`;

type Script = (k1: string, k2: string, ...args: (string | number)[]) => Promise<unknown>;

export class RedisSessionStore implements SessionStore {
  private readonly rotateScript: Script;
  private readonly revokeScript: Script;

  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
    private readonly replacedKept = REPLACED_HASHES_KEPT,
  ) {
    this.rotateScript = defineScript<Script>(redis, 'authgateRotateV5', 2, ROTATE);
    this.revokeScript = defineScript<Script>(redis, 'authgateRevokeV2', 2, REVOKE);
  }

  private keys(sid: string): [string, string] {
    const base = `${this.namespace}:sess:{${sid}}`;
    return [base, `${base}:replaced`];
  }

  async create(session: NewSession, ttlMs: number): Promise<void> {
    const [key] = this.keys(session.sid);
    await this.redis
      .multi()
      .hset(key, {
        uid: session.userId,
        email: session.email,
        cur: session.refreshHash,
        device: session.deviceId ?? '',
        createdAt: Date.now(),
        amr: session.signedIn.amr.join(' '),
        authAt: session.signedIn.authTime,
      })
      .pexpire(key, ttlMs)
      .exec();
  }

  async peek(sid: string): Promise<{ userId: string; email: string } | undefined> {
    const [userId, email] = await this.redis.hmget(this.keys(sid)[0], 'uid', 'email');
    return userId && email ? { userId, email } : undefined;
  }

  async rotate(request: RotateRequest): Promise<RotateOutcome> {
    const { sid, presentedHash, nextHash, ttlMs, deviceId, successor, requestId } = request;
    const [status, a, b, c, d, e] = (await this.rotateScript(
      ...this.keys(sid),
      presentedHash,
      nextHash,
      ttlMs,
      Date.now(),
      this.replacedKept,
      successor?.sealed ?? '',
      successor?.graceMs ?? 0,
      deviceId ?? '',
      requestId ?? '',
      ROTATIONS_REMEMBERED,
    )) as string[];
    if (status === 'rotated') return { status, userId: a!, email: b!, signedIn: signedInOf(c, d) };
    if (status === 'grace') return { status, userId: a!, email: b!, sealed: c!, signedIn: signedInOf(d, e) };
    if (status === 'reused') return { status, userId: a! };
    if (status === 'duplicate') return { status };
    return { status: 'unknown' };
  }

  async revoke(sid: string, presentedHash: string): Promise<RevokeOutcome> {
    const [status, userId] = (await this.revokeScript(...this.keys(sid), presentedHash)) as string[];
    if (status === 'revoked' || status === 'reused') return { status, userId: userId! };
    return { status: 'unknown' };
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

/**
 * The sign-in a session hash recorded. A session made before sessions kept it was signed in with a
 * password at some time before now: `pwd`, and now as the latest its sign-in can have been.
 */
function signedInOf(amr: string | undefined, authAt: string | undefined): SignedIn {
  const methods = amr ? (amr.split(' ') as AuthMethod[]) : ['pwd' as const];
  const authTime = Number(authAt);
  return { amr: methods, authTime: Number.isFinite(authTime) && authTime > 0 ? authTime : Math.floor(Date.now() / 1000) };
}
