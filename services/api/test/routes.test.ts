import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../../../test/helpers/services.ts';
import { ApiFixture, assertError, type Answer } from './fixture.ts';

const ALLOWED_ORIGIN = 'https://app.example.test';
const LIMIT = 4;
let ipCounter = 0;
/** Each test speaks from its own client address (the API trusts 127.0.0.1 as its proxy). */
const newClientIp = () => `198.51.100.${++ipCounter}`;
const from = (ip: string, headers: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': ip, ...headers } });

/** helmet's headers, on successes and errors alike. */
function assertSecurityHeaders(answer: Answer, what: string): void {
  for (const name of [
    'content-security-policy',
    'strict-transport-security',
    'x-content-type-options',
    'x-frame-options',
    'referrer-policy',
    'cross-origin-opener-policy',
  ]) {
    assert.ok(answer.headers.get(name), `${what}: ${name} missing`);
  }
  assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', what);
}

describe('account API: check-email, errors, headers, CORS, docs', () => {
  let fx: ApiFixture;

  before(async () => {
    fx = await ApiFixture.start('api-routes', {
      CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:5173`,
      CHECK_EMAIL_PER_MINUTE: String(LIMIT),
      TRUSTED_PROXIES: '127.0.0.1',
    });
  });

  after(async () => {
    await fx?.close();
  });

  test('check-email: 200 {exists} for a known email in any case, and for an unknown one', async () => {
    const user = await fx.createUser();
    const ip = newClientIp();
    const known = await fx.request(`/users/check-email?email=${encodeURIComponent(user.email.toUpperCase())}`, from(ip));
    assert.equal(known.status, 200, known.text);
    assert.deepEqual(known.body, { exists: true });
    const unknown = await fx.request('/users/check-email?email=nobody%40example.test', from(ip));
    assert.deepEqual(unknown.body, { exists: false });
  });

  test('check-email: a missing, malformed or repeated email is 400 invalid_request naming the field', async () => {
    for (const query of ['', '?email=', '?email=not-an-email', '?email=a%40b.co&email=c%40d.co', `?email=${'a'.repeat(250)}%40example.test`]) {
      const answer = await fx.request(`/users/check-email${query}`, from(newClientIp()));
      assertError(answer, 400, 'invalid_request', `query ${JSON.stringify(query.slice(0, 40))}`);
      assert.deepEqual(
        answer.body.error.details.map((d: { path: string }) => d.path),
        ['email'],
        answer.text,
      );
    }
  });

  test(`check-email: the ${LIMIT + 1}th lookup in a minute from one IP is 429 with Retry-After; other IPs go on`, async () => {
    const ip = newClientIp();
    // Malformed lookups count too: the limit is checked before the query is.
    assert.equal((await fx.request('/users/check-email?email=bad', from(ip))).status, 400);
    for (let i = 1; i < LIMIT; i++) assert.equal((await fx.request(`/users/check-email?email=n${i}%40example.test`, from(ip))).status, 200);
    const limited = await fx.request('/users/check-email?email=n%40example.test', from(ip));
    assertError(limited, 429, 'rate_limited', 'over the limit');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(limited.body.error.retryAfter, retryAfter);
    assert.equal((await fx.request('/users/check-email?email=n%40example.test', from(newClientIp()))).status, 200, 'another IP is not limited');
    // The counter is Redis's, so every api replica shares it.
    const redis = new Redis(REDIS_URL);
    try {
      const key = `${fx.config.NAMESPACE}:rl:check-email:${ip}`;
      assert.ok(Number(await redis.get(key)) > LIMIT, `counter ${key} in Redis`);
    } finally {
      redis.disconnect();
    }
  });

  test('an X-Forwarded-For is believed only from a trusted proxy', async () => {
    const untrusting = await ApiFixture.start('api-untrusting', { CHECK_EMAIL_PER_MINUTE: '2' });
    try {
      // Different forwarded addresses from an untrusted peer are one client: 127.0.0.1.
      for (const ip of ['203.0.113.1', '203.0.113.2']) assert.equal((await untrusting.request('/users/check-email?email=a%40b.co', from(ip))).status, 200);
      assertError(await untrusting.request('/users/check-email?email=a%40b.co', from('203.0.113.3')), 429, 'rate_limited', 'spoofed XFF');
    } finally {
      await untrusting.close();
    }
  });

  test('an unknown route is 404 not_found in the error shape, for any method', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/users/check-email'],
      ['DELETE', '/auth/me'],
      ['GET', '/users/by-email'],
      ['GET', '/'],
    ] as const) {
      assertError(await fx.request(path, { method }), 404, 'not_found', `${method} ${path}`);
    }
  });

  test('a malformed URL is 400 invalid_request; a body over the limit is 413 payload_too_large', async () => {
    assertError(await fx.request('/users/%zz'), 400, 'invalid_request', 'bad percent-encoding');
    const big = await fx.request('/users/check-email', {
      method: 'POST',
      body: JSON.stringify({ pad: 'x'.repeat(4096) }),
      headers: { 'content-type': 'application/json' },
    });
    assertError(big, 413, 'payload_too_large', 'large body');
  });

  test('helmet headers are on successes and errors alike', async () => {
    assertSecurityHeaders(await fx.request('/health'), '/health');
    assertSecurityHeaders(await fx.request('/users/check-email?email=x%40example.test', from(newClientIp())), 'check-email');
    assertSecurityHeaders(await fx.request('/auth/me'), '401');
    assertSecurityHeaders(await fx.request('/nope'), '404');
  });

  test('CORS: an allowlisted origin is allowed, any other origin gets no CORS header', async () => {
    const allowed = await fx.request('/health', { headers: { origin: ALLOWED_ORIGIN } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    const preflight = await fx.request('/auth/me', {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204, preflight.text);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    for (const origin of ['https://evil.example.test', 'https://app.example.test.evil.test', 'http://app.example.test']) {
      const refused = await fx.request('/health', { headers: { origin } });
      assert.equal(refused.status, 200);
      assert.equal(refused.headers.get('access-control-allow-origin'), null, origin);
    }
  });

  test('CORS: without CORS_ORIGINS no answer carries a CORS header', async () => {
    const closed = await ApiFixture.start('api-nocors');
    try {
      for (const origin of [ALLOWED_ORIGIN, 'https://evil.example.test']) {
        const answer = await closed.request('/health', { headers: { origin } });
        assert.equal(answer.headers.get('access-control-allow-origin'), null, origin);
      }
    } finally {
      await closed.close();
    }
  });

  test('/health is 200 {status:"ok"}; /ready is 200 while PostgreSQL and Redis answer', async () => {
    const health = await fx.request('/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await fx.request('/ready');
    assert.equal(ready.status, 200, ready.text);
    assert.deepEqual(ready.body, { status: 'ready' });
  });

  test('/docs serves the UI, and its OpenAPI document lists every route with its schemas', async () => {
    const ui = await fx.request('/docs');
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
    const spec = await fx.request('/docs/json');
    assert.equal(spec.status, 200);
    assert.match(spec.body.openapi, /^3\./);
    const paths = spec.body.paths as Record<string, Record<string, any>>;
    for (const path of ['/users/check-email', '/auth/me', '/users/by-email/{email}', '/health', '/ready']) assert.ok(paths[path]?.get, `${path} documented`);
    assert.ok(!Object.keys(paths).some((p) => p.startsWith('/docs')), 'the docs routes themselves are hidden');
    const checkEmail = paths['/users/check-email']!.get;
    assert.deepEqual(
      checkEmail.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`),
      ['query:email'],
    );
    assert.deepEqual(Object.keys(checkEmail.responses).sort(), ['200', '400', '429', '503']);
    const user = paths['/auth/me']!.get.responses['200'].content['application/json'].schema;
    assert.deepEqual(Object.keys(user.properties).sort(), ['createdAt', 'email', 'id', 'mfaEnabled']);
    assert.deepEqual(paths['/users/by-email/{email}']!.get.security, [{ bearerAuth: [] }]);
    assert.equal(spec.body.components.securitySchemes.bearerAuth.scheme, 'bearer');
  });
});
