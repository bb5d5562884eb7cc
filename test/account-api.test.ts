import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import pg from 'pg';
import { loadConfig } from '@authgate/shared/config';
import { loadSigningKey } from '@authgate/shared/keys';
import { call, post, type HttpAnswer } from './helpers/http.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { AMQP_URL, cleanupNamespace, createTestDatabase, REDIS_URL, tempDir, uniqueNamespace } from './helpers/services.ts';
import { newEmail, PASSWORD } from './helpers/users.ts';

const HASH_MARKERS = ['password_hash', 'passwordHash', '$2b$', '$2a$'];

/** A GET whose answer, whatever it is, shows no password hash and, when an error, the shape of docs/errors.md. */
async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const answer = await call(base, 'GET', path, { headers });
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? '');
  for (const marker of HASH_MARKERS) assert.ok(!text.includes(marker), `${path}: the answer shows ${marker}`);
  if (answer.status >= 400 && path !== '/ready') {
    assert.equal(typeof answer.body?.error?.code, 'string', `${path}: ${text.slice(0, 200)}`);
    assert.equal(typeof answer.body.error.message, 'string');
    assert.equal(typeof answer.body.error.requestId, 'string');
    assert.ok(!text.includes('"stack"') && !/\bat .+:\d+:\d+/.test(text), `${path}: a stack trace leaked`);
  }
  return answer;
}

function assertError(answer: HttpAnswer, status: number, code: string, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body?.error?.code, code, what);
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const now = () => Math.floor(Date.now() / 1000);

async function registerAndLogin(edge: string, email: string): Promise<{ id: string; accessToken: string; refreshToken: string }> {
  const reg = await post(edge, '/auth/register', { email, password: PASSWORD });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const login = await post(edge, '/auth/login', { email, password: PASSWORD });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { id: reg.body.userId, accessToken: login.body.accessToken, refreshToken: login.body.refreshToken };
}

/**
 * The account API as its own process (`--target=api`), beside a worker and an edge on the machine's
 * RabbitMQ, Redis and PostgreSQL: users registered and logged in through the edge, their real tokens
 * presented to the API.
 */
describe('account API process beside an edge and a worker', () => {
  const ALLOWED_ORIGIN = 'https://app.example.test';
  const CHECK_EMAIL_PER_MINUTE = 5;
  const processes: RunningProcess[] = [];
  const data = tempDir('account');
  const namespace = uniqueNamespace('account');
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let edge: RunningProcess;
  let api: RunningProcess;
  let adminEmail: string;
  let memberEmail: string;
  let admin: Awaited<ReturnType<typeof registerAndLogin>>;
  let member: Awaited<ReturnType<typeof registerAndLogin>>;
  let ipCounter = 0;
  const clientIp = () => `198.51.100.${++ipCounter}`;

  before(async () => {
    database = await createTestDatabase('account');
    const common = { NAMESPACE: namespace, REDIS_URL, DATA_DIR: data.dir };
    processes.push(await startProcess('worker', { ...common, AMQP_URL, DATABASE_URL: database.url, BCRYPT_COST: '4' }));
    edge = await startProcess('edge', { ...common, AMQP_URL, RATE_LIMIT_IP_PER_MINUTE: '100000' });
    processes.push(edge);
    adminEmail = newEmail('admin');
    memberEmail = newEmail('member');
    admin = await registerAndLogin(edge.url, adminEmail);
    member = await registerAndLogin(edge.url, memberEmail);
    // Admins are named by user id, so the API starts once the admin exists.
    api = await startProcess('api', {
      ...common,
      DATABASE_URL: database.url,
      ADMIN_USER_IDS: admin.id,
      CORS_ORIGINS: ALLOWED_ORIGIN,
      CHECK_EMAIL_PER_MINUTE: String(CHECK_EMAIL_PER_MINUTE),
      TRUSTED_PROXIES: '127.0.0.1',
    });
    processes.push(api);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await cleanupNamespace(namespace);
    data.remove();
  });

  test('the users table does hold bcrypt hashes: what the answers must never show', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT password_hash FROM users WHERE id = $1', [member.id]);
      assert.match(rows[0].password_hash, /^\$2b\$/);
    } finally {
      await client.end();
    }
  });

  test('GET /users/check-email: exists true (any case), false, 400 for a missing or invalid email', async () => {
    const ip = { 'x-forwarded-for': clientIp() };
    const known = await get(api.url, `/users/check-email?email=${encodeURIComponent(memberEmail.toUpperCase())}`, ip);
    assert.equal(known.status, 200);
    assert.deepEqual(known.body, { exists: true });
    assert.deepEqual((await get(api.url, `/users/check-email?email=${encodeURIComponent(newEmail('nobody'))}`, ip)).body, { exists: false });
    assertError(await get(api.url, '/users/check-email', { 'x-forwarded-for': clientIp() }), 400, 'invalid_request', 'missing');
    const invalid = await get(api.url, '/users/check-email?email=not-an-email', { 'x-forwarded-for': clientIp() });
    assertError(invalid, 400, 'invalid_request', 'invalid');
    assert.deepEqual(
      invalid.body.error.details.map((d: { path: string }) => d.path),
      ['email'],
    );
  });

  test('GET /users/check-email is rate-limited per IP: 429 rate_limited with Retry-After and retryAfter', async () => {
    const ip = { 'x-forwarded-for': clientIp() };
    for (let i = 0; i < CHECK_EMAIL_PER_MINUTE; i++) assert.equal((await get(api.url, '/users/check-email?email=a%40example.test', ip)).status, 200);
    const limited = await get(api.url, '/users/check-email?email=a%40example.test', ip);
    assertError(limited, 429, 'rate_limited', 'over the limit');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(limited.body.error.retryAfter, retryAfter);
  });

  test('GET /auth/me with a token from login: 200 {id, email, createdAt, mfaEnabled}; a refreshed token works too', async () => {
    const me = await get(api.url, '/auth/me', auth(member.accessToken));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual(Object.keys(me.body).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled']);
    assert.equal(me.body.mfaEnabled, false);
    assert.equal(me.body.id, member.id);
    assert.equal(me.body.email, memberEmail);
    assert.ok(Math.abs(Date.parse(me.body.createdAt) - Date.now()) < 10 * 60_000, me.body.createdAt);
    const refreshed = await post(edge.url, '/auth/refresh', { refreshToken: member.refreshToken });
    assert.equal(refreshed.status, 200);
    member.refreshToken = refreshed.body.refreshToken;
    assert.equal((await get(api.url, '/auth/me', auth(refreshed.body.accessToken))).body.id, member.id);
  });

  test('GET /auth/me: 401 invalid_token without a token, and for garbage, tampered and expired tokens', async () => {
    assertError(await get(api.url, '/auth/me'), 401, 'invalid_token', 'no token');
    assertError(await get(api.url, '/auth/me', { authorization: 'Bearer not-a-real-token-at-all' }), 401, 'invalid_token', 'garbage');
    const [header, payload, signature] = member.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: admin.id })).toString('base64url')}.${signature}`;
    assertError(await get(api.url, '/auth/me', auth(tampered)), 401, 'invalid_token', 'tampered');
    // Signed with the deployment's real key (as the worker would), but expired.
    const signing = await loadSigningKey(loadConfig({ DATA_DIR: data.dir, NODE_ENV: 'test' }, 'worker'));
    const expired = await new SignJWT({ sid: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: signing.kid })
      .setIssuer('authgate')
      .setAudience('authgate')
      .setSubject(member.id)
      .setIssuedAt(now() - 2000)
      .setExpirationTime(now() - 60)
      .setJti(randomUUID())
      .sign(signing.privateKey);
    assertError(await get(api.url, '/auth/me', auth(expired)), 401, 'invalid_token', 'expired');
  });

  test('GET /auth/me: a token of a session logged out through the edge stops working', async () => {
    const email = newEmail('leaver');
    const leaver = await registerAndLogin(edge.url, email);
    assert.equal((await get(api.url, '/auth/me', auth(leaver.accessToken))).status, 200);
    assert.equal((await post(edge.url, '/auth/logout', { refreshToken: leaver.refreshToken })).status, 204);
    // The revocation travels worker → Redis → this process; wait for it, however long it takes.
    let answer = await get(api.url, '/auth/me', auth(leaver.accessToken));
    for (let i = 0; i < 100 && answer.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await get(api.url, '/auth/me', auth(leaver.accessToken));
    }
    assertError(answer, 401, 'invalid_token', 'after logout');
  });

  test('GET /users/by-email/:email: 200 for an admin, 403 for a member, 401 without a token, 404 for nobody', async () => {
    const path = `/users/by-email/${encodeURIComponent(memberEmail)}`;
    const found = await get(api.url, path, auth(admin.accessToken));
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.deepEqual(Object.keys(found.body).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'mfaEnabled']);
    assert.equal(found.body.id, member.id);
    assertError(await get(api.url, path, auth(member.accessToken)), 403, 'forbidden', 'member');
    assertError(await get(api.url, path), 401, 'invalid_token', 'no token');
    assertError(await get(api.url, `/users/by-email/${encodeURIComponent(newEmail('nobody'))}`, auth(admin.accessToken)), 404, 'not_found', 'nobody');
    assertError(await get(api.url, '/users/by-email/not-an-email', auth(admin.accessToken)), 400, 'invalid_request', 'bad email');
  });

  test('an unknown route is 404 not_found; helmet headers on every answer', async () => {
    const missing = await get(api.url, '/no/such/route');
    assertError(missing, 404, 'not_found', 'unknown route');
    for (const answer of [missing, await get(api.url, '/health'), await get(api.url, '/auth/me')]) {
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(answer.headers.get('content-security-policy'));
      assert.ok(answer.headers.get('strict-transport-security'));
      assert.ok(answer.headers.get('x-frame-options'));
    }
  });

  test('CORS: the allowlisted origin gets Access-Control-Allow-Origin, another origin does not', async () => {
    assert.equal((await get(api.url, '/health', { origin: ALLOWED_ORIGIN })).headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.equal((await get(api.url, '/health', { origin: 'https://evil.example.test' })).headers.get('access-control-allow-origin'), null);
  });

  test('/docs serves an OpenAPI document listing the routes; /health and /ready answer', async () => {
    const spec = await get(api.url, '/docs/json');
    assert.equal(spec.status, 200);
    for (const path of ['/users/check-email', '/auth/me', '/users/by-email/{email}', '/health', '/ready']) assert.ok(spec.body.paths[path]?.get, path);
    assert.match((await call(api.url, 'GET', '/docs')).headers.get('content-type') ?? '', /text\/html/);
    assert.deepEqual((await get(api.url, '/health')).body, { status: 'ok' });
    const ready = await get(api.url, '/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready' });
  });

  test('in cluster mode the edge does not answer the account routes (nginx sends them to the API)', async () => {
    for (const path of ['/users/check-email?email=a%40example.test', '/auth/me', '/docs/json']) {
      assertError(await get(edge.url, path, auth(member.accessToken)), 404, 'not_found', `edge ${path}`);
    }
  });

  test('the API never logs a token or a looked-up email', () => {
    const logged = api.lines.map((line) => JSON.stringify(line)).join('\n');
    assert.ok(
      api.lines.some((line) => line.msg === 'request completed'),
      'requests were logged',
    );
    for (const secret of [member.accessToken, admin.accessToken, memberEmail, encodeURIComponent(memberEmail)]) {
      assert.ok(!logged.includes(secret), `the log shows ${secret.slice(0, 24)}...`);
    }
  });
});

/** docs/README.md: one origin. In the all-in-one mode the edge's own port answers the account routes too. */
describe('account API in the all-in-one process', () => {
  const MAX_BODY_BYTES = 4096;
  const data = tempDir('account-aio');
  let proc: RunningProcess;

  before(async () => {
    proc = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
  });

  after(async () => {
    await proc?.stop();
    data.remove();
  });

  test('one port answers register, login, /users/check-email, /auth/me and /docs', async () => {
    const email = newEmail('aio');
    const user = await registerAndLogin(proc.url, email);
    const exists = await get(proc.url, `/users/check-email?email=${encodeURIComponent(email.toUpperCase())}`);
    assert.equal(exists.status, 200, JSON.stringify(exists.body));
    assert.deepEqual(exists.body, { exists: true });
    const me = await get(proc.url, '/auth/me', auth(user.accessToken));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.id, user.id);
    assert.equal(me.body.email, email);
    // helmet's headers, once: the edge adds none of its own to what the API answered.
    assert.equal(me.headers.get('x-content-type-options'), 'nosniff');
    assert.match(me.headers.get('content-security-policy') ?? '', /^default-src 'self'/);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    const spec = await get(proc.url, '/docs/json');
    assert.equal(spec.status, 200);
    assert.ok(spec.body.paths['/auth/me']);
    assert.match((await call(proc.url, 'GET', '/docs')).headers.get('content-type') ?? '', /text\/html/);
  });

  test('errors come through in the shape of docs/errors.md: 401, 400, 404, and 413 for a body over the limit', async () => {
    assertError(await get(proc.url, '/auth/me'), 401, 'invalid_token', 'no token');
    assertError(await get(proc.url, '/users/check-email?email=nope'), 400, 'invalid_request', 'bad email');
    assertError(await get(proc.url, '/no/such/route'), 404, 'not_found', 'unknown route');
    const big = await call(proc.url, 'POST', '/users/check-email', { raw: 'x'.repeat(MAX_BODY_BYTES + 1), headers: { 'content-type': 'application/json' } });
    assertError(big, 413, 'payload_too_large', 'big body');
    // The edge's own routes are untouched by the fallback.
    assert.deepEqual((await get(proc.url, '/health')).body, { status: 'ok' });
  });
});
