import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryPasswordWork, sourceOf, type PasswordWorkBudget } from '@authgate/shared/security/password-work';
import { RedisPasswordWork } from '@authgate/shared/security/redis-password-work';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../test/helpers/services.ts';

// The budget of concurrent password work per source, so that one address cannot hold the whole
// password lane: one contract, both drivers.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Driver {
  /** Two edges of one deployment: they share the budget. */
  edges(perSource: number): [PasswordWorkBudget, PasswordWorkBudget];
  close(): Promise<void>;
}

function memoryDriver(): Driver {
  return {
    edges(perSource) {
      const shared = new MemoryPasswordWork(perSource);
      return [shared, shared];
    },
    async close() {},
  };
}

function redisDriver(): Driver {
  const namespace = uniqueNamespace('pwwork');
  const clients: Redis[] = [];
  return {
    edges(perSource) {
      const make = () => {
        const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
        clients.push(client);
        return new RedisPasswordWork(client, namespace, perSource);
      };
      return [make(), make()];
    },
    async close() {
      await Promise.all(clients.map((c) => c.quit()));
      await cleanupNamespace(namespace).catch(() => {});
    },
  };
}

for (const [name, make] of [
  ['memory', memoryDriver],
  ['redis', redisDriver],
] as const) {
  describe(`password work budget: ${name}`, () => {
    const driver = make();
    after(() => driver.close());
    const ready = async (budget: PasswordWorkBudget) => {
      if (budget instanceof RedisPasswordWork) await sleep(100); // the client connects
    };

    test('a source holds at most its budget, across edges; a release on either edge frees a unit; sources are apart', async () => {
      const [a, b] = driver.edges(2);
      await ready(a);
      const deadline = Date.now() + 10_000;
      const source = `v4:192.0.2.${Math.floor(Math.random() * 250)}`;
      const first = randomUUID();
      assert.equal(await a.acquire(source, first, deadline, true), true); // leased: its result may come to another edge
      assert.equal(await b.acquire(source, randomUUID(), deadline), true);
      assert.equal(await a.acquire(source, randomUUID(), deadline), false);
      assert.equal(await b.acquire(source, randomUUID(), deadline), false);
      assert.equal(await a.acquire(`${source}0`, randomUUID(), deadline), true, 'another source has its own budget');
      await b.release(first); // released by the other edge (a deferred result)
      await b.release(first); // twice: no unit to spare
      await b.release(randomUUID()); // unknown: nothing
      assert.equal(await a.acquire(source, randomUUID(), deadline), true);
      assert.equal(await a.acquire(source, randomUUID(), deadline), false);
    });

    test('the edge that took a unit gives it back by its source', async () => {
      const [a] = driver.edges(1);
      await ready(a);
      const deadline = Date.now() + 10_000;
      const source = `v4:198.51.100.${Math.floor(Math.random() * 250)}`;
      const held = randomUUID();
      assert.equal(await a.acquire(source, held, deadline), true);
      assert.equal(await a.acquire(source, randomUUID(), deadline), false);
      await a.release(held, source);
      assert.equal(await a.acquire(source, randomUUID(), deadline), true);
    });

    test('a unit expires at its deadline by itself: a dead edge cannot leak the budget', async () => {
      const [a] = driver.edges(1);
      await ready(a);
      const source = `v6:2001:db8:${Math.floor(Math.random() * 9999)}:1::/64`;
      assert.equal(await a.acquire(source, randomUUID(), Date.now() + 300), true);
      assert.equal(await a.acquire(source, randomUUID(), Date.now() + 10_000), false);
      await sleep(400);
      assert.equal(await a.acquire(source, randomUUID(), Date.now() + 10_000), true);
    });
  });
}

describe('password work budget: Redis away', () => {
  test('the in-memory insurance budget answers at once and still bounds a source', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 1000 });
    unreachable.on('error', () => {});
    try {
      const budget = new RedisPasswordWork(unreachable, 'nowhere', 1);
      const held = randomUUID();
      assert.equal(await budget.acquire('v4:192.0.2.1', held, Date.now() + 10_000), true);
      assert.equal(await budget.acquire('v4:192.0.2.1', randomUUID(), Date.now() + 10_000), false);
      await budget.release(held);
      assert.equal(await budget.acquire('v4:192.0.2.1', randomUUID(), Date.now() + 10_000), true);
    } finally {
      unreachable.disconnect();
    }
  });
});

describe('the source of an address', () => {
  test('IPv4 by address, IPv6 by /64, IPv4-mapped IPv6 as IPv4, anything else as itself', () => {
    assert.equal(sourceOf('192.0.2.7'), 'v4:192.0.2.7');
    assert.equal(sourceOf('::ffff:192.0.2.7'), 'v4:192.0.2.7');
    assert.equal(sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), 'v6:2001:db8:1:2::/64');
    assert.equal(sourceOf('2001:db8:1:2::1'), sourceOf('2001:0db8:0001:0002:ffff::9'), 'one /64, however written');
    assert.notEqual(sourceOf('2001:db8:1:2::1'), sourceOf('2001:db8:1:3::1'));
    assert.equal(sourceOf('not-an-address'), 'other:not-an-address');
  });
});
