import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '@authgate/shared/errors';
import type { ForwardedRequest } from '../src/index.ts';
import { ApiFixture, bearer } from './fixture.ts';

/** The in-process path of the all-in-one mode: the edge hands a request over, the API answers it. */
describe('account API: forwarded requests (all-in-one)', () => {
  let fx: ApiFixture;
  const request = (overrides: Partial<ForwardedRequest>): ForwardedRequest => ({
    method: 'GET',
    url: '/health',
    headers: { host: 'localhost:8080' },
    remoteAddress: '192.0.2.1',
    ...overrides,
  });
  const json = (body: Buffer) => JSON.parse(body.toString('utf8'));

  before(async () => {
    fx = await ApiFixture.start('api-forward', { CHECK_EMAIL_PER_MINUTE: '2' });
  });

  after(async () => {
    await fx?.close();
  });

  test('answers with the same status, headers and body as over a socket, minus framing headers', async () => {
    const user = await fx.createUser();
    const token = await fx.token({ sub: user.id });
    const reply = await fx.api.forward(request({ url: '/auth/me', headers: { host: 'localhost:8080', ...bearer(token).headers } }));
    assert.equal(reply.status, 200);
    assert.deepEqual(json(reply.body), { id: user.id, email: user.email, emailVerified: false, mfaEnabled: false, createdAt: user.createdAt.toISOString() });
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    for (const framing of ['content-length', 'transfer-encoding', 'connection', 'keep-alive']) assert.equal(reply.headers[framing], undefined, framing);
    const denied = await fx.api.forward(request({ url: '/auth/me' }));
    assert.equal(denied.status, 401);
    assert.equal(json(denied.body).error.code, 'invalid_token');
  });

  test('the client address the edge resolved is the one rate-limited', async () => {
    const lookup = (remoteAddress: string) => fx.api.forward(request({ url: '/users/check-email?email=a%40example.test', remoteAddress }));
    assert.equal((await lookup('192.0.2.10')).status, 200);
    assert.equal((await lookup('192.0.2.10')).status, 200);
    const limited = await lookup('192.0.2.10');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await lookup('192.0.2.11')).status, 200, 'another client is not limited');
  });

  test('a body is forwarded and bounded; request framing headers are not passed on', async () => {
    const small = await fx.api.forward(
      request({
        method: 'POST',
        url: '/nope',
        body: Buffer.from('{}'),
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'content-length': '999' },
      }),
    );
    assert.equal(small.status, 404);
    assert.equal(json(small.body).error.code, 'not_found');
    const big = await fx.api.forward(request({ method: 'POST', url: '/nope', body: Buffer.alloc(4096, 'x'), headers: { 'content-type': 'application/json' } }));
    assert.equal(big.status, 413);
    assert.equal(json(big.body).error.code, 'payload_too_large');
  });

  test('a method Fastify does not know is a not_found AppError, not a crash', async () => {
    await assert.rejects(fx.api.forward(request({ method: 'BREW' })), (err: unknown) => err instanceof AppError && err.code === 'not_found');
  });
});
