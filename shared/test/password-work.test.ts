import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryPasswordWork, sourceOf, type PasswordWorkBudget } from '@authgate/shared/security/password-work';
import { RedisPasswordWork } from '@authgate/shared/security/redis-password-work';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../test/helpers/services.ts';

// Password work per source (docs/shared-addresses.md): each unit taken answers its round (how many
// units the source held before it), up to a bound per source. One contract, both drivers.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Driver {
  /** Two edges of one deployment, connected: they share the units. */
  edges(perSource: number): Promise<[PasswordWorkBudget, PasswordWorkBudget]>;
  close(): Promise<void>;
}

function memoryDriver(): Driver {
  return {
    async edges(perSource) {
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
    async edges(perSource) {
      const make = async () => {
        const client = new Redis(REDIS_URL, { enableOfflineQueue: false });
        clients.push(client);
        // The client's own event: with the offline queue off, a command sent before it would fail
        // and be answered by the in-memory insurance instead of Redis.
        await once(client, 'ready');
        return new RedisPasswordWork(client, namespace, perSource);
      };
      return [await make(), await make()];
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
  describe(`password work per source: ${name}`, () => {
    const driver = make();
    after(() => driver.close());

    test('each unit answers its round, counted across edges, up to the bound; a release on either edge frees one; sources are apart', async () => {
      const [a, b] = await driver.edges(3);
      const deadline = Date.now() + 10_000;
      const source = `v4:192.0.2.${Math.floor(Math.random() * 250)}`;
      const first = randomUUID();
      assert.equal(await a.acquire(source, first, deadline, true), 0); // leased: its result may come to another edge
      assert.equal(await b.acquire(source, randomUUID(), deadline), 1);
      assert.equal(await a.acquire(source, randomUUID(), deadline), 2);
      assert.equal(await b.acquire(source, randomUUID(), deadline), undefined, 'past the bound');
      assert.equal(await a.acquire(source, randomUUID(), deadline), undefined);
      assert.equal(await a.acquire(`${source}0`, randomUUID(), deadline), 0, 'another source has its own count: its first unit is round 0');
      await b.release(first); // released by the other edge (a deferred result)
      await b.release(first); // twice: no unit to spare
      await b.release(randomUUID()); // unknown: nothing
      assert.equal(await a.acquire(source, randomUUID(), deadline), 2, 'two held: the next is round 2');
      assert.equal(await a.acquire(source, randomUUID(), deadline), undefined);
    });

    test('units taken at the same moment on two edges each get their own round', async () => {
      const [a, b] = await driver.edges(100);
      const deadline = Date.now() + 10_000;
      const source = `v4:203.0.113.${Math.floor(Math.random() * 250)}`;
      const rounds = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).acquire(source, randomUUID(), deadline)));
      assert.deepEqual(
        [...rounds].sort((x, y) => x! - y!),
        Array.from({ length: 20 }, (_, i) => i),
      );
    });

    test('the edge that took a unit gives it back by its source', async () => {
      const [a] = await driver.edges(1);
      const deadline = Date.now() + 10_000;
      const source = `v4:198.51.100.${Math.floor(Math.random() * 250)}`;
      const held = randomUUID();
      assert.equal(await a.acquire(source, held, deadline), 0);
      assert.equal(await a.acquire(source, randomUUID(), deadline), undefined);
      await a.release(held, source);
      assert.equal(await a.acquire(source, randomUUID(), deadline), 0);
    });

    test("a unit expires at its deadline by itself: a dead edge cannot leak a source's units", async () => {
      const [a] = await driver.edges(1);
      const source = `v6:2001:db8:${Math.floor(Math.random() * 9999)}:1::/64`;
      assert.equal(await a.acquire(source, randomUUID(), Date.now() + 300), 0);
      assert.equal(await a.acquire(source, randomUUID(), Date.now() + 10_000), undefined);
      await sleep(400);
      assert.equal(await a.acquire(source, randomUUID(), Date.now() + 10_000), 0, 'the expired unit no longer counts toward the round either');
    });
  });
}

describe('password work per source: Redis away', () => {
  test('the in-memory insurance answers at once, still counts rounds and still bounds a source', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 1000 });
    unreachable.on('error', () => {});
    try {
      const budget = new RedisPasswordWork(unreachable, 'nowhere', 1);
      const held = randomUUID();
      assert.equal(await budget.acquire('v4:192.0.2.1', held, Date.now() + 10_000), 0);
      assert.equal(await budget.acquire('v4:192.0.2.1', randomUUID(), Date.now() + 10_000), undefined);
      await budget.release(held);
      assert.equal(await budget.acquire('v4:192.0.2.1', randomUUID(), Date.now() + 10_000), 0);
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
