import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { PrivateRedisCluster } from '../../../scripts/lib/redis-cluster.ts';
import { REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import type { SessionLinks } from '../stores/links.ts';
import { MemorySessionLinks } from '../stores/memory-links.ts';
import { RedisSessionLinks } from '../stores/redis-links.ts';
import { deleteTagged } from './support/redis.ts';

/** authgate session ↔ provider sessions, and the claim that lets one API process of many end a session. */
function linksContract(name: string, setup: () => Promise<{ open(holder: string): SessionLinks; teardown(): Promise<void> }>): void {
  describe(`OpenID session links contract: ${name}`, () => {
    let a: SessionLinks;
    let b: SessionLinks;
    let teardown: (() => Promise<void>) | undefined;
    before(async () => {
      const made = await setup();
      a = made.open('api-1');
      // A second process on the same store (the memory driver is one process: the same instance).
      b = name === 'in-process' ? a : made.open('api-2');
      teardown = made.teardown;
    });
    after(async () => teardown?.());

    test('link records both ways; an unknown uid has no sid', async () => {
      const sid = randomUUID();
      await a.link(sid, 'uid-1', 60);
      await a.link(sid, 'uid-2', 60);
      assert.equal(await b.sidOf('uid-1'), sid);
      assert.equal(await b.sidOf(`never-${randomUUID()}`), undefined);
      const claimed = await b.claim(sid, 5_000);
      assert.deepEqual(claimed?.sort(), ['uid-1', 'uid-2']);
      assert.equal(await b.release(sid, claimed!), 0);
    });

    test('one claim at a time: a second process gets undefined until the first releases, then nothing is left', async () => {
      const sid = randomUUID();
      await a.link(sid, `u-${sid}`, 60);
      const first = await a.claim(sid, 5_000);
      assert.deepEqual(first, [`u-${sid}`]);
      if (a !== b) assert.equal(await b.claim(sid, 5_000), undefined, 'another process is refused the claim');
      assert.equal(await a.claim(sid, 5_000), undefined, 'the same claim twice is refused');
      assert.equal(await a.release(sid, first!), 0);
      assert.equal(await b.sidOf(`u-${sid}`), undefined, 'the reverse link is gone');
      assert.deepEqual(await b.claim(sid, 5_000), [], 'released: claimable, and empty');
      await b.release(sid, []);
    });

    test('a claim lapses after its lease: a process that died mid-way is taken over', async () => {
      const sid = randomUUID();
      await a.link(sid, `u-${sid}`, 60);
      assert.deepEqual(await a.claim(sid, 300), [`u-${sid}`]);
      await sleep(500);
      assert.deepEqual(await b.claim(sid, 5_000), [`u-${sid}`]);
      await b.release(sid, [`u-${sid}`]);
    });

    test('a link made while an ending ran survives its release and is counted', async () => {
      const sid = randomUUID();
      await a.link(sid, 'early', 60);
      const claimed = await a.claim(sid, 5_000);
      await b.link(sid, 'late', 60);
      assert.equal(await a.release(sid, claimed!), 1);
      assert.deepEqual(await b.claim(sid, 5_000), ['late']);
      assert.equal(await b.release(sid, ['late']), 0);
    });

    test('a provider session signed in again with another authgate session moves to it', async () => {
      const [old, next] = [randomUUID(), randomUUID()];
      await a.link(old, 'moving', 60);
      await a.link(next, 'moving', 60);
      assert.equal(await b.sidOf('moving'), next);
      assert.deepEqual(await b.claim(old, 5_000), []);
      await b.release(old, []);
      // Ending the old session forgets nothing of the new one.
      assert.equal(await b.sidOf('moving'), next);
    });

    test('links expire with their time to live', async () => {
      const sid = randomUUID();
      await a.link(sid, `short-${sid}`, 1);
      await sleep(1_300);
      assert.equal(await b.sidOf(`short-${sid}`), undefined);
      assert.deepEqual(await b.claim(sid, 5_000), []);
      await b.release(sid, []);
    });
  });
}

linksContract('in-process', async () => {
  const links = new MemorySessionLinks();
  return { open: () => links, teardown: () => links.close() };
});

linksContract('Redis', async () => {
  const prefix = `${uniqueNamespace('oidc-links')}:oidc`;
  const clients: Redis[] = [];
  return {
    open: (holder) => {
      const redis = new Redis(REDIS_URL);
      clients.push(redis);
      return new RedisSessionLinks(redis, prefix, holder);
    },
    teardown: async () => {
      await deleteTagged(clients[0]!, prefix);
      for (const redis of clients) await redis.quit();
    },
  };
});

linksContract('Redis Cluster (3 masters)', async () => {
  const cluster = await PrivateRedisCluster.start({ masters: 3, replicas: 0 });
  const prefix = `${uniqueNamespace('oidc-links-cluster')}:oidc`;
  const clients: Cluster[] = [];
  return {
    open: (holder) => {
      const client = new Cluster(cluster.addresses);
      clients.push(client);
      return new RedisSessionLinks(client, prefix, holder);
    },
    teardown: async () => {
      for (const client of clients) await client.quit();
      await cluster.stop();
    },
  };
});
