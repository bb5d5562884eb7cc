import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AuthgateSocket } from '@authgate/shared/client/socket-client';
import { call, post, type HttpAnswer } from './helpers/http.ts';
import { startProcess, type RunningProcess } from './helpers/processes.ts';
import { tempDir } from './helpers/services.ts';
import { openSocket } from './helpers/sockets.ts';

/**
 * docs/errors.md: a malformed token is `invalid_token`, never `invalid_request`,
 * over REST and WebSocket; every 401 invalid_token carries `WWW-Authenticate: Bearer
 * error="invalid_token"` on every node (here: the edge's own routes, the worker's answers the edge
 * relays, and the account API behind the all-in-one fallback; the API's own port is covered in
 * services/api/test/auth.test.ts).
 */
const MALFORMED = ['', 'abc', 'short-token', 'x'.repeat(5000), 'rt1.not-a-session.zzz'];
const WELL_FORMED_UNKNOWN = `rt1.${randomUUID()}.${randomBytes(32).toString('base64url')}`;

function assertInvalidToken(answer: HttpAnswer, what: string): void {
  assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.body).slice(0, 200)}`);
  assert.equal(answer.body?.error?.code, 'invalid_token', what);
  assert.equal(answer.headers.get('www-authenticate'), 'Bearer error="invalid_token"', `${what}: WWW-Authenticate`);
}

describe('invalid_token contract: all-in-one process', () => {
  const data = tempDir('token-contract');
  let proc: RunningProcess;
  let socket: AuthgateSocket;
  before(async () => {
    proc = await startProcess('all', {
      DATA_DIR: data.dir,
      BCRYPT_COST: '4',
      RATE_LIMIT_IP_PER_MINUTE: '100000',
      MAX_BODY_BYTES: '16384',
      WS_MAX_PAYLOAD_BYTES: '16384',
    });
    socket = await openSocket(proc.wsUrl);
  });
  after(async () => {
    socket?.close();
    await proc?.stop();
    data.remove();
  });

  test('WebSocket verify, refresh and logout with a malformed token answer 401 invalid_token', async () => {
    for (const token of MALFORMED) {
      const label = JSON.stringify(token.slice(0, 24));
      const verify = await socket.request('verify', { accessToken: token });
      assert.equal(verify.status, 401, `verify ${label}: ${JSON.stringify(verify.error)}`);
      assert.equal(verify.error?.code, 'invalid_token', `verify ${label}`);
      for (const type of ['refresh', 'logout'] as const) {
        const answer = await socket.request(type, { refreshToken: token });
        assert.equal(answer.status, 401, `${type} ${label}: ${JSON.stringify(answer.error)}`);
        assert.equal(answer.error?.code, 'invalid_token', `${type} ${label}`);
      }
    }
  });

  test('REST refresh and logout with a malformed or unknown refresh token: 401 invalid_token with WWW-Authenticate', async () => {
    for (const token of [...MALFORMED, WELL_FORMED_UNKNOWN]) {
      for (const path of ['/auth/refresh', '/auth/logout']) {
        assertInvalidToken(await post(proc.url, path, { refreshToken: token }), `${path} ${JSON.stringify(token.slice(0, 24))}`);
      }
    }
  });

  test('REST /auth/verify with no, a malformed or a forged access token: 401 invalid_token with WWW-Authenticate', async () => {
    assertInvalidToken(await call(proc.url, 'GET', '/auth/verify'), 'no Authorization header');
    for (const header of ['Bearer abc', 'Basic dXNlcjpwYXNz', `Bearer ${'x'.repeat(40)}`, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']) {
      assertInvalidToken(await call(proc.url, 'GET', '/auth/verify', { headers: { authorization: header } }), header.slice(0, 20));
    }
  });

  test('the account API through the all-in-one fallback: 401 invalid_token with WWW-Authenticate', async () => {
    assertInvalidToken(await call(proc.url, 'GET', '/auth/me'), '/auth/me without a token');
    assertInvalidToken(await call(proc.url, 'GET', '/auth/me', { headers: { authorization: `Bearer ${'x'.repeat(40)}` } }), '/auth/me with garbage');
  });
});
