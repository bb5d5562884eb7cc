import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { loadConfig, type Config } from '@authgate/shared/config';
import { AppError } from '@authgate/shared/errors';
import { loadSigningKey, loadVerificationKeys, type SigningKey, type VerificationKeys } from '@authgate/shared/keys';
import { TokenVerifier, bearerToken } from '../src/verify.ts';
import { tempDir } from '../../../test/helpers/services.ts';
import { now, signTestToken, type TokenOptions } from '../../../test/helpers/tokens.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function rejectsAsInvalidToken(promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(
    promise,
    (err: unknown) => {
      assert.ok(err instanceof AppError, `${what}: expected an AppError, got ${String(err)}`);
      assert.equal(err.code, 'invalid_token', what);
      assert.equal(err.status, 401, what);
      return true;
    },
    what,
  );
}

describe('TokenVerifier', () => {
  const tmp = tempDir('verify');
  let config: Config;
  let signing: SigningKey;
  let keys: VerificationKeys;
  let verifier: TokenVerifier;

  const sign = (options: TokenOptions = {}) => signTestToken(signing, config, options);

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const decodePayload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

  before(async () => {
    config = loadConfig({ DATA_DIR: tmp.dir, NODE_ENV: 'test' }, 'all');
    signing = await loadSigningKey(config);
    keys = await loadVerificationKeys(config);
    verifier = new TokenVerifier(keys, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeS: config.ACCESS_TOKEN_TTL_S, cacheSize: 100 });
  });

  after(() => {
    tmp.remove();
  });

  test('the verification keys are the public half of the signing key, under its kid', () => {
    assert.ok(keys.byKid.has(signing.kid));
    assert.equal(verifier.jwks.keys.length, 1);
    const jwk = verifier.jwks.keys[0]!;
    assert.equal(jwk.kid, signing.kid);
    assert.equal(jwk.alg, 'RS256');
    assert.equal('d' in jwk, false, 'the JWKS must not carry private members');
  });

  test('a valid token verifies and returns sub, sid and exp', async () => {
    const sub = randomUUID();
    const sid = randomUUID();
    const exp = now() + 600;
    const token = await sign({ sub, exp, claims: { sid } });
    const verified = await verifier.verify(token);
    assert.equal(verified.sub, sub);
    assert.equal(verified.sid, sid);
    assert.equal(verified.exp, exp);
    assert.deepEqual(JSON.parse(verified.body), { sub, sid, exp });
    assert.deepEqual(verifier.cached(token), verified);
  });

  test('alg none is rejected', async () => {
    const payload = { iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE, sub: randomUUID(), sid: randomUUID(), iat: now(), exp: now() + 600, jti: randomUUID() };
    for (const header of [{ alg: 'none' }, { alg: 'none', kid: signing.kid, typ: 'JWT' }, { alg: 'None', kid: signing.kid }]) {
      await rejectsAsInvalidToken(verifier.verify(`${b64(header)}.${b64(payload)}.`), `unsigned ${JSON.stringify(header)}`);
    }
    // The same claims signed properly do verify: the rejection is about the algorithm.
    const signed = await sign({ sub: payload.sub, claims: { sid: payload.sid } });
    assert.equal((await verifier.verify(signed)).sub, payload.sub);
  });

  test('HS256 signed with the public key PEM as the HMAC secret is rejected', async () => {
    const publicPem = createPublicKey(signing.privateKey).export({ type: 'spki', format: 'pem' });
    const publicDer = createPublicKey(signing.privateKey).export({ type: 'spki', format: 'der' });
    for (const secret of [new Uint8Array(Buffer.from(publicPem)), new Uint8Array(publicDer)]) {
      const token = await sign({ alg: 'HS256', key: secret });
      await rejectsAsInvalidToken(verifier.verify(token), 'HS256 key confusion');
    }
  });

  test('a wrong issuer is rejected', async () => {
    await rejectsAsInvalidToken(verifier.verify(await sign({ iss: 'someone-else' })), 'wrong iss');
  });

  test('a wrong audience is rejected', async () => {
    await rejectsAsInvalidToken(verifier.verify(await sign({ aud: 'another-service' })), 'wrong aud');
  });

  test('an expired token is rejected', async () => {
    await rejectsAsInvalidToken(verifier.verify(await sign({ iat: now() - 1_000, exp: now() - 60 })), 'expired');
  });

  test('a token whose nbf is in the future is rejected', async () => {
    await rejectsAsInvalidToken(verifier.verify(await sign({ nbf: now() + 300 })), 'nbf in the future');
    // nbf in the past is fine.
    await verifier.verify(await sign({ nbf: now() - 10 }));
  });

  test('a tampered payload is rejected', async () => {
    const token = await sign();
    const [header, , signature] = token.split('.');
    const payload = decodePayload(token);
    const tampered = `${header}.${b64({ ...payload, sub: randomUUID() })}.${signature}`;
    await rejectsAsInvalidToken(verifier.verify(tampered), 'tampered sub');
    const extended = `${header}.${b64({ ...payload, exp: now() + 86_400 * 365 })}.${signature}`;
    await rejectsAsInvalidToken(verifier.verify(extended), 'tampered exp');
    // The untouched token verifies.
    await verifier.verify(token);
  });

  test('with maxLifetimeS, a token living longer (exp - iat) or issued in the future is rejected', async () => {
    const bounded = new TokenVerifier(keys, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, cacheSize: 0, maxLifetimeS: 900 });
    await rejectsAsInvalidToken(bounded.verify(await sign({ iat: now(), exp: now() + 960 })), 'lifetime 960 s of 900');
    await rejectsAsInvalidToken(bounded.verify(await sign({ iat: now() - 5, exp: now() + 86_400 * 365 })), 'a year-long token');
    await rejectsAsInvalidToken(bounded.verify(await sign({ iat: now() + 3600, exp: now() + 4500 })), 'issued an hour ahead');
    assert.ok(await bounded.verify(await sign({ iat: now(), exp: now() + 900 })), 'exactly the configured lifetime');
  });

  test('a token whose sub or sid is not a UUID is rejected', async () => {
    for (const sub of ['admin', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g']) {
      await rejectsAsInvalidToken(verifier.verify(await sign({ sub })), `sub ${sub}`);
    }
    await rejectsAsInvalidToken(verifier.verify(await sign({ claims: { sid: 'session' } })), 'sid not a UUID');
  });

  test('a token signed by another RSA key is rejected, even under the right kid', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await rejectsAsInvalidToken(verifier.verify(await sign({ key: privateKey })), 'foreign key');
  });

  test('an unknown kid, or none at all, is rejected', async () => {
    await rejectsAsInvalidToken(verifier.verify(await sign({ kid: 'not-a-known-kid' })), 'unknown kid');
    await rejectsAsInvalidToken(verifier.verify(await sign({ kid: undefined })), 'no kid');
  });

  test('a token without sid is rejected', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid })
      .setIssuer(config.JWT_ISSUER)
      .setAudience(config.JWT_AUDIENCE)
      .setSubject(randomUUID())
      .setIssuedAt()
      .setExpirationTime('10m')
      .setJti(randomUUID())
      .sign(signing.privateKey);
    await rejectsAsInvalidToken(verifier.verify(token), 'missing sid');
    await rejectsAsInvalidToken(verifier.verify(await sign({ claims: { sid: 42 } })), 'numeric sid');
  });

  test('garbage is rejected', async () => {
    for (const junk of ['', 'a.b.c', 'not a token', `${(await sign()).split('.').slice(0, 2).join('.')}`]) {
      await rejectsAsInvalidToken(verifier.verify(junk), JSON.stringify(junk));
    }
  });

  test('a rejected token is never cached', async () => {
    const token = await sign({ aud: 'another-service' });
    await rejectsAsInvalidToken(verifier.verify(token), 'wrong aud');
    assert.equal(verifier.cached(token), undefined);
  });

  test('a cached token answers only for itself: a token sharing its signature (and so its cache index) is verified, and refused', async () => {
    const token = await sign();
    await verifier.verify(token);
    assert.ok(verifier.cached(token), 'the verified token is cached');
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64({ ...decodePayload(token), sub: randomUUID() })}.${signature}`;
    assert.equal(verifier.cached(forged), undefined);
    await rejectsAsInvalidToken(verifier.verify(forged), 'payload swapped under a cached signature');
    assert.ok(verifier.cached(token), 'the refused forgery did not evict the real token');
  });

  test('cachedBearer answers only "Bearer <cached token>" exactly; other spellings go the long way', async () => {
    const token = await sign();
    await verifier.verify(token);
    assert.equal(verifier.cachedBearer(`Bearer ${token}`)?.token, token);
    for (const header of [`bearer ${token}`, `Bearer  ${token}`, `Bearer ${token} `, `Basic ${token}`, token, '']) {
      assert.equal(verifier.cachedBearer(header), undefined, JSON.stringify(header.slice(0, 10)));
    }
  });

  test('the cache never answers for a token after its exp', async () => {
    const exp = now() + 2;
    const token = await sign({ exp });
    const verified = await verifier.verify(token);
    assert.equal(verified.exp, exp);
    assert.ok(verifier.cached(token), 'cached while valid');
    while (Date.now() <= exp * 1000 + 50) await sleep(100);
    assert.equal(verifier.cached(token), undefined);
    await rejectsAsInvalidToken(verifier.verify(token), 'expired after caching');
  });

  test('the cache is bounded: with cacheSize 2, the first of 3 tokens is evicted', async () => {
    const small = new TokenVerifier(keys, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeS: config.ACCESS_TOKEN_TTL_S, cacheSize: 2 });
    const tokens = [await sign(), await sign(), await sign()];
    for (const token of tokens) await small.verify(token);
    assert.equal(small.cached(tokens[0]!), undefined);
    assert.ok(small.cached(tokens[1]!));
    assert.ok(small.cached(tokens[2]!));
    // Evicted only from the cache: it still verifies the long way.
    assert.ok((await small.verify(tokens[0]!)).sid);
  });

  test('cacheSize 0 caches nothing', async () => {
    const none = new TokenVerifier(keys, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeS: config.ACCESS_TOKEN_TTL_S, cacheSize: 0 });
    const token = await sign();
    await none.verify(token);
    assert.equal(none.cached(token), undefined);
  });
});

describe('bearerToken', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ';

  test('parses "Bearer <token>"', () => {
    assert.equal(bearerToken(`Bearer ${token}`), token);
    assert.equal(bearerToken(`bearer ${token}`), token, 'the scheme is case-insensitive');
  });

  test('rejects other schemes and malformed headers', () => {
    for (const header of [
      `Basic ${token}`,
      `Token ${token}`,
      token,
      'Bearer',
      'Bearer ',
      'Bearer short',
      `Bearer ${token} extra`,
      `Bearer ${token}\n`,
      `Bearer\t${token}`,
      `xBearer ${token}`,
      '',
    ]) {
      assert.equal(bearerToken(header), undefined, JSON.stringify(header));
    }
  });
});
