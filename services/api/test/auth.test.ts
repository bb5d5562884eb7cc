import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UserRecord } from '@authgate/shared/db/users';
import { createLogger } from '@authgate/shared/logger';
import { RedisRevocations, revocationTtlMs } from '@authgate/shared/security/revocations';
import { ApiFixture, assertError, bearer, now, type Answer } from './fixture.ts';
import { REDIS_URL } from '../../../test/helpers/services.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function assertInvalidToken(answer: Answer, what: string): void {
  assertError(answer, 401, 'invalid_token', what);
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/, `${what}: WWW-Authenticate`);
}

describe('account API: GET /auth/me and the admin route', () => {
  let fx: ApiFixture;
  let admin: UserRecord;
  let member: UserRecord;
  const adminId = randomUUID();

  before(async () => {
    fx = await ApiFixture.start('api-auth', { ADMIN_USER_IDS: adminId });
    admin = await fx.createUser(`admin-${adminId.slice(0, 8)}@example.test`, adminId);
    member = await fx.createUser();
  });

  after(async () => {
    await fx?.close();
  });

  test('a valid token answers 200 with exactly id, email, createdAt and mfaEnabled of its user', async () => {
    const answer = await fx.request('/auth/me', bearer(await fx.token({ sub: member.id })));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(answer.body).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled']);
    assert.equal(answer.body.mfaEnabled, false);
    assert.equal(answer.body.id, member.id);
    assert.equal(answer.body.email, member.email);
    assert.equal(answer.body.createdAt, member.createdAt.toISOString());
    assert.equal(answer.headers.get('cache-control'), 'no-store', 'personal data is not cached');
  });

  test('no Authorization header, another scheme or a malformed one: 401 invalid_token', async () => {
    const token = await fx.token({ sub: member.id });
    assertInvalidToken(await fx.request('/auth/me'), 'no header');
    for (const authorization of [`Basic ${token}`, token, 'Bearer', 'Bearer short', `Bearer ${token} extra`]) {
      assertInvalidToken(await fx.request('/auth/me', { headers: { authorization } }), JSON.stringify(authorization.slice(0, 20)));
    }
  });

  test('every forged or stale token is refused with the same 401 invalid_token', async () => {
    const sub = member.id;
    const good = await fx.token({ sub });
    const [header, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const publicPem = createPublicKey(fx.signing.privateKey).export({ type: 'spki', format: 'pem' });
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const cases: Array<[string, string]> = [
      ['expired', await fx.token({ sub, iat: now() - 1000, exp: now() - 60 })],
      ['tampered sub', `${header}.${b64({ ...claims, sub: admin.id })}.${signature}`],
      ['tampered exp', `${header}.${b64({ ...claims, exp: now() + 86_400 * 365 })}.${signature}`],
      ['alg none', `${b64({ alg: 'none', kid: fx.signing.kid })}.${payload}.`],
      ['HS256 with the public key as secret', await fx.token({ sub, alg: 'HS256', key: new Uint8Array(Buffer.from(publicPem)) })],
      ['signed by another key under our kid', await fx.token({ sub, key: foreign })],
      ['unknown kid', await fx.token({ sub, kid: 'not-a-known-kid' })],
      ['no kid', await fx.token({ sub, kid: undefined })],
      ['wrong issuer', await fx.token({ sub, iss: 'someone-else' })],
      ['wrong audience', await fx.token({ sub, aud: 'another-service' })],
      ['not yet valid', await fx.token({ sub, nbf: now() + 600 })],
      ['no sid', await fx.token({ sub, claims: { sid: undefined } })],
      ['garbage', 'aaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbb.cccccccccccccccc'],
    ];
    for (const [what, token] of cases) assertInvalidToken(await fx.request('/auth/me', bearer(token)), what);
    // The untouched token still works: the refusals are about what was changed.
    assert.equal((await fx.request('/auth/me', bearer(good))).status, 200);
  });

  test('a token of a revoked session (logout, refresh reuse) is refused as the edges refuse it', async () => {
    const revokedSid = randomUUID();
    const revoked = await fx.token({ sub: member.id, claims: { sid: revokedSid } });
    const other = await fx.token({ sub: member.id });
    assert.equal((await fx.request('/auth/me', bearer(revoked))).status, 200, 'before the revocation');
    // As a worker revokes: kept in Redis and broadcast to every follower.
    const workerSide = new RedisRevocations(REDIS_URL, fx.config.NAMESPACE, revocationTtlMs(fx.config), createLogger({ level: 'silent', name: 'worker-side' }));
    try {
      await workerSide.revoke(revokedSid);
    } finally {
      await workerSide.close();
    }
    let answer = await fx.request('/auth/me', bearer(revoked));
    for (let i = 0; i < 100 && answer.status === 200; i++) {
      await sleep(50);
      answer = await fx.request('/auth/me', bearer(revoked));
    }
    assertInvalidToken(answer, 'revoked session');
    assert.equal((await fx.request('/auth/me', bearer(other))).status, 200, 'another session of the same user stands');
  });

  test('a token living longer than ACCESS_TOKEN_TTL_S (exp - iat), or issued in the future, is refused', async () => {
    const ttl = fx.config.ACCESS_TOKEN_TTL_S;
    const sub = member.id;
    assertInvalidToken(await fx.request('/auth/me', bearer(await fx.token({ sub, iat: now(), exp: now() + ttl + 60 }))), 'a lifetime past the configured one');
    assertInvalidToken(await fx.request('/auth/me', bearer(await fx.token({ sub, iat: now() - 10, exp: now() + 86_400 * 365 }))), 'a year-long token');
    assertInvalidToken(await fx.request('/auth/me', bearer(await fx.token({ sub, iat: now() + 3600, exp: now() + 3600 + ttl }))), 'issued an hour ahead');
    assert.equal((await fx.request('/auth/me', bearer(await fx.token({ sub, iat: now(), exp: now() + ttl })))).status, 200, 'exactly the configured lifetime');
  });

  test('a token whose sub (or sid) is not a UUID is 401 invalid_token, not 503', async () => {
    for (const sub of ['admin', 'not-a-uuid', "1' OR '1'='1", '00000000-0000-0000-0000-00000000000g']) {
      assertInvalidToken(await fx.request('/auth/me', bearer(await fx.token({ sub }))), `sub ${JSON.stringify(sub)}`);
    }
    assertInvalidToken(await fx.request('/auth/me', bearer(await fx.token({ sub: member.id, claims: { sid: 'session' } }))), 'sid not a UUID');
  });

  test('a valid token whose user no longer exists: 401 invalid_token', async () => {
    assertInvalidToken(await fx.request('/auth/me', bearer(await fx.token({ sub: randomUUID() }))), 'unknown user');
  });

  test('GET /users/by-email/:email answers an admin with the user, looked up case-insensitively', async () => {
    const answer = await fx.request(`/users/by-email/${encodeURIComponent(member.email.toUpperCase())}`, bearer(await fx.token({ sub: admin.id })));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, { id: member.id, email: member.email, emailVerified: false, mfaEnabled: false, createdAt: member.createdAt.toISOString() });
  });

  test('by-email: a valid token of a user not in ADMIN_USER_IDS gets 403 forbidden', async () => {
    const answer = await fx.request(`/users/by-email/${encodeURIComponent(member.email)}`, bearer(await fx.token({ sub: member.id })));
    assertError(answer, 403, 'forbidden', 'non-admin');
  });

  test('by-email: no token or an invalid one gets 401, before the email is even looked at', async () => {
    assertInvalidToken(await fx.request(`/users/by-email/${encodeURIComponent(member.email)}`), 'no token');
    assertInvalidToken(await fx.request('/users/by-email/not-an-email'), 'no token, bad email');
    const expired = await fx.token({ sub: admin.id, iat: now() - 1000, exp: now() - 60 });
    assertInvalidToken(await fx.request(`/users/by-email/${encodeURIComponent(member.email)}`, bearer(expired)), 'expired admin token');
    // A non-admin learns nothing from a malformed email either.
    assertError(await fx.request('/users/by-email/not-an-email', bearer(await fx.token({ sub: member.id }))), 403, 'forbidden', 'non-admin, bad email');
  });

  test('by-email: an admin asking for an unknown email gets 404 not_found; a malformed one 400 with details', async () => {
    const token = await fx.token({ sub: admin.id });
    assertError(await fx.request('/users/by-email/nobody-here%40example.test', bearer(token)), 404, 'not_found', 'unknown email');
    const bad = await fx.request('/users/by-email/not-an-email', bearer(token));
    assertError(bad, 400, 'invalid_request', 'malformed email');
    assert.deepEqual(
      bad.body.error.details.map((d: { path: string }) => d.path),
      ['email'],
    );
  });
});
