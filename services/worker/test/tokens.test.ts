import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { verifyAccessToken } from '@authgate/shared/access-token';
import { loadConfig } from '@authgate/shared/config';
import { AppError } from '@authgate/shared/errors';
import { loadSigningKey, loadVerificationKeys } from '@authgate/shared/keys';
import { AccessTokenSigner } from '../src/tokens.ts';
import { tempDir } from '../../../test/helpers/services.ts';

// What the worker signs, verified as an edge verifies it, for each JWT_ALG; and each verifier accepts
// its own algorithm only.

const RULES = { issuer: 'authgate', audience: 'authgate', maxLifetimeS: 900 };
const SIGNED_IN = { amr: ['pwd' as const], authTime: 1_790_000_000 };

describe('access tokens: RS256 by default, ES256 opt-in (JWT_ALG)', () => {
  const tmp = tempDir('tokens');
  after(() => tmp.remove());
  const setup = async (alg?: 'RS256' | 'ES256') => {
    const config = loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test', ...(alg ? { JWT_ALG: alg } : {}) }, 'all');
    const key = await loadSigningKey(config);
    return { config, key, keys: await loadVerificationKeys(config), signer: new AccessTokenSigner(key, { ...RULES, ttlSeconds: 900 }) };
  };

  for (const alg of [undefined, 'ES256'] as const) {
    test(`${alg ?? 'the default'}: the worker's token verifies at the edge; the JWKS publishes the public key under that alg`, async () => {
      const { keys, signer, key } = await setup(alg);
      const sub = randomUUID();
      const sid = randomUUID();
      const token = await signer.sign(sub, sid, SIGNED_IN);
      assert.deepEqual(decodeProtectedHeader(token), { alg: alg ?? 'RS256', kid: key.kid, typ: 'JWT' });
      const claims = await verifyAccessToken(token, keys, RULES);
      assert.equal(claims.sub, sub);
      assert.equal(claims.sid, sid);
      // How the session was signed in rides on each of its tokens (RFC 8176 amr, OIDC auth_time).
      assert.deepEqual(decodeJwt(token).amr, SIGNED_IN.amr);
      assert.equal(decodeJwt(token).auth_time, SIGNED_IN.authTime);
      assert.equal(keys.jwks.keys.length, 1);
      const [jwk] = keys.jwks.keys;
      assert.equal(jwk!.alg, alg ?? 'RS256');
      assert.equal(jwk!.kty, alg === 'ES256' ? 'EC' : 'RSA');
      assert.equal('d' in jwk!, false, 'no private member published');
    });
  }

  test("each verifier refuses the other algorithm's tokens", async () => {
    const rs = await setup('RS256');
    const es = await setup('ES256');
    const invalid = (err: unknown) => err instanceof AppError && err.code === 'invalid_token';
    await assert.rejects(verifyAccessToken(await es.signer.sign(randomUUID(), randomUUID(), SIGNED_IN), rs.keys, RULES), invalid);
    await assert.rejects(verifyAccessToken(await rs.signer.sign(randomUUID(), randomUUID(), SIGNED_IN), es.keys, RULES), invalid);
    // Both keys published to one verifier still accept only its JWT_ALG.
    const both = { ...es.keys, byKid: new Map([...es.keys.byKid, ...rs.keys.byKid]) };
    await assert.rejects(verifyAccessToken(await rs.signer.sign(randomUUID(), randomUUID(), SIGNED_IN), both, RULES), invalid);
  });

  test('a key of the wrong kind for JWT_ALG is refused at start-up', async () => {
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(loadSigningKey(loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test', JWT_ALG: 'ES256', JWT_PRIVATE_KEY: rsaPem }, 'worker')), /EC P-256/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(loadSigningKey(loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test', JWT_ALG: 'ES256', JWT_PRIVATE_KEY: p384 }, 'worker')), /EC P-256/);
    const rsaJwks = JSON.stringify((await setup('RS256')).keys.jwks);
    await assert.rejects(
      loadVerificationKeys(loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test', JWT_ALG: 'ES256', JWT_PUBLIC_JWKS: rsaJwks }, 'edge')),
      /EC P-256 JWK/,
    );
  });
});
