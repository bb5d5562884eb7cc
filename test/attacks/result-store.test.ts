import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { call, post } from '../helpers/http.ts';
import { startProcess, type RunningProcess } from '../helpers/processes.ts';
import { openSocket } from '../helpers/sockets.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from '../helpers/services.ts';
import { newEmail, PASSWORD } from '../helpers/users.ts';

// Before results were sealed, someone with Redis access alone (a replica, a dump, the AOF file) read every
// token pair of the last 60 s from the result store. Results that hold tokens must be unreadable there.

/** Every value under the namespace, whatever the key's type, as one text per key. */
async function dumpNamespace(redis: Redis, namespace: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      out.set(key, JSON.stringify(value));
    }
  } while (cursor !== '0');
  return out;
}

/** The parts of a token that would let a reader use it: the JWT's signature and the refresh token's secret. */
function secretsOf(pair: { accessToken: string; refreshToken: string }): string[] {
  return [pair.accessToken.split('.')[2]!, pair.refreshToken.split('.').pop()!];
}

describe('the result store holds no token in clear', () => {
  const namespace = uniqueNamespace('sealed');
  const data = tempDir('sealed');
  const processes: RunningProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edgeA: RunningProcess;
  let edgeB: RunningProcess;
  const redis = new Redis(REDIS_URL);

  before(async () => {
    database = await createTestDatabase('sealed');
    const common = {
      NAMESPACE: namespace,
      AMQP_URL,
      REDIS_URL,
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
    };
    processes.push(await startProcess('worker', { ...common, DATABASE_URL: database.url }));
    [edgeA, edgeB] = await Promise.all([startProcess('edge', common), startProcess('edge', common)]);
    processes.push(edgeA, edgeB);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.quit();
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('after REST, WebSocket and deferred logins and a refresh, no Redis value holds a token; each client still gets its pair', async () => {
    const email = newEmail('sealed');
    assert.equal((await post(edgeA.url, '/auth/register', { email, password: PASSWORD })).status, 201);

    const pairs: Array<{ accessToken: string; refreshToken: string }> = [];
    const rest = await post(edgeA.url, '/auth/login', { email, password: PASSWORD });
    assert.equal(rest.status, 200);
    pairs.push(rest.body);

    const socket = await openSocket(edgeB.wsUrl);
    const ws = await socket.login(email, PASSWORD);
    assert.equal(ws.status, 200);
    pairs.push(ws.data as never);

    // Deferred: accepted by edge A, pushed by edge B (which holds the socket), collected through edge A.
    const pushed = new Promise<any>((resolve) => {
      // The first pushed frame may be the live `security.new_sign_in` event of the socket's own account.
      socket.onUnsolicited = (frame) => {
        if ((frame as { type?: string }).type === 'result') resolve(frame);
      };
    });
    const accepted = await post(edgeA.url, '/auth/login', { email, password: PASSWORD }, { 'x-connection-id': socket.connectionId });
    assert.equal(accepted.status, 202);
    const frame = await pushed;
    assert.equal(frame.status, 200);
    pairs.push(frame.data);

    const refreshed = await post(edgeB.url, '/auth/refresh', { refreshToken: rest.body.refreshToken });
    assert.equal(refreshed.status, 200);
    pairs.push(refreshed.body);

    // The pairs work: the edges opened what the worker sealed.
    for (const pair of pairs) {
      const verified = await call(edgeB.url, 'GET', '/auth/verify', { headers: { authorization: `Bearer ${pair.accessToken}` } });
      assert.equal(verified.status, 200);
    }

    const values = await dumpNamespace(redis, namespace);
    assert.ok(
      [...values.keys()].some((k) => k.includes(':result:')),
      'the results are kept in Redis',
    );
    for (const pair of pairs) {
      for (const secret of secretsOf(pair)) {
        for (const [key, value] of values) assert.ok(!value.includes(secret), `a token is readable in Redis under ${key}`);
      }
    }

    // The kept deferred result is still collectable, and opened for its client.
    const collected = await call(edgeA.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': socket.connectionId } });
    assert.equal(collected.status, 200);
    assert.deepEqual(collected.body.data, frame.data);
    socket.close();
  });
});
