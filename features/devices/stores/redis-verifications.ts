import { defineScript } from '@authgate/shared/redis-script';
import type { RedisClient } from '@authgate/shared/redis';
import { deleteEach, RedisAccountIndex } from '@authgate/shared/sign-in/account-index';
import {
  codeDigest,
  completeTokenDigest,
  sameDigest,
  verificationKey,
  type CodeOutcome,
  type CompleteOutcome,
  type Decision,
  type DecideOutcome,
  type DeviceVerifications,
  type PendingSignIn,
} from './verifications.ts';

// One hash per verification, `<ns>:device-verification:<sha256(id)>`: uid, state (pending | approved |
// denied | completed), code (its HMAC), ct (the completeToken's SHA-256), tries (left), rec (the
// PendingSignIn as JSON), by (the request it was handed out to). Each step below is one script, so two
// workers never both hand out one sign-in nor both spend the same try. The completeToken is checked
// before a script runs, here in the process, in constant time (a Lua string comparison is not): `ct`
// never changes while the verification lives, so checking it first leaves each step atomic.

// ARGV: 1 userId, 2 decision.
const DECIDE = `
local s = redis.call('HMGET', KEYS[1], 'uid', 'state', 'rec')
if not s[1] or s[1] ~= ARGV[1] then return {'missing'} end
if s[2] == 'pending' then
  redis.call('HSET', KEYS[1], 'state', ARGV[2])
  return {'decided', s[3]}
end
if s[2] == ARGV[2] then return {'unchanged'} end
return {'missing'}`;

// ARGV: 1 requestId.
const COMPLETE = `
local s = redis.call('HMGET', KEYS[1], 'state', 'rec', 'by')
if not s[1] then return {'missing'} end
if s[1] == 'approved' then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'by', ARGV[1])
  return {'approved', s[2]}
end
if s[1] == 'completed' then
  if s[3] == ARGV[1] then return {'approved', s[2]} end
  return {'missing'}
end
return {s[1]}`;

// ARGV: 1 the presented code's digest, 2 requestId. Digests are HMACs under a key the client holds
// (its own verificationId): a timing difference in this comparison tells nothing a try does not cost.
const VERIFY = `
local s = redis.call('HMGET', KEYS[1], 'state', 'code', 'rec', 'by', 'uid')
if not s[1] then return {'missing'} end
if s[1] == 'completed' then
  if s[4] == ARGV[2] then return {'verified', s[3]} end
  return {'missing'}
end
if s[1] == 'denied' then return {'denied'} end
if s[2] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'by', ARGV[2])
  return {'verified', s[3]}
end
local left = redis.call('HINCRBY', KEYS[1], 'tries', -1)
if left <= 0 then redis.call('DEL', KEYS[1]) end
return {'wrong', tostring(left), s[5]}`;

type Script = (key: string, ...args: string[]) => Promise<string[]>;

/** The distributed driver of DeviceVerifications, on the deployment's Redis. */
export class RedisDeviceVerifications implements DeviceVerifications {
  private readonly scripts: { decide: Script; complete: Script; verify: Script };
  /** Each account's verifications (`<ns>:device-verifications-of:{<userId>}`), for endAllOf. */
  private readonly index: RedisAccountIndex;

  constructor(
    private readonly redis: RedisClient,
    private readonly namespace: string,
  ) {
    this.scripts = {
      decide: defineScript<Script>(redis, 'authgateDeviceDecide', 1, DECIDE),
      complete: defineScript<Script>(redis, 'authgateDeviceComplete', 1, COMPLETE),
      verify: defineScript<Script>(redis, 'authgateDeviceVerify', 1, VERIFY),
    };
    this.index = new RedisAccountIndex(redis, `${namespace}:device-verifications-of`);
  }

  private key(verificationId: string): string {
    return `${this.namespace}:device-verification:${verificationKey(verificationId)}`;
  }

  async open(verificationId: string, completeToken: string, signIn: PendingSignIn, code: string, options: { ttlMs: number; tries: number }): Promise<void> {
    const key = this.key(verificationId);
    await this.index.add(signIn.userId, verificationKey(verificationId), Date.now() + options.ttlMs);
    await this.redis
      .multi()
      .hset(key, {
        uid: signIn.userId,
        state: 'pending',
        code: codeDigest(verificationId, code),
        ct: completeTokenDigest(completeToken),
        tries: options.tries,
        rec: JSON.stringify(signIn),
      })
      .pexpire(key, options.ttlMs)
      .exec();
  }

  async decide(verificationId: string, userId: string, decision: Decision): Promise<DecideOutcome> {
    const [outcome, rec] = await this.scripts.decide(this.key(verificationId), userId, decision);
    if (outcome === 'decided') return { outcome, signIn: parse(rec) };
    return { outcome: outcome === 'unchanged' ? 'unchanged' : 'missing' };
  }

  async accountOf(verificationId: string, completeToken: string): Promise<string | undefined> {
    const [kept, userId] = await this.redis.hmget(this.key(verificationId), 'ct', 'uid');
    return sameDigest(completeTokenDigest(completeToken), kept ?? undefined) ? (userId ?? undefined) : undefined;
  }

  /** Whether `completeToken` is the one the verification was opened with (an unknown verification holds none). */
  private async holds(key: string, completeToken: string): Promise<boolean> {
    return sameDigest(completeTokenDigest(completeToken), (await this.redis.hget(key, 'ct')) ?? undefined);
  }

  async complete(verificationId: string, completeToken: string, requestId: string): Promise<CompleteOutcome> {
    const key = this.key(verificationId);
    if (!(await this.holds(key, completeToken))) return { outcome: 'missing' };
    const [outcome, rec] = await this.scripts.complete(key, requestId);
    if (outcome === 'approved') return { outcome, signIn: parse(rec) };
    return { outcome: outcome === 'pending' || outcome === 'denied' ? outcome : 'missing' };
  }

  async verifyCode(verificationId: string, completeToken: string, code: string, requestId: string): Promise<CodeOutcome> {
    const key = this.key(verificationId);
    if (!(await this.holds(key, completeToken))) return { outcome: 'missing' };
    const [outcome, value, userId] = await this.scripts.verify(key, codeDigest(verificationId, code), requestId);
    if (outcome === 'verified') return { outcome, signIn: parse(value) };
    if (outcome === 'wrong') return { outcome, triesLeft: Math.max(0, Number(value)), userId: userId ?? '' };
    return { outcome: outcome === 'denied' ? 'denied' : 'missing' };
  }

  async endAllOf(userId: string): Promise<number> {
    return this.index.endAll(userId, (members) =>
      deleteEach(
        this.redis,
        members.map((member) => `${this.namespace}:device-verification:${member}`),
      ),
    );
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

function parse(rec: string | undefined): PendingSignIn {
  return JSON.parse(rec ?? '{}') as PendingSignIn;
}
