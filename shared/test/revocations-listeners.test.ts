import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createLogger } from '../src/logger.ts';
import { SingleRedis } from '../src/redis.ts';
import { MemoryRevocations, RedisRevocations } from '../src/security/revocations.ts';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../test/helpers/services.ts';

const log = createLogger({ level: 'silent', name: 'revocations-test' });
const TTL_MS = 60_000;

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** onRevoked: what the OpenID layer ends its sessions by. Each revoked session once per process, however it is heard of. */
describe('revocations tell their listeners of each revoked session', () => {
  test('in-process: a revoke calls every listener once; revoking again calls none; an unsubscribed listener is not called', async () => {
    const revocations = new MemoryRevocations(TTL_MS);
    const heard: string[] = [];
    const gone: string[] = [];
    revocations.onRevoked((sid) => heard.push(sid));
    const off = revocations.onRevoked((sid) => gone.push(sid));
    off();
    // A listener that throws does not stop the revocation, nor the other listeners.
    revocations.onRevoked(() => {
      throw new Error('a broken listener');
    });
    const sid = randomUUID();
    await revocations.revoke(sid);
    await revocations.revoke(sid);
    assert.deepEqual(heard, [sid]);
    assert.deepEqual(gone, []);
    assert.equal(revocations.isRevoked(sid), true);
    await revocations.close();
  });

  describe('Redis: broadcast to every follower, and loaded by one that starts later', () => {
    const namespace = uniqueNamespace('revocation-listeners');
    const opened: RedisRevocations[] = [];
    const open = () => {
      const revocations = new RedisRevocations(new SingleRedis(REDIS_URL, log), namespace, TTL_MS, log);
      opened.push(revocations);
      return revocations;
    };
    after(async () => {
      for (const revocations of opened) await revocations.close();
      await cleanupNamespace(namespace);
    });

    test('a follower hears a revocation once; one that follows later hears it from the set at start', async () => {
      const worker = open();
      const api = open();
      const heard: string[] = [];
      api.onRevoked((sid) => heard.push(sid));
      await api.follow();
      const sid = randomUUID();
      await worker.revoke(sid);
      await until('the follower heard it', () => heard.includes(sid));
      await worker.revoke(sid);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        heard.filter((s) => s === sid),
        [sid],
        'once, however often it is broadcast',
      );

      const late = open();
      const heardLate: string[] = [];
      late.onRevoked((s) => heardLate.push(s));
      await late.follow();
      assert.ok(heardLate.includes(sid), 'a process that was away learns of it when it starts following');
    });
  });
});
