import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { MemoryMfaChallengeStore, mfaTokenDigest, newMfaToken, type MfaChallengeStore } from '@authgate/features/second-factor/stores/challenges';
import { RedisMfaChallengeStore } from '@authgate/features/second-factor/stores/redis-challenges';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const namespace = uniqueNamespace('mfa-challenges');

/** The all-in-one's store and the distributed one pass the same suite: neither is a mock of the other. */
const drivers: Array<{ name: string; make: () => MfaChallengeStore }> = [
  { name: 'memory', make: () => new MemoryMfaChallengeStore() },
  { name: 'redis', make: () => new RedisMfaChallengeStore(new Redis(REDIS_URL), namespace) },
];

after(() => cleanupNamespace(namespace));

for (const driver of drivers) {
  describe(`mfa challenge store contract: ${driver.name}`, () => {
    const store = driver.make();
    after(() => store.close());

    test('a challenge is found by its digest, each attempt counted, and taken once', async () => {
      const { digest } = newMfaToken();
      const userId = randomUUID();
      await store.create(digest, { userId, deviceId: 'laptop' }, 60_000);
      assert.deepEqual(await store.attempt(digest, 5), { userId, deviceId: 'laptop', attempt: 1 });
      assert.deepEqual(await store.attempt(digest, 5), { userId, deviceId: 'laptop', attempt: 2 });
      assert.equal(await store.take(digest), true);
      assert.equal(await store.take(digest), false, 'single use');
      assert.equal(await store.attempt(digest, 5), undefined);
    });

    test('no device is undefined, not an empty string; an unknown digest is nothing', async () => {
      const { digest } = newMfaToken();
      await store.create(digest, { userId: 'u' }, 60_000);
      assert.equal((await store.attempt(digest, 5))?.deviceId, undefined);
      assert.equal(await store.attempt(newMfaToken().digest, 5), undefined);
    });

    test('past maxAttempts the challenge is gone for good', async () => {
      const { digest } = newMfaToken();
      await store.create(digest, { userId: 'u' }, 60_000);
      for (let i = 1; i <= 5; i++) assert.equal((await store.attempt(digest, 5))?.attempt, i);
      assert.equal(await store.attempt(digest, 5), undefined);
      assert.equal(await store.attempt(digest, 1000), undefined, 'a larger limit does not bring it back');
      assert.equal(await store.take(digest), false);
    });

    test('concurrent attempts each get their own count: 50 at once, exactly 5 admitted', async () => {
      const { digest } = newMfaToken();
      await store.create(digest, { userId: 'u' }, 60_000);
      const attempts = await Promise.all(Array.from({ length: 50 }, () => store.attempt(digest, 5)));
      const admitted = attempts.filter((a) => a !== undefined);
      assert.equal(admitted.length, 5);
      assert.deepEqual(admitted.map((a) => a.attempt).sort(), [1, 2, 3, 4, 5]);
    });

    test('concurrent takes: exactly one wins', async () => {
      const { digest } = newMfaToken();
      await store.create(digest, { userId: 'u' }, 60_000);
      const takes = await Promise.all(Array.from({ length: 20 }, () => store.take(digest)));
      assert.equal(takes.filter(Boolean).length, 1);
    });

    test("endAllOf ends every pending challenge of the account, attempted or not, and no other account's", async () => {
      const userId = randomUUID();
      const other = randomUUID();
      const mine = [newMfaToken().digest, newMfaToken().digest, newMfaToken().digest];
      const theirs = newMfaToken().digest;
      for (const digest of mine) await store.create(digest, { userId, deviceId: 'phone' }, 60_000);
      await store.create(theirs, { userId: other }, 60_000);
      assert.equal((await store.attempt(mine[0]!, 5))?.attempt, 1);
      assert.equal(await store.take(mine[2]!), true, 'one of them already used');

      assert.equal(await store.endAllOf(userId), 2, 'the two still pending');
      for (const digest of mine) {
        assert.equal(await store.attempt(digest, 5), undefined);
        assert.equal(await store.take(digest), false);
      }
      assert.equal((await store.attempt(theirs, 5))?.userId, other, "another account's challenge is untouched");
      assert.equal(await store.endAllOf(userId), 0, 'nothing left to end');

      const later = newMfaToken().digest;
      await store.create(later, { userId }, 60_000);
      assert.equal((await store.attempt(later, 5))?.userId, userId, 'a challenge made afterwards lives');
      assert.equal(await store.endAllOf(randomUUID()), 0, 'an account with none');
    });

    test('endAllOf under concurrency: 20 challenges of one account ended by two calls at once, each once', async () => {
      const userId = randomUUID();
      const digests = Array.from({ length: 20 }, () => newMfaToken().digest);
      await Promise.all(digests.map((digest) => store.create(digest, { userId }, 60_000)));
      const [a, b] = await Promise.all([store.endAllOf(userId), store.endAllOf(userId)]);
      assert.equal(a! + b!, 20);
      assert.deepEqual(await Promise.all(digests.map((digest) => store.attempt(digest, 5))), Array(20).fill(undefined));
    });

    test('it expires with its TTL', async () => {
      const { digest } = newMfaToken();
      const userId = randomUUID();
      await store.create(digest, { userId }, 150);
      await sleep(300);
      assert.equal(await store.attempt(digest, 5), undefined);
      assert.equal(await store.take(digest), false);
      assert.equal(await store.endAllOf(userId), 0, 'an expired challenge is not counted as ended');
    });

    test('ready', async () => {
      assert.equal(await store.ready(), true);
    });
  });
}

describe('mfaToken', () => {
  test('256 random bits, base64url; stored as its SHA-256 digest; a malformed token has no digest', () => {
    const { token, digest } = newMfaToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.equal(mfaTokenDigest(token), digest);
    assert.notEqual(digest, token);
    assert.notEqual(newMfaToken().token, token);
    for (const bad of ['', 'short', `${token}x`, `${token.slice(1)}!`]) assert.equal(mfaTokenDigest(bad), undefined);
  });
});
