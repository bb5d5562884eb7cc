import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import { MemoryStuffingStore } from '../stores/memory.ts';
import { RedisStuffingStore } from '../stores/redis.ts';
import type { StuffingStore } from '../stores/types.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The all-in-one's store and the distributed one pass the same suite: neither is a mock of the other. */
const drivers: Array<{ name: string; make: (namespace: string) => StuffingStore }> = [
  { name: 'memory', make: () => new MemoryStuffingStore() },
  { name: 'redis', make: (namespace) => new RedisStuffingStore(new Redis(REDIS_URL), namespace) },
];

for (const driver of drivers) {
  describe(`stuffing store contract: ${driver.name}`, () => {
    const namespace = uniqueNamespace('stuffing-store');
    const store = driver.make(namespace);
    after(async () => {
      await store.close();
      await cleanupNamespace(namespace);
    });

    test('counts add up per second, from several writers, and distinct sources are counted once', async () => {
      const second = Math.floor(Date.now() / 1000);
      await store.add(second - 1, 3, ['v4:127.0.0.1', 'v4:127.0.0.2']);
      await store.add(second - 1, 2, ['v4:127.0.0.2', 'v4:127.0.0.3']);
      await store.add(second, 1, ['v4:127.0.0.4']);
      const window = await store.read(second, 4);
      assert.deepEqual(window.perSecond, [0, 0, 5, 1]);
      assert.equal(window.sources, 4);
    });

    test('a thousand sources are counted to within the estimate’s error', async () => {
      const second = Math.floor(Date.now() / 1000);
      const sources = Array.from({ length: 1000 }, (_, i) => `v4:10.0.${i >> 8}.${i & 255}`);
      const fresh = driver.make(uniqueNamespace('stuffing-store'));
      await fresh.add(second, 1000, sources);
      const { sources: counted } = await fresh.read(second, 1);
      await fresh.close();
      assert.ok(Math.abs(counted - 1000) <= 20, `counted ${counted}`);
    });

    test('challenges issued are summed by minute and taken once', async () => {
      const second = Math.floor(Date.now() / 1000);
      const minute = Math.floor(second / 60);
      await store.add(second, 3, ['v4:127.0.0.9'], 3);
      await store.add(second, 2, ['v4:127.0.0.9'], 2);
      await store.add(second, 7, ['v4:127.0.0.9']);
      const taken = await Promise.all([store.takeIssued(minute), store.takeIssued(minute)]);
      assert.deepEqual(taken.sort(), [5, null]);
      assert.equal(await store.takeIssued(minute - 1), null);
    });

    test('the state begins once (one caller wins), renews only while on, ends once', async () => {
      assert.equal(await store.state(), null);
      const state = { since: Date.now(), difficulty: 16, rate: 25 };
      const wins = await Promise.all([store.begin(state, 10_000), store.begin({ ...state, rate: 99 }, 10_000)]);
      assert.deepEqual(wins.sort(), [false, true]);
      await store.renew({ ...state, difficulty: 17 }, 10_000);
      assert.equal((await store.state())?.difficulty, 17);
      const ends = await Promise.all([store.end(), store.end()]);
      assert.equal(ends.filter((e) => e !== null).length, 1, 'exactly one caller ends it');
      await store.renew(state, 10_000);
      assert.equal(await store.state(), null, 'a renew after the end does not turn it back on');
    });

    test('a state that is not renewed ends by itself', async () => {
      await store.begin({ since: Date.now(), difficulty: 16, rate: 25 }, 150);
      assert.notEqual(await store.state(), null);
      await sleep(300);
      assert.equal(await store.state(), null);
      await store.end();
    });

    test('a challenge is spent once, until its expiry', async () => {
      const id = randomBytes(16).toString('base64url');
      const results = await Promise.all([store.spend(id, Date.now() + 300), store.spend(id, Date.now() + 300)]);
      assert.deepEqual(results.sort(), [false, true]);
      assert.equal(await store.spend(randomBytes(16).toString('base64url'), Date.now() + 300), true, 'another id is free');
    });
  });
}
