import assert from 'node:assert/strict';
import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { HkdfSha256Block } from '@authgate/shared/security/hkdf-block';
import { ResultSealing, SealError, sealResult } from '@authgate/shared/security/result-seal';

const SALT = Buffer.from('authgate/result-seal/v1');

test("the per-request key is node:crypto's HKDF-SHA256, byte for byte, for any secret and request id", () => {
  for (let i = 0; i < 200; i++) {
    const secret = randomBytes(32 + (i % 33));
    const requestId = i % 2 ? randomUUID() : `req-${'é'.repeat(i % 7)}-${i}`;
    const expected = Buffer.from(hkdfSync('sha256', secret, SALT, requestId, 32));
    assert.deepEqual(new HkdfSha256Block(secret, SALT).derive(requestId), expected);
  }
});

test('a result sealed under the key its command carried opens on any edge of the deployment, and on no other', () => {
  const secret = randomBytes(32);
  const requestId = randomUUID();
  const issuing = new ResultSealing(secret);
  const result = { requestId, replyTo: { nodeId: 'edge-a' }, ok: true as const, status: 200, data: { refreshToken: 'rt1.secret' } };
  const sealed = sealResult(result, issuing.secretFor(requestId));
  assert.equal(JSON.stringify(sealed).includes('rt1.secret'), false, 'the body travels sealed');
  assert.deepEqual(new ResultSealing(Buffer.from(secret)).open(sealed), result, 'another edge with the same secret opens it');
  assert.throws(() => new ResultSealing(randomBytes(32)).open(sealed), SealError);
  assert.throws(() => issuing.open({ ...sealed, status: 201 }), SealError, 'bound to its status');
});
