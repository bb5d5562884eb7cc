import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import type { ResultFrame, TokenPairData } from '@authgate/shared/client/socket-client';
import { call, post } from './http.ts';
import { newEmail, PASSWORD } from './users.ts';
import { nextFrame, openRaw, openSocket } from './sockets.ts';

/** Two URLs of edges in one deployment: distinct nodes in cluster mode, the same process in all-in-one. */
export interface Deployment {
  a: { url: string; wsUrl: string };
  b: { url: string; wsUrl: string };
  maxBodyBytes: number;
  wsMaxPayloadBytes: number;
  wsMaxFramesPer10s: number;
}

const CONNECTION_ID = /^[a-z0-9-]{1,32}\.[A-Za-z0-9_-]{22}$/;

function assertTokenPair(data: TokenPairData, email: string) {
  assert.equal(data.tokenType, 'Bearer');
  assert.equal(typeof data.accessToken, 'string');
  assert.equal(data.accessToken.split('.').length, 3);
  assert.ok(data.refreshToken.length >= 43);
  assert.equal(data.expiresIn, 900);
  assert.equal(typeof data.sessionId, 'string');
  assert.equal(data.user.email, email);
}

function assertError(body: any, code: string) {
  assert.equal(body?.error?.code, code, JSON.stringify(body));
  assert.equal(typeof body.error.message, 'string');
  assert.equal(typeof body.error.requestId, 'string');
}

/** The scenarios every deployment shape must pass, written once and run against each. */
export function pipelineScenarios(get: () => Deployment): void {
  test('REST: register, login, verify, refresh with rotation, reuse revokes the family, logout', async () => {
    const { a, b } = get();
    const email = newEmail('rest');
    const reg = await post(a.url, '/auth/register', { email, password: PASSWORD });
    assert.equal(reg.status, 201);
    assert.match(reg.body.userId, /^[0-9a-f-]{36}$/);

    const login = await post(b.url, '/auth/login', { email, password: PASSWORD, deviceId: 'laptop' });
    assert.equal(login.status, 200);
    assertTokenPair(login.body, email);
    assert.equal(login.body.user.id, reg.body.userId);

    const verify = await call(a.url, 'GET', '/auth/verify', { headers: { authorization: `Bearer ${login.body.accessToken}` } });
    assert.equal(verify.status, 200);
    assert.deepEqual(Object.keys(verify.body).sort(), ['exp', 'sid', 'sub']);
    assert.equal(verify.body.sub, reg.body.userId);
    assert.equal(verify.body.sid, login.body.sessionId);

    const refreshed = await post(a.url, '/auth/refresh', { refreshToken: login.body.refreshToken });
    assert.equal(refreshed.status, 200);
    assertTokenPair(refreshed.body, email);
    assert.notEqual(refreshed.body.refreshToken, login.body.refreshToken);
    assert.equal(refreshed.body.sessionId, login.body.sessionId);
    // How and when the session was signed in rides on every token it is issued, refreshed ones too.
    const signedIn = decodeJwt(login.body.accessToken);
    assert.deepEqual(signedIn.amr, ['pwd']);
    assert.ok(typeof signedIn.auth_time === 'number' && Math.abs(signedIn.auth_time - Date.now() / 1000) < 120, 'auth_time is the sign-in');
    assert.deepEqual(decodeJwt(refreshed.body.accessToken).amr, ['pwd']);
    assert.equal(decodeJwt(refreshed.body.accessToken).auth_time, signedIn.auth_time);

    // The replaced token comes back: the whole family is revoked, the newest token included.
    const reuse = await post(b.url, '/auth/refresh', { refreshToken: login.body.refreshToken });
    assert.equal(reuse.status, 401);
    assertError(reuse.body, 'invalid_token');
    const afterReuse = await post(a.url, '/auth/refresh', { refreshToken: refreshed.body.refreshToken });
    assert.equal(afterReuse.status, 401);

    // From the same device: once an account has one, a login naming none waits for the new-device check.
    const second = await post(a.url, '/auth/login', { email, password: PASSWORD, deviceId: 'laptop' });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const logout = await post(b.url, '/auth/logout', { refreshToken: second.body.refreshToken });
    assert.equal(logout.status, 204);
    const afterLogout = await post(a.url, '/auth/refresh', { refreshToken: second.body.refreshToken });
    assert.equal(afterLogout.status, 401);
    assertError(afterLogout.body, 'invalid_token');
    const logoutAgain = await post(a.url, '/auth/logout', { refreshToken: second.body.refreshToken });
    assert.equal(logoutAgain.status, 401);
  });

  test('emails are unique and matched case-insensitively', async () => {
    const { a, b } = get();
    const local = newEmail('Case');
    const mixed = local.replace('case', 'CaSe').replace('example', 'EXAMPLE');
    assert.equal((await post(a.url, '/auth/register', { email: mixed, password: PASSWORD })).status, 201);
    const again = await post(b.url, '/auth/register', { email: mixed.toLowerCase(), password: PASSWORD });
    assert.equal(again.status, 409);
    assertError(again.body, 'email_taken');
    const login = await post(a.url, '/auth/login', { email: mixed.toUpperCase(), password: PASSWORD });
    assert.equal(login.status, 200);
  });

  test('login answers invalid_credentials alike for an unknown email and a wrong password', async () => {
    const { a } = get();
    const email = newEmail('cred');
    await post(a.url, '/auth/register', { email, password: PASSWORD });
    const wrong = await post(a.url, '/auth/login', { email, password: 'not the password' });
    const unknown = await post(a.url, '/auth/login', { email: newEmail('nobody'), password: PASSWORD });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assertError(wrong.body, 'invalid_credentials');
    const strip = (body: any) => ({ ...body.error, requestId: undefined });
    assert.deepEqual(strip(wrong.body), strip(unknown.body));
  });

  test('WebSocket: welcome, then every request answered once with its own id', async () => {
    const { a } = get();
    const socket = await openSocket(a.wsUrl);
    assert.match(socket.connectionId, CONNECTION_ID);
    const unsolicited: unknown[] = [];
    socket.onUnsolicited = (frame) => unsolicited.push(frame);
    const email = newEmail('ws');
    const reg = await socket.register(email, PASSWORD);
    assert.equal(reg.ok, true);
    assert.equal(reg.status, 201);
    const login = await socket.login(email, PASSWORD);
    assert.equal(login.status, 200);
    assertTokenPair(login.data!, email);
    const verify = await socket.verify(login.data!.accessToken);
    assert.equal(verify.status, 200);
    assert.equal(verify.data!.sid, login.data!.sessionId);
    const refreshed = await socket.refresh(login.data!.refreshToken);
    assert.equal(refreshed.status, 200);
    const bad = await socket.verify('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    assert.equal(bad.ok, false);
    assert.equal(bad.status, 401);
    assert.equal(bad.error!.code, 'invalid_token');
    assert.deepEqual(unsolicited, []);
    // A login over the socket bound it to its session: logging that session out answers the request,
    // then tells the socket (session.revoked) and closes it with 4001 (docs/websocket.md).
    const logout = await socket.logout(refreshed.data!.refreshToken);
    assert.equal(logout.ok, true);
    assert.equal(logout.status, 204);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(unsolicited, [{ type: 'event', event: 'session.revoked', data: { sessionId: login.data!.sessionId, reason: 'logout' } }]);
    assert.equal(socket.closed?.code, 4001);
  });

  test('deferred delivery: a REST request to edge B with X-Connection-Id reaches the WebSocket on edge A', async () => {
    const { a, b } = get();
    const email = newEmail('deferred');
    await post(b.url, '/auth/register', { email, password: PASSWORD });
    const socket = await openSocket(a.wsUrl);
    const pushed: ResultFrame[] = [];
    const arrived = new Promise<void>((resolve) => {
      socket.onUnsolicited = (frame) => {
        if (frame.type === 'result') pushed.push(frame);
        resolve();
      };
    });
    const accepted = await post(b.url, '/auth/login', { email, password: PASSWORD }, { 'x-connection-id': socket.connectionId });
    assert.equal(accepted.status, 202);
    assert.match(accepted.body.requestId, /^[0-9a-f-]{36}$/);
    await arrived;
    assert.equal(pushed.length, 1);
    assert.equal(pushed[0]!.id, accepted.body.requestId);
    assert.equal(pushed[0]!.status, 200);
    assertTokenPair(pushed[0]!.data as TokenPairData, email);

    // Only the connection the result was addressed to may collect it, and a stranger's try takes nothing away.
    const stranger = await openSocket(b.wsUrl);
    const other = await call(a.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': stranger.connectionId } });
    assert.equal(other.status, 404);
    assertError(other.body, 'not_found');
    const collected = await call(b.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': socket.connectionId } });
    assert.equal(collected.status, 200);
    assert.deepEqual(collected.body, pushed[0]);
    // Collected once, gone: a copy of the handles (they travel in headers and logs) cannot read it afterwards.
    const again = await call(a.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': socket.connectionId } });
    assert.equal(again.status, 404);
    const unknown = await call(a.url, 'GET', `/auth/results/00000000-0000-4000-8000-000000000000`, { headers: { 'x-connection-id': socket.connectionId } });
    assert.equal(unknown.status, 404);
    const noHeader = await call(a.url, 'GET', `/auth/results/${accepted.body.requestId}`);
    assert.equal(noHeader.status, 400);
    assertError(noHeader.body, 'invalid_request');
    socket.close();
    stranger.close();
  });

  test('a connectionId alone is no handle on results: the client-chosen id of a WebSocket request collects nothing over REST', async () => {
    const { a, b } = get();
    const email = newEmail('handle');
    assert.equal((await post(a.url, '/auth/register', { email, password: PASSWORD })).status, 201);
    const socket = await openSocket(a.wsUrl);
    const login = await socket.request('login', { email, password: PASSWORD }, '1');
    assert.equal(login.status, 200);
    // Whoever learns the connectionId (a log, a proxy) tries the ids clients pick: nothing comes back.
    for (const url of [a.url, b.url]) {
      const guessed = await call(url, 'GET', '/auth/results/1', { headers: { 'x-connection-id': socket.connectionId } });
      assert.equal(guessed.status, 404);
      assertError(guessed.body, 'not_found');
    }
    socket.close();
  });

  test('deferred delivery to a connectionId no live connection holds still gets its 202 and a kept result', async () => {
    const { a } = get();
    const socket = await openSocket(a.wsUrl);
    const connectionId = socket.connectionId;
    socket.close();
    await socket.waitForClose();
    const accepted = await post(a.url, '/auth/register', { email: newEmail('gone'), password: PASSWORD }, { 'x-connection-id': connectionId });
    assert.equal(accepted.status, 202);
    let collected;
    for (let i = 0; i < 100; i++) {
      collected = await call(a.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': connectionId } });
      if (collected.status === 200) break;
      assert.equal(collected.status, 404);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(collected!.status, 200);
    assert.equal(collected!.body.status, 201);
    const malformed = await post(a.url, '/auth/login', { email: newEmail(), password: PASSWORD }, { 'x-connection-id': 'not-a-connection-id' });
    assert.equal(malformed.status, 400);
    assertError(malformed.body, 'invalid_request');
  });

  test('200 concurrent logins from 200 WebSockets: each receives exactly its own result', async () => {
    const { a, b } = get();
    const emails = Array.from({ length: 200 }, (_, i) => newEmail(`many${i}`));
    const regs = await Promise.all(emails.map((email, i) => post(i % 2 ? a.url : b.url, '/auth/register', { email, password: PASSWORD })));
    assert.deepEqual([...new Set(regs.map((r) => r.status))], [201], 'all registered');
    const sockets = await Promise.all(emails.map((_, i) => openSocket(i % 2 ? a.wsUrl : b.wsUrl)));
    const extra: unknown[] = [];
    for (const s of sockets) s.onUnsolicited = (frame) => extra.push(frame);
    const results = await Promise.all(sockets.map((s, i) => s.login(emails[i]!, PASSWORD)));
    results.forEach((r, i) => {
      assert.equal(r.status, 200, JSON.stringify(r));
      assert.equal((r.data as TokenPairData).user.email, emails[i]);
      assert.equal((r.data as TokenPairData).user.id, regs[i]!.body.userId);
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(extra, [], 'no socket received a frame it did not ask for');
    for (const s of sockets) s.close();
  });

  test('bad REST input: malformed JSON, wrong types, missing fields, oversized body, weak password, unknown route', async () => {
    const { a, maxBodyBytes } = get();
    const JSON_BODY = { 'content-type': 'application/json' };
    const malformed = await call(a.url, 'POST', '/auth/login', { raw: '{"email": "x@y.z", "password": ', headers: JSON_BODY });
    assert.equal(malformed.status, 400);
    assertError(malformed.body, 'invalid_request');
    assert.ok(Array.isArray(malformed.body.error.details));

    const notObject = await call(a.url, 'POST', '/auth/register', { raw: '[1,2,3]', headers: JSON_BODY });
    assert.equal(notObject.status, 400);

    // A body that is not declared JSON (a cross-site form could send it without a preflight, and
    // spend the owner's login attempts): 415.
    const form = await call(a.url, 'POST', '/auth/login', {
      raw: 'email=x%40y.z&password=secret',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assertError(form.body, 'unsupported_media_type');

    const wrongTypes = await post(a.url, '/auth/register', { email: 42, password: ['x'] });
    assert.equal(wrongTypes.status, 400);
    assertError(wrongTypes.body, 'invalid_request');
    assert.deepEqual(wrongTypes.body.error.details.map((d: any) => d.path).sort(), ['email', 'password']);

    const missing = await post(a.url, '/auth/login', { email: newEmail() });
    assert.equal(missing.status, 400);
    assert.deepEqual(
      missing.body.error.details.map((d: any) => d.path),
      ['password'],
    );

    const badEmail = await post(a.url, '/auth/register', { email: 'not-an-email', password: PASSWORD });
    assert.equal(badEmail.status, 400);
    assert.equal(badEmail.body.error.details[0].path, 'email');

    const weak = await post(a.url, '/auth/register', { email: newEmail(), password: 'short' });
    assert.equal(weak.status, 400);
    assertError(weak.body, 'weak_password');

    const tooLongPassword = await post(a.url, '/auth/register', { email: newEmail(), password: 'é'.repeat(37) });
    assert.equal(tooLongPassword.status, 400);
    assertError(tooLongPassword.body, 'invalid_request');

    const big = await call(a.url, 'POST', '/auth/login', {
      raw: JSON.stringify({ email: newEmail(), password: 'x'.repeat(maxBodyBytes) }),
      headers: JSON_BODY,
    });
    assert.equal(big.status, 413);
    assertError(big.body, 'payload_too_large');

    const badRefresh = await post(a.url, '/auth/refresh', { refreshToken: 'rt1.not-a-real-token-at-all-0000000000' });
    assert.equal(badRefresh.status, 401);
    assertError(badRefresh.body, 'invalid_token');

    const noBearer = await call(a.url, 'GET', '/auth/verify');
    assert.equal(noBearer.status, 401);
    assertError(noBearer.body, 'invalid_token');

    const route = await call(a.url, 'GET', '/nowhere');
    assert.equal(route.status, 404);
    assertError(route.body, 'not_found');

    const health = await call(a.url, 'GET', '/health');
    assert.deepEqual(health.body, { status: 'ok' });
    assert.equal((await call(a.url, 'GET', '/ready')).status, 200);
    const jwks = await call(a.url, 'GET', '/.well-known/jwks.json');
    assert.equal(jwks.status, 200);
    assert.equal(jwks.body.keys[0].kty, 'RSA');
    assert.equal(jwks.body.keys[0].d, undefined, 'no private member in the JWKS');
  });

  test('tampered and forged access tokens are refused on REST', async () => {
    const { a } = get();
    const email = newEmail('tamper');
    await post(a.url, '/auth/register', { email, password: PASSWORD });
    const { body } = await post(a.url, '/auth/login', { email, password: PASSWORD });
    const [h, p, s] = body.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
    const tampered = await call(a.url, 'GET', '/auth/verify', { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(tampered.status, 401);
    assertError(tampered.body, 'invalid_token');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    assert.equal((await call(a.url, 'GET', '/auth/verify', { headers: { authorization: `Bearer ${none}` } })).status, 401);
  });

  test('bad WebSocket input: invalid JSON, unknown type, bad fields, binary keep the socket open; oversized closes 1009, invalid UTF-8 fails the connection', async () => {
    const { a, wsMaxPayloadBytes } = get();
    const raw = await openRaw(a.wsUrl);
    raw.ws.send('{not json');
    assert.equal((await nextFrame(raw, 2)).error.code, 'invalid_request');
    raw.ws.send(JSON.stringify({ type: 'launch', id: 'x1' }));
    const unknownType = await nextFrame(raw, 3);
    assert.equal(unknownType.type, 'error');
    assert.equal(unknownType.error.code, 'invalid_request');
    raw.ws.send(JSON.stringify({ type: 'login', id: 'x2', email: 5 }));
    const badFields = await nextFrame(raw, 4);
    assert.deepEqual([badFields.type, badFields.id, badFields.ok, badFields.status, badFields.error.code], ['result', 'x2', false, 400, 'invalid_request']);
    raw.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await nextFrame(raw, 5)).error.code, 'invalid_request');
    raw.ws.send(JSON.stringify({ type: 'register', id: 'x3', email: newEmail(), password: 'short' }));
    const weak = await nextFrame(raw, 6);
    assert.deepEqual([weak.id, weak.status, weak.error.code], ['x3', 400, 'weak_password']);
    // Still open and answering:
    raw.ws.send(JSON.stringify({ type: 'verify', id: 'x4', accessToken: 'a'.repeat(40) }));
    const alive = await nextFrame(raw, 7);
    assert.deepEqual([alive.id, alive.status, alive.error.code], ['x4', 401, 'invalid_token']);

    raw.ws.send('x'.repeat(wsMaxPayloadBytes + 1));
    const closed = await raw.closed;
    assert.equal(closed.code, 1009);

    // A text frame that is not UTF-8 breaks the protocol itself (RFC 6455 §8.1): uWS fails the
    // connection (the client sees 1006), and the server goes on serving everyone else.
    const broken = await openRaw(a.wsUrl);
    broken.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await broken.closed).code, 1006);
    const next = await openRaw(a.wsUrl);
    assert.equal(next.frames[0].type, 'welcome');
    next.ws.close();
  });

  test('a WebSocket that floods frames is closed with 1008', async () => {
    const { a, wsMaxFramesPer10s } = get();
    const raw = await openRaw(a.wsUrl);
    for (let i = 0; i <= wsMaxFramesPer10s + 5; i++) raw.ws.send('{}');
    const closed = await raw.closed;
    assert.equal(closed.code, 1008);
  });
}
