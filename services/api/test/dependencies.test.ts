import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_URL } from '../../../test/helpers/services.ts';
import { ApiFixture, assertError, bearer } from './fixture.ts';
import { startTcpRelay } from './tcp-relay.ts';

describe('account API: when a dependency is down', () => {
  describe('Redis gone', () => {
    let fx: ApiFixture;
    let relay: Awaited<ReturnType<typeof startTcpRelay>>;

    before(async () => {
      const redis = new URL(REDIS_URL);
      relay = await startTcpRelay({ host: redis.hostname, port: Number(redis.port || 6379) });
      fx = await ApiFixture.start('api-noredis', { REDIS_URL: `redis://127.0.0.1:${relay.port}`, CHECK_EMAIL_PER_MINUTE: '2' });
    });

    after(async () => {
      await relay?.cut();
      await fx?.close();
    });

    test('/ready goes from 200 to 503 {status:"unavailable"} when Redis goes; /health stays 200', async () => {
      assert.equal((await fx.request('/ready')).status, 200);
      await relay.cut();
      const ready = await fx.request('/ready');
      assert.equal(ready.status, 503, ready.text);
      assert.deepEqual(ready.body, { status: 'unavailable' });
      assert.equal((await fx.request('/health')).status, 200);
    });

    test('without Redis, check-email still answers and the in-memory insurance limiter still limits', async () => {
      for (let i = 0; i < 2; i++) assert.equal((await fx.request('/users/check-email?email=a%40example.test')).status, 200);
      assertError(await fx.request('/users/check-email?email=a%40example.test'), 429, 'rate_limited', 'insurance limiter');
    });
  });

  describe('PostgreSQL gone', () => {
    let fx: ApiFixture;

    before(async () => {
      fx = await ApiFixture.start('api-nopg', { CHECK_EMAIL_PER_MINUTE: '100' });
    });

    after(async () => {
      await fx?.close();
    });

    test('before: ready; after its database is dropped: /ready 503 and reads answer 503 overloaded', async () => {
      const user = await fx.createUser();
      const token = await fx.token({ sub: user.id });
      assert.equal((await fx.request('/ready')).status, 200);
      assert.equal((await fx.request('/auth/me', bearer(token))).status, 200);
      await fx.dropDatabase();
      const ready = await fx.request('/ready');
      assert.equal(ready.status, 503, ready.text);
      assert.deepEqual(ready.body, { status: 'unavailable' });
      assertError(await fx.request('/users/check-email?email=a%40example.test'), 503, 'overloaded', 'check-email');
      assertError(await fx.request('/auth/me', bearer(token)), 503, 'overloaded', '/auth/me');
      // Token checks need no database: a bad token is still a plain 401.
      assertError(await fx.request('/auth/me'), 401, 'invalid_token', 'no token');
    });
  });
});
