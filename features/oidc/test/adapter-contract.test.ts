import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { errors } from 'oidc-provider';
import { PrivateRedisCluster } from '../../../scripts/lib/redis-cluster.ts';
import { REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';
import { memoryAdapterFactory } from '../stores/memory-adapter.ts';
import { redisAdapterFactory } from '../stores/redis-adapter.ts';
import { TtlMap } from '../stores/ttl-map.ts';
import type { AdapterFactory } from '../stores/types.ts';
import { deleteTagged } from './support/redis.ts';

const now = () => Math.floor(Date.now() / 1000);
let counter = 0;
const unique = (label: string) => `${label}${++counter}x${Math.random().toString(36).slice(2, 8)}`;

/** The provider's storage, one suite for every driver: in-process, Redis, and a Redis Cluster that refuses cross-slot commands. */
function adapterContract(name: string, setup: () => Promise<{ factory: AdapterFactory; teardown(): Promise<void> }>): void {
  describe(`OpenID storage contract: ${name}`, () => {
    let factory: AdapterFactory;
    let teardown: (() => Promise<void>) | undefined;
    before(async () => {
      ({ factory, teardown } = await setup());
    });
    after(async () => teardown?.());

    test('upsert then find gives the payload back; an unknown id is undefined', async () => {
      const tokens = factory('AccessToken');
      const id = unique('at');
      const payload = { jti: id, kind: 'AccessToken', accountId: 'u1', exp: now() + 60, nested: { a: [1, 2] } };
      await tokens.upsert(id, payload, 60);
      assert.deepEqual(await tokens.find(id), payload);
      assert.equal(await tokens.find(unique('missing')), undefined);
    });

    test('each model is a namespace of its own', async () => {
      const id = unique('same');
      await factory('AccessToken').upsert(id, { jti: id }, 60);
      assert.equal(await factory('RefreshToken').find(id), undefined);
    });

    test('what find returns is a copy', async () => {
      const grants = factory('Grant');
      const id = unique('g');
      await grants.upsert(id, { jti: id, openid: { scope: 'openid' } }, 60);
      const found = (await grants.find(id))!;
      (found.openid as { scope: string }).scope = 'changed';
      assert.equal(((await grants.find(id))!.openid as { scope: string }).scope, 'openid');
    });

    test('an entity is gone after expiresIn seconds', async () => {
      const interactions = factory('Interaction');
      const id = unique('i');
      await interactions.upsert(id, { jti: id }, 1);
      assert.ok(await interactions.find(id));
      await sleep(1_200);
      assert.equal(await interactions.find(id), undefined);
    });

    test('upsert overwrites, and a new payload is not consumed', async () => {
      const codes = factory('AuthorizationCode');
      const id = unique('c');
      await codes.upsert(id, { jti: id, v: 1 }, 60);
      await codes.consume(id);
      await codes.upsert(id, { jti: id, v: 2 }, 60);
      const found = (await codes.find(id))!;
      assert.equal(found.v, 2);
      assert.equal(found.consumed, undefined);
    });

    test('consume marks the time; a second consume is refused as invalid_grant', async () => {
      const tokens = factory('RefreshToken');
      const id = unique('rt');
      await tokens.upsert(id, { jti: id, grantId: unique('g') }, 60);
      await tokens.consume(id);
      const consumed = (await tokens.find(id))!.consumed as number;
      assert.ok(Math.abs(consumed - now()) <= 2, `consumed at ${consumed}`);
      await assert.rejects(tokens.consume(id), (err: unknown) => err instanceof errors.InvalidGrant);
    });

    test('eight concurrent consumes of one refresh token: exactly one wins', async () => {
      const tokens = factory('RefreshToken');
      const id = unique('rt');
      await tokens.upsert(id, { jti: id }, 60);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => tokens.consume(id)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    });

    test('consuming an unknown id creates nothing', async () => {
      const codes = factory('AuthorizationCode');
      const id = unique('none');
      await codes.consume(id);
      assert.equal(await codes.find(id), undefined);
    });

    test('destroy removes; destroying an unknown id is no error', async () => {
      const tokens = factory('AccessToken');
      const id = unique('at');
      await tokens.upsert(id, { jti: id }, 60);
      await tokens.destroy(id);
      assert.equal(await tokens.find(id), undefined);
      await tokens.destroy(unique('never'));
    });

    test('Session: findByUid follows the rotating id, and a late destroy of the old id keeps the new one', async () => {
      const sessions = factory('Session');
      const uid = unique('uid');
      const first = unique('s');
      const second = unique('s');
      await sessions.upsert(first, { jti: first, uid, accountId: 'u1' }, 60);
      assert.equal((await sessions.findByUid(uid))!.jti, first);
      // Session.save after resetIdentifier(): destroy(old), upsert(new).
      await sessions.destroy(first);
      await sessions.upsert(second, { jti: second, uid, accountId: 'u1' }, 60);
      assert.equal((await sessions.findByUid(uid))!.jti, second);
      await sessions.destroy(first);
      assert.equal((await sessions.findByUid(uid))!.jti, second);
      await sessions.destroy(second);
      assert.equal(await sessions.findByUid(uid), undefined);
    });

    test('DeviceCode: findByUserCode', async () => {
      const codes = factory('DeviceCode');
      const id = unique('dc');
      const userCode = unique('UC');
      await codes.upsert(id, { jti: id, userCode, grantId: unique('g') }, 60);
      assert.equal((await codes.findByUserCode(userCode))!.jti, id);
      await codes.destroy(id);
      assert.equal(await codes.findByUserCode(userCode), undefined);
    });

    test('revokeByGrantId removes every token of that grant, across models, and nothing of another grant', async () => {
      const grantId = unique('g');
      const other = unique('g');
      const made: Array<[string, string, string]> = [];
      for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode']) {
        for (const grant of [grantId, other]) {
          const id = unique(model);
          await factory(model).upsert(id, { jti: id, grantId: grant }, 60);
          made.push([model, id, grant]);
        }
      }
      await factory('AccessToken').revokeByGrantId(grantId);
      for (const [model, id, grant] of made)
        assert.equal((await factory(model).find(id)) !== undefined, grant === other, `${model} of ${grant === grantId ? 'the revoked' : 'the other'} grant`);
    });

    test('a token destroyed before its grant is revoked, and one saved after, are both handled', async () => {
      const grantId = unique('g');
      const tokens = factory('RefreshToken');
      const early = unique('rt');
      await tokens.upsert(early, { jti: early, grantId }, 60);
      await tokens.destroy(early);
      await tokens.revokeByGrantId(grantId);
      const late = unique('rt');
      await tokens.upsert(late, { jti: late, grantId }, 60);
      await tokens.revokeByGrantId(grantId);
      assert.equal(await tokens.find(late), undefined);
    });

    test('an outside id with a brace finds nothing (on Redis it would choose its own slot)', async () => {
      const tokens = factory('RefreshToken');
      assert.equal(await tokens.find('evil}{slot'), undefined);
      assert.equal(await factory('Session').findByUid('{x}'), undefined);
      await tokens.consume('evil}{slot');
      await tokens.destroy('evil}{slot');
    });
  });
}

adapterContract('in-process', async () => {
  const entities = new TtlMap();
  return { factory: memoryAdapterFactory(entities), teardown: async () => entities.close() };
});

adapterContract('Redis', async () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `${uniqueNamespace('oidc-adapter')}:oidc`;
  return {
    factory: redisAdapterFactory(redis, prefix),
    teardown: async () => {
      await deleteTagged(redis, prefix);
      await redis.quit();
    },
  };
});

adapterContract('Redis Cluster (3 masters; a command across two slots is refused)', async () => {
  const cluster = await PrivateRedisCluster.start({ masters: 3, replicas: 0 });
  const client = new Cluster(cluster.addresses, { lazyConnect: false });
  const prefix = `${uniqueNamespace('oidc-cluster')}:oidc`;
  // The suite proves something only if this cluster does refuse a MULTI whose keys span two slots.
  await assert.rejects(client.multi().set(`{${prefix}:a}`, '1').set(`{${prefix}:b}`, '1').exec(), /CROSSSLOT|same slot/i);
  return {
    factory: redisAdapterFactory(client, prefix),
    teardown: async () => {
      await client.quit();
      await cluster.stop();
    },
  };
});
