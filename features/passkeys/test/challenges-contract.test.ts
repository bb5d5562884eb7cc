import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import type { PasskeyChallengeStore } from '../stores/challenges.ts';
import { MemoryPasskeyChallenges } from '../stores/memory-challenges.ts';
import { RedisPasskeyChallenges } from '../stores/redis-challenges.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const newKey = () => randomBytes(32).toString('base64url');
const namespace = uniqueNamespace('passkey-challenges');

/** The all-in-one's store and the distributed one pass the same suite: neither is a mock of the other. */
const drivers: Array<{ name: string; make: () => PasskeyChallengeStore }> = [
  { name: 'memory', make: () => new MemoryPasskeyChallenges() },
  { name: 'redis', make: () => new RedisPasskeyChallenges(new Redis(REDIS_URL), namespace) },
];

after(() => cleanupNamespace(namespace));

for (const driver of drivers) {
  describe(`passkey challenge store contract: ${driver.name}`, () => {
    const store = driver.make();
    after(() => store.close());

    test('a challenge is taken once, with what it was kept with', async () => {
      const key = newKey();
      const userId = randomUUID();
      assert.equal(await store.put('register', key, { challenge: key, userId }, 60_000), true);
      assert.deepEqual(await store.take('register', key), { challenge: key, userId });
      assert.equal(await store.take('register', key), undefined, 'single use');
    });

    test('a sign-in challenge has no account; purposes do not mix', async () => {
      const key = newKey();
      const challenge = newKey();
      await store.put('login', key, { challenge }, 60_000);
      assert.equal(await store.take('register', key), undefined, 'a sign-in challenge is no registration challenge');
      assert.deepEqual(await store.take('login', key), { challenge });
    });

    test('an unknown key, or one not shaped like ours, is nothing', async () => {
      assert.equal(await store.take('login', newKey()), undefined);
      for (const bad of ['', 'short', 'x'.repeat(129), 'has spaces in it, not base64url', `${newKey()}/`]) {
        assert.equal(await store.take('login', bad), undefined, JSON.stringify(bad));
      }
    });

    test('concurrent takes: exactly one gets it', async () => {
      const key = newKey();
      await store.put('login', key, { challenge: newKey() }, 60_000);
      const takes = await Promise.all(Array.from({ length: 20 }, () => store.take('login', key)));
      assert.equal(takes.filter((t) => t !== undefined).length, 1);
    });

    test('it expires with its TTL', async () => {
      const key = newKey();
      await store.put('login', key, { challenge: newKey() }, 150);
      await sleep(300);
      assert.equal(await store.take('login', key), undefined);
    });

    test('ready', async () => {
      assert.equal(await store.ready(), true);
    });
  });
}

describe('memory store bound', () => {
  test('past its bound a new challenge is refused until expired ones are swept', async () => {
    let now = 1_000_000;
    const store = new MemoryPasskeyChallenges(3, () => now);
    const keys = [newKey(), newKey(), newKey()];
    for (const key of keys) assert.equal(await store.put('login', key, { challenge: key }, 300_000), true);
    assert.equal(await store.put('login', newKey(), { challenge: 'x' }, 300_000), false, 'full: refused, nothing kept');
    assert.deepEqual(await store.take('login', keys[0]!), { challenge: keys[0] }, 'what was kept is still there');
    assert.equal(await store.put('login', newKey(), { challenge: 'y' }, 300_000), true, 'a taken one made room');
    now += 300_000;
    assert.equal(await store.put('login', newKey(), { challenge: 'z' }, 300_000), true, 'the expired ones were swept');
    assert.equal(await store.take('login', keys[1]!), undefined, 'expired');
  });

  test('a challenge is good until its last millisecond: 4:59 taken, 5:01 not', async () => {
    let now = 5_000;
    const store = new MemoryPasskeyChallenges(10, () => now);
    const early = newKey();
    const late = newKey();
    await store.put('login', early, { challenge: early }, 300_000);
    await store.put('login', late, { challenge: late }, 300_000);
    now += 299_000;
    assert.deepEqual(await store.take('login', early), { challenge: early });
    now += 2_000;
    assert.equal(await store.take('login', late), undefined);
  });
});
