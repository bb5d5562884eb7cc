import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { MemorySessionStore } from '@authgate/shared/sessions/memory-sessions';
import { RedisSessionStore } from '@authgate/shared/sessions/redis-sessions';
import type { NewSession, SessionStore } from '@authgate/shared/sessions/types';
import { newRefreshToken, parseRefreshToken } from '../src/tokens.ts';
import { REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';

const TTL_MS = 60_000;

const randomHash = () => createHash('sha256').update(randomBytes(32)).digest('base64url');

function newSession(): NewSession {
  return { sid: randomUUID(), userId: randomUUID(), email: `user-${randomBytes(4).toString('hex')}@example.test`, refreshHash: randomHash() };
}

interface StoreDriver {
  name: string;
  open(): Promise<SessionStore>;
  cleanup(): Promise<void>;
}

function sessionContract(driver: StoreDriver): void {
  describe(`session store contract: ${driver.name}`, () => {
    let store: SessionStore;

    before(async () => {
      store = await driver.open();
    });

    after(async () => {
      await driver.cleanup();
    });

    test('reports ready', async () => {
      assert.equal(await store.ready(), true);
    });

    test('create then rotate with the current hash: rotated, with the userId and email', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const outcome = await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS);
      assert.deepEqual(outcome, { status: 'rotated', userId: session.userId, email: session.email });
    });

    test('the new hash rotates again; a chain of rotations keeps working', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      let current = session.refreshHash;
      for (let i = 0; i < 5; i++) {
        const next = randomHash();
        const outcome = await store.rotate(session.sid, current, next, TTL_MS);
        assert.equal(outcome.status, 'rotated', `rotation ${i}`);
        current = next;
      }
    });

    test('rotating again with the old hash: reused, and the session is gone', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      assert.equal((await store.rotate(session.sid, session.refreshHash, second, TTL_MS)).status, 'rotated');

      const reuse = await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS);
      assert.deepEqual(reuse, { status: 'reused', userId: session.userId });

      // The whole family is revoked: the newest hash no longer works either.
      assert.deepEqual(await store.rotate(session.sid, second, randomHash(), TTL_MS), { status: 'unknown' });
      assert.equal(await store.revoke(session.sid, second), false);
    });

    test('an older replaced hash (not only the last one) is detected as reuse', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      const third = randomHash();
      assert.equal((await store.rotate(session.sid, session.refreshHash, second, TTL_MS)).status, 'rotated');
      assert.equal((await store.rotate(session.sid, second, third, TTL_MS)).status, 'rotated');
      assert.equal((await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS)).status, 'reused');
      assert.equal((await store.rotate(session.sid, third, randomHash(), TTL_MS)).status, 'unknown');
    });

    test('an unrelated hash for an existing session: unknown, and the session is NOT revoked', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.deepEqual(await store.rotate(session.sid, randomHash(), randomHash(), TTL_MS), { status: 'unknown' });
      const outcome = await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS);
      assert.deepEqual(outcome, { status: 'rotated', userId: session.userId, email: session.email });
    });

    test('a session id that was never created: unknown', async () => {
      assert.deepEqual(await store.rotate(randomUUID(), randomHash(), randomHash(), TTL_MS), { status: 'unknown' });
    });

    test('sessions are independent: a hash of one session does nothing to another', async () => {
      const a = newSession();
      const b = newSession();
      await store.create(a, TTL_MS);
      await store.create(b, TTL_MS);
      assert.deepEqual(await store.rotate(b.sid, a.refreshHash, randomHash(), TTL_MS), { status: 'unknown' });
      assert.equal(await store.revoke(b.sid, a.refreshHash), false);
      assert.equal((await store.rotate(a.sid, a.refreshHash, randomHash(), TTL_MS)).status, 'rotated');
      assert.equal((await store.rotate(b.sid, b.refreshHash, randomHash(), TTL_MS)).status, 'rotated');
    });

    test('revoke with the current hash: true, then rotate gives unknown', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.equal(await store.revoke(session.sid, session.refreshHash), true);
      assert.deepEqual(await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS), { status: 'unknown' });
      assert.equal(await store.revoke(session.sid, session.refreshHash), false, 'revoked twice');
    });

    test('revoke with a wrong hash: false, and the session lives on', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.equal(await store.revoke(session.sid, randomHash()), false);
      assert.equal((await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS)).status, 'rotated');
    });

    test('peek: the owner of a live session; undefined for an unknown or revoked one', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.deepEqual(await store.peek(session.sid), { userId: session.userId, email: session.email });
      assert.equal(await store.peek(randomUUID()), undefined);
      assert.equal(await store.revoke(session.sid, session.refreshHash), true);
      assert.equal(await store.peek(session.sid), undefined);
    });

    test('a replaced hash within the grace window: grace, with the kept successor, and the session lives on', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      const rotated = await store.rotate(session.sid, session.refreshHash, second, TTL_MS, { sealed: 'sealed-successor', graceMs: 5_000 });
      assert.equal(rotated.status, 'rotated');
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS), { status: 'grace', userId: session.userId, sealed: 'sealed-successor' });
      }
      assert.equal((await store.rotate(session.sid, second, randomHash(), TTL_MS)).status, 'rotated', 'the successor is still current');
    });

    test('a replaced hash after the grace window: reused, and the session is gone', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      await store.rotate(session.sid, session.refreshHash, second, TTL_MS, { sealed: 'sealed', graceMs: 100 });
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS), { status: 'reused', userId: session.userId });
      assert.deepEqual(await store.rotate(session.sid, second, randomHash(), TTL_MS), { status: 'unknown' });
    });

    test('with no grace window, an immediate replay is a reuse', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS, { sealed: 'sealed', graceMs: 0 });
      assert.equal((await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS)).status, 'reused');
    });

    test('revoke drops the kept successor too', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      await store.rotate(session.sid, session.refreshHash, second, TTL_MS, { sealed: 'sealed', graceMs: 5_000 });
      assert.equal(await store.revoke(session.sid, second), true);
      assert.deepEqual(await store.rotate(session.sid, session.refreshHash, randomHash(), TTL_MS), { status: 'unknown' });
    });

    test('revoke with a replaced (no longer current) hash: false', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      assert.equal((await store.rotate(session.sid, session.refreshHash, second, TTL_MS)).status, 'rotated');
      assert.equal(await store.revoke(session.sid, session.refreshHash), false);
      assert.equal(await store.revoke(session.sid, second), true);
    });
  });
}

function memoryDriver(): StoreDriver {
  let store: MemorySessionStore | undefined;
  return {
    name: 'MemorySessionStore',
    async open() {
      store = new MemorySessionStore();
      return store;
    },
    async cleanup() {
      await store?.close();
    },
  };
}

function redisDriver(): StoreDriver {
  const namespace = uniqueNamespace('sessions');
  let store: RedisSessionStore | undefined;
  return {
    name: 'RedisSessionStore',
    async open() {
      store = new RedisSessionStore(new Redis(REDIS_URL), namespace);
      return store;
    },
    async cleanup() {
      const admin = new Redis(REDIS_URL);
      try {
        const keys = await admin.keys(`${namespace}:*`);
        if (keys.length > 0) await admin.del(...keys);
      } finally {
        await admin.quit();
      }
      await store?.close();
    },
  };
}

sessionContract(memoryDriver());
sessionContract(redisDriver());

describe('refresh tokens', () => {
  test('newRefreshToken / parseRefreshToken round trip', () => {
    const sid = randomUUID();
    const { token, hash } = newRefreshToken(sid);
    assert.deepEqual(parseRefreshToken(token), { sid, hash });
  });

  test('the token carries at least 256 random bits: a 43-char base64url secret, and no clear copy in the hash', () => {
    const sid = randomUUID();
    const { token, hash } = newRefreshToken(sid);
    const parts = token.split('.');
    assert.equal(parts.length, 3);
    assert.equal(parts[0], 'rt1');
    assert.equal(parts[1], sid);
    const secret = parts[2]!;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Buffer.from(secret, 'base64url').length * 8 >= 256);
    assert.ok(!hash.includes(secret));
    assert.notEqual(hash, secret);
  });

  test('tokens differ each time, even for the same session', () => {
    const sid = randomUUID();
    const tokens = new Set<string>();
    const hashes = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const { token, hash } = newRefreshToken(sid);
      tokens.add(token);
      hashes.add(hash);
    }
    assert.equal(tokens.size, 100);
    assert.equal(hashes.size, 100);
  });

  test('malformed strings parse to undefined', () => {
    const sid = randomUUID();
    const { token } = newRefreshToken(sid);
    const secret = token.split('.')[2]!;
    const malformed = [
      '',
      'rt1',
      `rt1.${sid}`,
      `rt1.${sid}.`,
      `rt2.${sid}.${secret}`,
      `RT1.${sid}.${secret}`,
      `rt1.${sid}.${secret}x`,
      `rt1.${sid}.${secret.slice(1)}`,
      `rt1.${sid}.${secret.slice(0, -1)}+`,
      `rt1.not-a-session-id.${secret}`,
      `rt1.${sid}.${secret}.extra`,
      ` ${token}`,
      `${token}\n`,
      `x${token}`,
    ];
    for (const candidate of malformed) assert.equal(parseRefreshToken(candidate), undefined, JSON.stringify(candidate));
  });

  test('a changed secret gives a different hash', () => {
    const sid = randomUUID();
    const { token, hash } = newRefreshToken(sid);
    const secret = token.split('.')[2]!;
    const flipped = `${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    const parsed = parseRefreshToken(`rt1.${sid}.${flipped}`);
    assert.ok(parsed);
    assert.notEqual(parsed.hash, hash);
  });
});
