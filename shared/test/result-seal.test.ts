import assert from 'node:assert/strict';
import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Result } from '@authgate/shared/protocol';
import { HkdfSha256Block } from '@authgate/shared/security/hkdf-block';
import { loadResultSealingSecret, ResultSealing, sealResult, SealError } from '@authgate/shared/security/result-seal';
import { MemoryResultBus } from '@authgate/shared/transport/memory-results';
import { tempDir } from '../../test/helpers/services.ts';

const SECRET = 's'.repeat(43);
const pair = { accessToken: 'eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl-of-the-token', refreshToken: 'rt1.sid.the-refresh-secret-part-0123456789abcdef' };
const resultOf = (requestId: string): Result => ({ requestId, replyTo: { nodeId: 'n1' }, ok: true, status: 200, data: pair });

describe('result sealing (the result store holds no token in clear)', () => {
  test('a worker seals with the key its command carried; any edge with the secret opens it; the sealed form holds no token', () => {
    const requestId = randomUUID();
    const edgeA = new ResultSealing(SECRET);
    const sealed = sealResult(resultOf(requestId), edgeA.secretFor(requestId));
    assert.equal((sealed as { data?: unknown }).data, undefined);
    const text = JSON.stringify(sealed);
    assert.ok(!text.includes('the-refresh-secret') && !text.includes('c2lnbmF0dXJl'));
    assert.deepEqual(new ResultSealing(SECRET).open(sealed), resultOf(requestId), 'another edge of the deployment opens it');
  });

  test('kept in the in-memory store, a result is as sealed as in Redis', async () => {
    const bus = new MemoryResultBus();
    const requestId = randomUUID();
    await bus.deliver(sealResult(resultOf(requestId), new ResultSealing(SECRET).secretFor(requestId)));
    const [kept] = await bus.collect(resultOf(requestId).replyTo.nodeId, [requestId]);
    assert.ok(!JSON.stringify(kept).includes('the-refresh-secret'));
    await bus.close();
  });

  test("it does not open under another secret, another request's key, or with its status changed", () => {
    const requestId = randomUUID();
    const sealing = new ResultSealing(SECRET);
    const sealed = sealResult(resultOf(requestId), sealing.secretFor(requestId));
    assert.throws(() => new ResultSealing('t'.repeat(43)).open(sealed), SealError);
    assert.throws(() => sealing.open({ ...sealed, requestId: randomUUID() }), SealError);
    assert.throws(() => sealing.open({ ...sealed, status: 201 }), SealError);
    const tampered = { ...sealed, sealed: `${(sealed as { sealed: string }).sealed.slice(0, -2)}AA` } as Result;
    assert.throws(() => sealing.open(tampered), SealError);
    const other = sealResult(resultOf(randomUUID()), sealing.secretFor(randomUUID()));
    assert.throws(() => sealing.open(other), SealError);
  });

  test('error results and results of commands without a key pass as they are; a short secret is refused', () => {
    const error: Result = { requestId: randomUUID(), replyTo: { nodeId: 'n1' }, ok: false, status: 401, error: { code: 'invalid_credentials', message: 'no' } };
    assert.deepEqual(sealResult(error, new ResultSealing(SECRET).secretFor(error.requestId)), error);
    assert.deepEqual(sealResult(resultOf('x'), undefined), resultOf('x'));
    assert.throws(() => new ResultSealing('short'));
  });

  test("a challenge's error (mfa_required with its mfaToken) is sealed whole and opens to the same error", () => {
    const requestId = randomUUID();
    const sealing = new ResultSealing(SECRET);
    const challenge: Result = {
      requestId,
      replyTo: { nodeId: 'n1' },
      ok: false,
      status: 403,
      error: { code: 'mfa_required', message: 'a second factor is required', mfaToken: 'the-mfa-token-secret', methods: ['totp', 'recovery'] },
    };
    const sealed = sealResult(challenge, sealing.secretFor(requestId));
    assert.ok(!JSON.stringify(sealed).includes('the-mfa-token-secret'));
    assert.deepEqual(!sealed.ok && sealed.error, { code: 'mfa_required', message: 'a second factor is required' }, 'routing and counting still read the code');
    assert.deepEqual(sealing.open(sealed), challenge);
    assert.throws(() => new ResultSealing('t'.repeat(43)).open(sealed), SealError);
  });

  test("each request's key is node:crypto's HKDF-SHA256 of the secret, byte for byte (edges of either version agree)", () => {
    const salt = Buffer.from('authgate/result-seal/v1');
    for (let i = 0; i < 200; i++) {
      const secret = randomBytes(32 + (i % 33));
      const requestId = i % 2 ? randomUUID() : `req-${'é'.repeat(i % 7)}-${i}`;
      const expected = Buffer.from(hkdfSync('sha256', secret, salt, requestId, 32));
      assert.deepEqual(new HkdfSha256Block(secret, salt).derive(requestId), expected);
      assert.equal(new ResultSealing(secret).secretFor(requestId), expected.toString('base64url'));
    }
  });

  test('development: the secret is generated once into DATA_DIR (0600) and kept', () => {
    const data = tempDir('seal');
    try {
      const first = loadResultSealingSecret({ DATA_DIR: data.dir, RESULT_SEALING_SECRET: undefined });
      const file = path.join(data.dir, 'keys', 'result-sealing-secret');
      assert.ok(existsSync(file));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(readFileSync(file, 'utf8'), first);
      assert.ok(first.length >= 43);
      assert.equal(loadResultSealingSecret({ DATA_DIR: data.dir, RESULT_SEALING_SECRET: undefined }), first);
      assert.equal(loadResultSealingSecret({ DATA_DIR: data.dir, RESULT_SEALING_SECRET: SECRET }), SECRET);
    } finally {
      data.remove();
    }
  });
});
