import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { ChallengeMint, leadingZeroBits, solveChallenge } from '../challenge.ts';

const SECRET = 'x'.repeat(32);

describe('stuffing challenge: made and checked at the edge', () => {
  const mint = new ChallengeMint(SECRET);

  test('leading zero bits are counted across bytes', () => {
    assert.equal(leadingZeroBits(Uint8Array.from([0x80])), 0);
    assert.equal(leadingZeroBits(Uint8Array.from([0x01])), 7);
    assert.equal(leadingZeroBits(Uint8Array.from([0x00, 0x00, 0x10])), 19);
    assert.equal(leadingZeroBits(new Uint8Array(4)), 32);
  });

  test('a solved challenge passes, with its id and expiry; its nonce found by the same rule the contract states', () => {
    const issued = mint.issue(10, 60_000);
    assert.equal(issued.algorithm, 'sha256');
    assert.equal(issued.difficulty, 10);
    const nonce = solveChallenge(issued.salt, issued.difficulty);
    const digest = createHash('sha256')
      .update(issued.salt + nonce)
      .digest();
    assert.ok(leadingZeroBits(digest) >= 10);
    const checked = mint.check({ salt: issued.salt, nonce });
    assert.equal(checked.ok, true);
    assert.ok(checked.ok && checked.expiresAt === issued.expiresAt && checked.id.length >= 20);
  });

  test('a nonce that does not reach the difficulty is unsolved', () => {
    const issued = mint.issue(12, 60_000);
    // A nonce whose hash has fewer than 12 leading zero bits.
    let n = 0;
    while (
      leadingZeroBits(
        createHash('sha256')
          .update(issued.salt + n)
          .digest(),
      ) >= 12
    )
      n++;
    assert.deepEqual(mint.check({ salt: issued.salt, nonce: String(n) }), { ok: false, reason: 'unsolved' });
  });

  test('a salt with a lowered difficulty or a later expiry is forged; another deployment’s salt too', () => {
    const issued = mint.issue(12, 60_000);
    const [v, , exp, random, mac] = issued.salt.split('.');
    const easier = [v, '1', exp, random, mac].join('.');
    assert.deepEqual(mint.check({ salt: easier, nonce: solveChallenge(easier, 1) }), { ok: false, reason: 'forged' });
    const later = [v, '12', String(Number(exp) + 3_600_000), random, mac].join('.');
    assert.deepEqual(mint.check({ salt: later, nonce: '1' }), { ok: false, reason: 'forged' });
    const other = new ChallengeMint('y'.repeat(32)).issue(1, 60_000);
    assert.deepEqual(mint.check({ salt: other.salt, nonce: solveChallenge(other.salt, 1) }), { ok: false, reason: 'forged' });
  });

  test('an expired salt is refused, solved or not', () => {
    const issued = mint.issue(4, 1_000, Date.now() - 5_000);
    assert.deepEqual(mint.check({ salt: issued.salt, nonce: solveChallenge(issued.salt, 4) }), { ok: false, reason: 'expired' });
  });

  test('anything that is not a salt of this form is malformed', () => {
    for (const salt of ['', 'abc', 's2.1.1.a.b', 's1.x.1.a.b', 's1.1.1.a', 's1.99.1.a.b', 's1.1.1e9.a.b']) {
      assert.deepEqual(mint.check({ salt, nonce: '1' }), { ok: false, reason: 'malformed' }, salt);
    }
  });
});
