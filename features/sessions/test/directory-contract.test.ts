import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { SessionDirectory, SessionInfo } from '../stores/directory.ts';
import { MemorySessionDirectory } from '../stores/memory-directory.ts';
import { RedisSessionDirectory } from '../stores/redis-directory.ts';
import { REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';

/** What a refresh does to the sessions list (extend), the same on both drivers. */
function directoryContract(name: string, open: () => SessionDirectory, close: () => Promise<void>): void {
  describe(`session directory contract: ${name}`, () => {
    const directory = open();
    after(close);
    const session = (over: Partial<SessionInfo> = {}): SessionInfo => {
      const now = Date.now();
      return {
        id: randomUUID(),
        deviceId: 'laptop',
        userAgent: 'agent/1 "quoted" \\ slash/',
        ip: '198.51.100.7',
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + 60_000,
        ...over,
      };
    };

    test('extend moves the end and the last use, and keeps every other field as it was', async () => {
      const userId = randomUUID();
      const s = session();
      await directory.add(userId, s);
      const later = Date.now() + 5_000;
      await directory.extend(userId, s.id, s.expiresAt + 3_600_000, later);
      const [listed] = await directory.list(userId);
      assert.deepEqual(listed, { ...s, expiresAt: s.expiresAt + 3_600_000, lastUsedAt: later });
    });

    test('extend never moves the last use back, and touches no session the account does not have', async () => {
      const userId = randomUUID();
      const s = session({ lastUsedAt: Date.now() + 10_000 });
      await directory.add(userId, s);
      await directory.extend(userId, s.id, s.expiresAt + 1_000, s.lastUsedAt - 5_000);
      assert.equal((await directory.list(userId))[0]!.lastUsedAt, s.lastUsedAt);
      await directory.extend(userId, randomUUID(), Date.now() + 60_000, Date.now());
      assert.deepEqual(
        (await directory.list(userId)).map((x) => x.id),
        [s.id],
      );
      await directory.extend(randomUUID(), s.id, Date.now() + 60_000, Date.now());
    });

    test('two sign-ins at once leave the account listed as long as its longer session lasts', async () => {
      const userId = randomUUID();
      const long = session({ expiresAt: Date.now() + 60_000 });
      const short = session({ expiresAt: Date.now() + 300 });
      await Promise.all([directory.add(userId, long), directory.add(userId, short)]);
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.deepEqual(
        (await directory.list(userId)).map((x) => x.id),
        [long.id],
      );
    });

    test('a removed session stays removed after a late extend', async () => {
      const userId = randomUUID();
      const s = session();
      await directory.add(userId, s);
      assert.equal(await directory.remove(userId, s.id), true);
      await directory.extend(userId, s.id, s.expiresAt + 60_000, Date.now());
      assert.deepEqual(await directory.list(userId), []);
    });
  });
}

directoryContract(
  'memory',
  () => new MemorySessionDirectory(),
  async () => {},
);

const namespace = uniqueNamespace('directory');
const redis = new Redis(REDIS_URL);
directoryContract(
  'redis',
  () => new RedisSessionDirectory(redis, namespace),
  async () => {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  },
);
