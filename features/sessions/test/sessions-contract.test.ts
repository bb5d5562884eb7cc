import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { MemorySessionStore } from '@authgate/features/sessions/stores/memory-sessions';
import { RedisSessionStore } from '@authgate/features/sessions/stores/redis-sessions';
import type { NewSession, RotateRequest, SessionStore } from '@authgate/features/sessions/stores/sessions';
import { newRefreshToken, parseRefreshToken } from '@authgate/worker/tokens';
import { REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';

const TTL_MS = 60_000;

const randomHash = () => createHash('sha256').update(randomBytes(32)).digest('base64url');

/** A sign-in with a second factor, some time ago: every rotation and grace answer must carry it unchanged. */
const SIGNED_IN = { amr: ['pwd' as const, 'otp' as const], authTime: 1_790_000_000 };

function newSession(): NewSession {
  return {
    sid: randomUUID(),
    userId: randomUUID(),
    email: `user-${randomBytes(4).toString('hex')}@example.test`,
    refreshHash: randomHash(),
    signedIn: SIGNED_IN,
  };
}

interface StoreDriver {
  name: string;
  open(): Promise<SessionStore>;
  cleanup(): Promise<void>;
}

function sessionContract(driver: StoreDriver): void {
  describe(`session store contract: ${driver.name}`, () => {
    let store: SessionStore;
    const DEVICE = 'laptop';
    const GRACE = { sealed: 'sealed-successor', graceMs: 5_000 };

    /** One refresh: `extra` carries the presenting device and the grace successor. */
    const rotate = (sid: string, presentedHash: string, nextHash: string, extra: Partial<RotateRequest> = {}) =>
      store.rotate({ sid, presentedHash, nextHash, ttlMs: TTL_MS, ...extra });

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
      const outcome = await rotate(session.sid, session.refreshHash, randomHash());
      assert.deepEqual(outcome, { status: 'rotated', userId: session.userId, email: session.email, signedIn: SIGNED_IN });
    });

    test('the new hash rotates again; a chain of rotations keeps working', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      let current = session.refreshHash;
      for (let i = 0; i < 5; i++) {
        const next = randomHash();
        const outcome = await rotate(session.sid, current, next, { deviceId: DEVICE, successor: GRACE });
        assert.equal(outcome.status, 'rotated', `rotation ${i}`);
        current = next;
      }
    });

    test('rotating again with the old hash: reused, and the session is gone', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, second)).status, 'rotated');

      const reuse = await rotate(session.sid, session.refreshHash, randomHash());
      assert.deepEqual(reuse, { status: 'reused', userId: session.userId });

      // The whole family is revoked: the newest hash no longer works either.
      assert.deepEqual(await rotate(session.sid, second, randomHash()), { status: 'unknown' });
      assert.deepEqual(await store.revoke(session.sid, second), { status: 'unknown' });
    });

    test('an older replaced hash (not only the last one) is detected as reuse', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      const third = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, second)).status, 'rotated');
      assert.equal((await rotate(session.sid, second, third)).status, 'rotated');
      assert.equal((await rotate(session.sid, session.refreshHash, randomHash())).status, 'reused');
      assert.equal((await rotate(session.sid, third, randomHash())).status, 'unknown');
    });

    test('an unrelated hash for an existing session: unknown, and the session is NOT revoked', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.deepEqual(await rotate(session.sid, randomHash(), randomHash()), { status: 'unknown' });
      assert.deepEqual(await store.revoke(session.sid, randomHash()), { status: 'unknown' });
      const outcome = await rotate(session.sid, session.refreshHash, randomHash());
      assert.deepEqual(outcome, { status: 'rotated', userId: session.userId, email: session.email, signedIn: SIGNED_IN });
    });

    test('a session id that was never created: unknown', async () => {
      assert.deepEqual(await rotate(randomUUID(), randomHash(), randomHash()), { status: 'unknown' });
      assert.deepEqual(await store.revoke(randomUUID(), randomHash()), { status: 'unknown' });
    });

    test('sessions are independent: a hash of one session does nothing to another', async () => {
      const a = newSession();
      const b = newSession();
      await store.create(a, TTL_MS);
      await store.create(b, TTL_MS);
      assert.deepEqual(await rotate(b.sid, a.refreshHash, randomHash()), { status: 'unknown' });
      assert.deepEqual(await store.revoke(b.sid, a.refreshHash), { status: 'unknown' });
      assert.equal((await rotate(a.sid, a.refreshHash, randomHash())).status, 'rotated');
      assert.equal((await rotate(b.sid, b.refreshHash, randomHash())).status, 'rotated');
    });

    test('revoke with the current hash: revoked, then rotate gives unknown', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.deepEqual(await store.revoke(session.sid, session.refreshHash), { status: 'revoked', userId: session.userId });
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash()), { status: 'unknown' });
      assert.deepEqual(await store.revoke(session.sid, session.refreshHash), { status: 'unknown' }, 'revoked twice');
    });

    test('peek: the owner of a live session; undefined for an unknown or revoked one', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      assert.deepEqual(await store.peek(session.sid), { userId: session.userId, email: session.email });
      assert.equal(await store.peek(randomUUID()), undefined);
      assert.equal((await store.revoke(session.sid, session.refreshHash)).status, 'revoked');
      assert.equal(await store.peek(session.sid), undefined);
    });

    test("grace: the session's own device presenting the token replaced last, while its successor is unused, gets the kept successor; the session lives on", async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      const second = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, second, { deviceId: DEVICE, successor: GRACE })).status, 'rotated');
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE }), {
          status: 'grace',
          userId: session.userId,
          email: session.email,
          sealed: GRACE.sealed,
          signedIn: SIGNED_IN,
        });
      }
      assert.equal((await rotate(session.sid, second, randomHash(), { deviceId: DEVICE })).status, 'rotated', 'the successor is still current');
    });

    test("attack: a→b, b→c, then a within the grace window, from the session's own device: reused (the successor b was used), and the family is gone", async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      const b = randomHash();
      const c = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, b, { deviceId: DEVICE, successor: GRACE })).status, 'rotated');
      assert.equal((await rotate(session.sid, b, c, { deviceId: DEVICE, successor: { sealed: 'sealed-c', graceMs: 5_000 } })).status, 'rotated');
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE }), { status: 'reused', userId: session.userId });
      assert.deepEqual(await rotate(session.sid, b, randomHash(), { deviceId: DEVICE }), { status: 'unknown' }, 'b no longer gets c');
      assert.deepEqual(await rotate(session.sid, c, randomHash(), { deviceId: DEVICE }), { status: 'unknown' }, 'c no longer rotates');
    });

    test('attack: a replaced token within the grace window from another device, or from none: reused, and the family is gone', async () => {
      for (const thief of ['phone-of-thief', undefined]) {
        const session = { ...newSession(), deviceId: DEVICE };
        await store.create(session, TTL_MS);
        const second = randomHash();
        assert.equal((await rotate(session.sid, session.refreshHash, second, { deviceId: DEVICE, successor: GRACE })).status, 'rotated');
        assert.deepEqual(
          await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: thief }),
          { status: 'reused', userId: session.userId },
          `device ${thief}`,
        );
        assert.deepEqual(await rotate(session.sid, second, randomHash(), { deviceId: DEVICE }), { status: 'unknown' });
      }
    });

    test('grace without a device: a session signed in with no deviceId gets the kept successor for a concurrent refresh, whatever device it names; the session lives on', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const second = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, second, { successor: GRACE })).status, 'rotated');
      for (const deviceId of [undefined, '', 'some-device']) {
        assert.deepEqual(
          await rotate(session.sid, session.refreshHash, randomHash(), { deviceId }),
          { status: 'grace', userId: session.userId, email: session.email, sealed: GRACE.sealed, signedIn: SIGNED_IN },
          `device ${deviceId}`,
        );
      }
      assert.equal((await rotate(session.sid, second, randomHash())).status, 'rotated', 'the successor is still current');
    });

    test('attack: without a device too, a→b, b→c, then a within the grace window: reused (the successor b was used), and the family is gone', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const b = randomHash();
      const c = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, b, { successor: GRACE })).status, 'rotated');
      assert.equal((await rotate(session.sid, b, c, { successor: { sealed: 'sealed-c', graceMs: 5_000 } })).status, 'rotated');
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash()), { status: 'reused', userId: session.userId });
      assert.deepEqual(await rotate(session.sid, c, randomHash()), { status: 'unknown' }, 'c no longer rotates');
      assert.equal(await store.peek(session.sid), undefined);
    });

    test('a replaced hash after the grace window: reused, and the session is gone', async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      const second = randomHash();
      await rotate(session.sid, session.refreshHash, second, { deviceId: DEVICE, successor: { sealed: 'sealed', graceMs: 100 } });
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE }), { status: 'reused', userId: session.userId });
      assert.deepEqual(await rotate(session.sid, second, randomHash()), { status: 'unknown' });
    });

    test("with no grace window, an immediate replay by the session's device is a reuse", async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE, successor: { sealed: 'sealed', graceMs: 0 } });
      assert.equal((await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE })).status, 'reused');
    });

    test('revoke (logout) with the current hash drops the kept successor too', async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      const second = randomHash();
      await rotate(session.sid, session.refreshHash, second, { deviceId: DEVICE, successor: GRACE });
      assert.equal((await store.revoke(session.sid, second)).status, 'revoked');
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE }), { status: 'unknown' });
    });

    test('attack: revoke (logout) with a replaced hash is a reuse: the whole family is gone', async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      const second = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, second, { deviceId: DEVICE, successor: GRACE })).status, 'rotated');
      assert.deepEqual(await store.revoke(session.sid, session.refreshHash), { status: 'reused', userId: session.userId });
      assert.deepEqual(await rotate(session.sid, second, randomHash(), { deviceId: DEVICE }), { status: 'unknown' });
      assert.equal(await store.peek(session.sid), undefined);
    });

    test('the same command run again (its requestId) is a duplicate, not a reuse: the session lives on, with or without a device', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const requestId = randomUUID();
      const second = randomHash();
      assert.equal((await rotate(session.sid, session.refreshHash, second, { requestId })).status, 'rotated');
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { requestId }), { status: 'duplicate' });
      assert.equal((await rotate(session.sid, second, randomHash(), { requestId: randomUUID() })).status, 'rotated', 'the successor is still current');
      // Still known after the session moved on (a late re-send), and never a reuse.
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { requestId }), { status: 'duplicate' });
      assert.ok(await store.peek(session.sid));
      // Another command with the same replaced token is a reuse as before.
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { requestId: randomUUID() }), { status: 'reused', userId: session.userId });
    });

    test('the same command run again on a device-bound session gets the successor it rotated to, outside the grace window too', async () => {
      const session = { ...newSession(), deviceId: DEVICE };
      await store.create(session, TTL_MS);
      const requestId = randomUUID();
      assert.equal(
        (await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE, successor: { sealed: 's1', graceMs: 1 }, requestId })).status,
        'rotated',
      );
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash(), { deviceId: DEVICE, requestId }), {
        status: 'grace',
        userId: session.userId,
        email: session.email,
        sealed: 's1',
        signedIn: SIGNED_IN,
      });
    });

    test('a session remembers the requestIds of its last 16 rotations', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      const ids = Array.from({ length: 17 }, () => randomUUID());
      const hashes = [session.refreshHash];
      for (const requestId of ids) {
        const next = randomHash();
        assert.equal((await rotate(session.sid, hashes.at(-1)!, next, { requestId })).status, 'rotated');
        hashes.push(next);
      }
      assert.deepEqual(await rotate(session.sid, hashes[1]!, randomHash(), { requestId: ids[1] }), { status: 'duplicate' });
      // The oldest one is forgotten: its token is a replaced one like any other.
      assert.deepEqual(await rotate(session.sid, hashes[0]!, randomHash(), { requestId: ids[0] }), { status: 'reused', userId: session.userId });
    });

    test('attack: the first token of a long chain (200 rotations) is still recognised as reuse', async () => {
      const session = newSession();
      await store.create(session, TTL_MS);
      let current = session.refreshHash;
      for (let i = 0; i < 200; i++) {
        const next = randomHash();
        assert.equal((await rotate(session.sid, current, next)).status, 'rotated');
        current = next;
      }
      assert.deepEqual(await rotate(session.sid, session.refreshHash, randomHash()), { status: 'reused', userId: session.userId });
    });
  });
}

/** The replaced-hash history is bounded: past `kept` entries, the oldest is forgotten (unknown, not reuse). */
function historyBound(name: string, open: (kept: number) => Promise<SessionStore>): void {
  test(`${name}: the replaced-hash history keeps the newest ${HISTORY_KEPT} and forgets older ones`, async () => {
    const store = await open(HISTORY_KEPT);
    const session = newSession();
    await store.create(session, TTL_MS);
    const chain = [session.refreshHash];
    for (let i = 0; i < HISTORY_KEPT + 2; i++) {
      const next = randomHash();
      assert.equal((await store.rotate({ sid: session.sid, presentedHash: chain.at(-1)!, nextHash: next, ttlMs: TTL_MS })).status, 'rotated');
      chain.push(next);
    }
    // chain[0] and chain[1] fell out of the history; chain[2] is the oldest kept.
    assert.deepEqual(await store.rotate({ sid: session.sid, presentedHash: chain[0]!, nextHash: randomHash(), ttlMs: TTL_MS }), { status: 'unknown' });
    assert.equal((await store.rotate({ sid: session.sid, presentedHash: chain[2]!, nextHash: randomHash(), ttlMs: TTL_MS })).status, 'reused');
    await store.close();
  });
}

const HISTORY_KEPT = 5;

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

describe('session store history bound', () => {
  const namespace = uniqueNamespace('sessions-bound');
  historyBound('MemorySessionStore', async (kept) => new MemorySessionStore(kept));
  historyBound('RedisSessionStore', async (kept) => new RedisSessionStore(new Redis(REDIS_URL), namespace, kept));
  after(async () => {
    const admin = new Redis(REDIS_URL);
    try {
      const keys = await admin.keys(`${namespace}:*`);
      if (keys.length > 0) await admin.del(...keys);
    } finally {
      await admin.quit();
    }
  });
});

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
