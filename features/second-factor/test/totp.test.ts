import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { newRecoveryCodes, RECOVERY_CODE_COUNT, recoveryCodeDigest } from '../worker/recovery-codes.ts';
import { loadMfaEncryptionKey, TotpSecretBox } from '../worker/secret-box.ts';
import { codeAt, matchingStep, newTotpSecret, otpauthUrl, stepAt } from '../worker/totp.ts';
import { tempDir } from '../../../test/helpers/services.ts';

/** RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII of "12345678901234567890". */
const RFC_SEED = '12345678901234567890';
const RFC_SHA1_VECTORS: ReadonlyArray<readonly [number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const rfcSecret = Secret.fromUTF8(RFC_SEED);

describe('TOTP (RFC 6238) through otpauth and the 6-digit wrapper', () => {
  test('the RFC 6238 Appendix B SHA-1 vectors, 8 digits, through the library', () => {
    const totp = new TOTP({ secret: rfcSecret, algorithm: 'SHA1', digits: 8, period: 30 });
    for (const [seconds, expected] of RFC_SHA1_VECTORS) assert.equal(totp.generate({ timestamp: seconds * 1000 }), expected, `T=${seconds}`);
  });

  test('the same vectors through the wrapper: 6 digits are the last six of the 8 (one truncated value, mod 10^6)', () => {
    for (const [seconds, expected] of RFC_SHA1_VECTORS) {
      const code = expected.slice(-6);
      assert.equal(codeAt(rfcSecret.base32, seconds * 1000), code, `T=${seconds}`);
      assert.equal(matchingStep(rfcSecret.base32, code, seconds * 1000), Math.floor(seconds / 30), `T=${seconds}`);
    }
  });

  test('one step of drift either way is accepted, two are not; the step matched is the code’s own', () => {
    const secret = newTotpSecret();
    const now = 1_767_225_615_000; // the middle of a step
    const step = stepAt(now);
    for (const offset of [-1, 0, 1]) assert.equal(matchingStep(secret, codeAt(secret, now + offset * 30_000), now), step + offset, `offset ${offset}`);
    for (const offset of [-3, -2, 2, 3]) assert.equal(matchingStep(secret, codeAt(secret, now + offset * 30_000), now), undefined, `offset ${offset}`);
  });

  test('a malformed code is refused without a match: letters, 5 or 7 digits, spaces', () => {
    const secret = newTotpSecret();
    const now = Date.now();
    const right = codeAt(secret, now);
    assert.equal(matchingStep(secret, right, now), stepAt(now));
    for (const bad of [right.slice(1), `${right}0`, ` ${right}`, 'abcdef', '', '１２３４５６'])
      assert.equal(matchingStep(secret, bad, now), undefined, JSON.stringify(bad));
  });

  test('new secrets: 160 random bits, base32, each different; the otpauth URI names the parameters', () => {
    const a = newTotpSecret();
    const b = newTotpSecret();
    assert.notEqual(a, b);
    assert.equal(Secret.fromBase32(a).bytes.length, 20);
    const url = new URL(otpauthUrl(a, 'ada@example.com'));
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.searchParams.get('secret'), a);
    assert.equal(url.searchParams.get('algorithm'), 'SHA1');
    assert.equal(url.searchParams.get('digits'), '6');
    assert.equal(url.searchParams.get('period'), '30');
    assert.equal(url.searchParams.get('issuer'), 'authgate');
  });
});

describe('TOTP secrets at rest: AES-256-GCM under MFA_ENCRYPTION_KEY', () => {
  const box = new TotpSecretBox('k'.repeat(43));

  test('round trip, and the stored value holds nothing of the secret', () => {
    const secret = newTotpSecret();
    const sealed = box.seal(secret, 'user-1');
    assert.ok(!sealed.includes(secret));
    assert.notEqual(box.seal(secret, 'user-1'), sealed, 'a fresh IV each time');
    assert.equal(box.open(sealed, 'user-1'), secret);
  });

  test('moved to another user, altered, or under another key: it does not open', () => {
    const sealed = box.seal(newTotpSecret(), 'user-1');
    assert.throws(() => box.open(sealed, 'user-2'), /could not be opened/);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[20]! ^= 1;
    assert.throws(() => box.open(`v1.${bytes.toString('base64url')}`, 'user-1'), /could not be opened/);
    assert.throws(() => new TotpSecretBox('o'.repeat(43)).open(sealed, 'user-1'), /could not be opened/);
    assert.throws(() => box.open('v2.abc', 'user-1'), /could not be opened/);
    assert.throws(() => new TotpSecretBox('short'), /at least 32 bytes/);
  });

  test('development: a key generated into DATA_DIR/keys (0600) and kept; a configured key wins', () => {
    const data = tempDir('mfa-key');
    try {
      const first = loadMfaEncryptionKey({ DATA_DIR: data.dir, MFA_ENCRYPTION_KEY: undefined });
      assert.ok(first.length >= 43);
      assert.equal(statSync(path.join(data.dir, 'keys', 'mfa-encryption-key')).mode & 0o777, 0o600);
      assert.equal(loadMfaEncryptionKey({ DATA_DIR: data.dir, MFA_ENCRYPTION_KEY: undefined }), first);
      assert.equal(loadMfaEncryptionKey({ DATA_DIR: data.dir, MFA_ENCRYPTION_KEY: 'c'.repeat(40) }), 'c'.repeat(40));
    } finally {
      data.remove();
    }
  });
});

describe('recovery codes', () => {
  test('ten different codes of 16 letters (80 bits), stored as SHA-256 digests of the normalised code', () => {
    const { codes, digests } = newRecoveryCodes();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    assert.equal(new Set(codes).size, RECOVERY_CODE_COUNT);
    for (const code of codes) assert.match(code, /^[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){3}$/);
    assert.deepEqual(
      digests,
      codes.map((code) => recoveryCodeDigest(code)),
    );
    for (const digest of digests) assert.match(digest, /^[0-9a-f]{64}$/);
  });

  test('case, dashes and spaces do not matter; anything else is no code', () => {
    const [code] = newRecoveryCodes().codes;
    const digest = recoveryCodeDigest(code!);
    assert.equal(recoveryCodeDigest(code!.toUpperCase().replaceAll('-', ' ')), digest);
    assert.equal(recoveryCodeDigest(code!.replaceAll('-', '')), digest);
    for (const bad of ['', '123456', code!.slice(1), `${code}a`, code!.replace(/[a-z2-9]/, '0')]) assert.equal(recoveryCodeDigest(bad), undefined, bad);
  });
});
