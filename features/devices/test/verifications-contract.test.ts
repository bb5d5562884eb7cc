import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryDeviceVerifications } from '@authgate/features/devices/stores/memory-verifications';
import { RedisDeviceVerifications } from '@authgate/features/devices/stores/redis-verifications';
import {
  codeDigest,
  completeTokenDigest,
  verificationKey,
  type DeviceVerifications,
  type PendingSignIn,
} from '@authgate/features/devices/stores/verifications';
import { cleanupNamespace, REDIS_URL, uniqueNamespace } from '../../../test/helpers/services.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const OPTIONS = { ttlMs: 60_000, tries: 5 };

function pending(): { id: string; token: string; code: string; signIn: PendingSignIn } {
  return {
    id: randomBytes(24).toString('base64url'),
    token: randomBytes(32).toString('base64url'),
    code: '042917',
    signIn: { userId: randomUUID(), deviceId: 'new-phone', ip: '203.0.113.9', userAgent: 'contract/1.0', waiting: { nodeId: 'n1', connectionId: 'n1.abc' } },
  };
}

/** The pending new-device sign-ins: one suite for the in-process and the Redis driver. */
function contract(name: string, open: () => DeviceVerifications, stored?: () => Promise<string>) {
  describe(`device verifications contract: ${name}`, () => {
    const store = open();
    after(() => store.close());

    test('approved by its account, completed once by one request; another request finds nothing', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, OPTIONS);
      assert.deepEqual(await store.complete(id, token, 'req-1'), { outcome: 'pending' });
      assert.deepEqual(await store.decide(id, randomUUID(), 'approved'), { outcome: 'missing' }, 'another account cannot approve it');
      assert.deepEqual(await store.decide(id, signIn.userId, 'approved'), { outcome: 'decided', signIn });
      assert.deepEqual(await store.decide(id, signIn.userId, 'approved'), { outcome: 'unchanged' }, 'the same decision again changes nothing');
      assert.deepEqual(await store.decide(id, signIn.userId, 'denied'), { outcome: 'missing' }, 'a decision is made once');
      assert.deepEqual(await store.complete(id, token, 'req-2'), { outcome: 'approved', signIn });
      assert.deepEqual(await store.complete(id, token, 'req-2'), { outcome: 'approved', signIn }, 'the same request retried gets it again');
      assert.deepEqual(await store.complete(id, token, 'req-3'), { outcome: 'missing' }, 'no other request does');
      assert.deepEqual(await store.verifyCode(id, token, code, 'req-4'), { outcome: 'missing' }, 'nor the code');
    });

    test('denied: never completed, not even with the right code', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, OPTIONS);
      assert.equal((await store.decide(id, signIn.userId, 'denied')).outcome, 'decided');
      assert.deepEqual(await store.complete(id, token, 'r'), { outcome: 'denied' });
      assert.deepEqual(await store.verifyCode(id, token, code, 'r'), { outcome: 'denied' });
      assert.deepEqual(await store.decide(id, signIn.userId, 'approved'), { outcome: 'missing' });
    });

    test('the code: right once; the fifth wrong one ends the verification', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, OPTIONS);
      for (let left = 4; left >= 0; left--)
        assert.deepEqual(await store.verifyCode(id, token, '000000', 'r'), { outcome: 'wrong', triesLeft: left, userId: signIn.userId });
      assert.deepEqual(await store.verifyCode(id, token, code, 'r'), { outcome: 'missing' }, 'the right code after five wrong ones');
      assert.deepEqual(await store.complete(id, token, 'r'), { outcome: 'missing' });

      const other = pending();
      await store.open(other.id, other.token, other.signIn, other.code, OPTIONS);
      assert.deepEqual(await store.verifyCode(other.id, other.token, '999999', 'a'), { outcome: 'wrong', triesLeft: 4, userId: other.signIn.userId });
      assert.deepEqual(await store.verifyCode(other.id, other.token, other.code, 'b'), { outcome: 'verified', signIn: other.signIn });
      assert.deepEqual(await store.verifyCode(other.id, other.token, other.code, 'b'), { outcome: 'verified', signIn: other.signIn }, 'its retry');
      assert.deepEqual(await store.verifyCode(other.id, other.token, other.code, 'c'), { outcome: 'missing' }, 'spent');
    });

    test('concurrent codes spend each try once: of 20 wrong guesses at once, 5 are counted and the rest find nothing', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, OPTIONS);
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.verifyCode(id, token, String(100000 + i), `r${i}`)));
      assert.equal(outcomes.filter((o) => o.outcome === 'wrong').length, 5);
      assert.equal(outcomes.filter((o) => o.outcome === 'missing').length, 15);
    });

    test('concurrent completions of one approval: exactly one request gets the sign-in', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, OPTIONS);
      await store.decide(id, signIn.userId, 'approved');
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.complete(id, token, `r${i}`)));
      assert.equal(outcomes.filter((o) => o.outcome === 'approved').length, 1);
    });

    test('expires after its lifetime', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, { ttlMs: 50, tries: 5 });
      await sleep(120);
      assert.deepEqual(await store.complete(id, token, 'r'), { outcome: 'missing' });
      assert.deepEqual(await store.decide(id, signIn.userId, 'approved'), { outcome: 'missing' });
    });

    test("endAllOf ends the account's verifications in every state, and no other account's", async () => {
      const userId = randomUUID();
      const mine = () => {
        const p = pending();
        return { ...p, signIn: { ...p.signIn, userId } };
      };
      const waiting = mine();
      const approved = mine();
      const denied = mine();
      const theirs = pending();
      for (const p of [waiting, approved, denied, theirs]) await store.open(p.id, p.token, p.signIn, p.code, OPTIONS);
      assert.equal((await store.decide(approved.id, userId, 'approved')).outcome, 'decided');
      assert.equal((await store.decide(denied.id, userId, 'denied')).outcome, 'decided');

      assert.equal(await store.endAllOf(userId), 3);
      for (const p of [waiting, approved, denied]) {
        assert.deepEqual(await store.complete(p.id, p.token, 'r'), { outcome: 'missing' });
        assert.deepEqual(await store.verifyCode(p.id, p.token, p.code, 'r'), { outcome: 'missing' });
        assert.deepEqual(await store.decide(p.id, userId, 'approved'), { outcome: 'missing' });
      }
      assert.deepEqual(await store.complete(theirs.id, theirs.token, 'r'), { outcome: 'pending' }, "another account's is untouched");
      assert.equal(await store.endAllOf(userId), 0, 'nothing left to end');

      const later = mine();
      await store.open(later.id, later.token, later.signIn, later.code, OPTIONS);
      assert.equal((await store.verifyCode(later.id, later.token, later.code, 'r')).outcome, 'verified', 'one opened afterwards lives');
      assert.equal(await store.endAllOf(randomUUID()), 0, 'an account with none');
    });

    test('endAllOf after expiry ends nothing', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, { ttlMs: 50, tries: 5 });
      await sleep(120);
      assert.equal(await store.endAllOf(signIn.userId), 0);
    });

    test('an unknown id is missing everywhere', async () => {
      const id = randomBytes(24).toString('base64url');
      const token = randomBytes(32).toString('base64url');
      assert.deepEqual(await store.complete(id, token, 'r'), { outcome: 'missing' });
      assert.deepEqual(await store.verifyCode(id, token, '123456', 'r'), { outcome: 'missing' });
      assert.deepEqual(await store.decide(id, randomUUID(), 'denied'), { outcome: 'missing' });
      assert.equal(await store.accountOf(id, token), undefined);
    });

    test('only the completeToken it was opened with completes it or gives its code; a wrong one finds nothing and spends no try', async () => {
      const { id, token, code, signIn } = pending();
      await store.open(id, token, signIn, code, OPTIONS);
      const others = ['', randomBytes(32).toString('base64url'), token.slice(0, -1), `${token}A`];
      assert.equal(await store.accountOf(id, token), signIn.userId);
      for (const other of others) assert.equal(await store.accountOf(id, other), undefined);
      assert.equal((await store.decide(id, signIn.userId, 'approved')).outcome, 'decided', 'an approver needs only the verificationId');
      for (const other of others) {
        assert.deepEqual(await store.complete(id, other, 'thief'), { outcome: 'missing' }, `complete with ${JSON.stringify(other)}`);
        for (let i = 0; i < 6; i++) assert.deepEqual(await store.verifyCode(id, other, code, 'thief'), { outcome: 'missing' });
      }
      assert.deepEqual(await store.complete(id, token, 'holder'), { outcome: 'approved', signIn }, 'the holder still completes');

      const guessed = pending();
      await store.open(guessed.id, guessed.token, guessed.signIn, guessed.code, OPTIONS);
      for (let i = 0; i < 10; i++) await store.verifyCode(guessed.id, randomBytes(32).toString('base64url'), '000000', 'thief');
      assert.deepEqual(
        await store.verifyCode(guessed.id, guessed.token, '000000', 'holder'),
        { outcome: 'wrong', triesLeft: 4, userId: guessed.signIn.userId },
        "another's guesses did not spend the holder's tries",
      );
    });

    if (stored) {
      test('neither the verificationId, the completeToken nor the code is stored: only SHA-256 digests and the code HMAC keyed with the id', async () => {
        const { id, token, code, signIn } = pending();
        await store.open(id, token, signIn, code, OPTIONS);
        const dump = await stored();
        assert.ok(!dump.includes(id), 'the verificationId is not stored');
        assert.ok(!dump.includes(token), 'the completeToken is not stored');
        assert.ok(!dump.includes(code), 'the code is not stored');
        assert.ok(dump.includes(verificationKey(id)));
        assert.ok(dump.includes(completeTokenDigest(token)));
        assert.ok(dump.includes(codeDigest(id, code)));
      });
    }
  });
}

contract('memory', () => new MemoryDeviceVerifications());

const namespace = uniqueNamespace('devices');
const inspector = new Redis(REDIS_URL);
after(async () => {
  inspector.disconnect();
  await cleanupNamespace(namespace);
});
contract(
  'redis',
  () => new RedisDeviceVerifications(new Redis(REDIS_URL), namespace),
  async () => {
    const keys = await inspector.keys(`${namespace}:*`);
    const parts: string[] = [];
    for (const key of keys) parts.push(key, JSON.stringify(await inspector.hgetall(key)));
    return parts.join('\n');
  },
);
