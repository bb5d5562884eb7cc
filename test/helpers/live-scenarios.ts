import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, post } from './http.ts';
import { LiveSocket } from './live-socket.ts';
import { newEmail, PASSWORD } from './users.ts';

/** A deployment with two edges (the same process in all-in-one) and where the admin routes are served. */
export interface LiveDeployment {
  a: { url: string; wsUrl: string; nodeId: string };
  b: { url: string; wsUrl: string; nodeId: string };
  /** The origin that serves /admin/* (the account API, or the all-in-one's edge). */
  apiUrl: string;
  /** An access token of an administrator (its sub is in ADMIN_USER_IDS). */
  adminToken: () => Promise<string>;
  /** Live-event messages Redis carried per edge channel since the last call, by account, or undefined in-process. */
  publishedPerEdge?: () => Promise<Map<string, Map<string, number>>>;
  /** How often an edge has withdrawn the account's presence (ZREM) so far, or undefined in-process. */
  presenceWithdrawals?: (userId: string) => Promise<number>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function account(d: LiveDeployment, label: string) {
  const email = newEmail(label);
  const registered = await post(d.a.url, '/auth/register', { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return { email, userId: registered.body.userId as string };
}

async function restLogin(url: string, email: string, deviceId = 'laptop') {
  const login = await post(url, '/auth/login', { email, password: PASSWORD, deviceId }, { 'user-agent': 'live-test/1.0' });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body as { accessToken: string; refreshToken: string; sessionId: string; user: { id: string } };
}

/** A socket on `wsUrl` signed in over WebSocket: bound to its new session. */
async function socketLogin(wsUrl: string, email: string) {
  const socket = await LiveSocket.open(wsUrl);
  const login = await socket.request('login', { email, password: PASSWORD, deviceId: 'phone' });
  assert.equal(login.ok, true, JSON.stringify(login));
  return { socket, session: login.data as { accessToken: string; refreshToken: string; sessionId: string; user: { id: string } } };
}

/** The live-account scenarios every deployment shape must pass. */
export function liveScenarios(get: () => LiveDeployment): void {
  test('sessions: listed with device, user agent and IP over REST and WebSocket; one revoked; the others revoked', async () => {
    const d = get();
    const { email } = await account(d, 'sessions');
    const first = await restLogin(d.a.url, email, 'laptop');
    const second = await restLogin(d.b.url, email, 'tablet');
    const listed = await call(d.b.url, 'GET', '/auth/sessions', { headers: bearer(second.accessToken) });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.map((s: any) => s.id).sort(), [first.sessionId, second.sessionId].sort());
    const current = listed.body.find((s: any) => s.current);
    assert.equal(current.id, second.sessionId);
    assert.equal(current.deviceId, 'tablet');
    assert.equal(current.userAgent, 'live-test/1.0');
    assert.equal(current.ip, '127.0.0.1');
    assert.ok(Date.parse(current.createdAt) <= Date.parse(current.lastUsedAt));

    const { socket, session: third } = await socketLogin(d.a.wsUrl, email);
    const overSocket = await socket.request('sessions_list');
    assert.equal(overSocket.ok, true, JSON.stringify(overSocket));
    assert.equal(overSocket.data.length, 3);
    assert.equal(overSocket.data.find((s: any) => s.current).id, third.sessionId);

    // Another account's session id is not found, as a made-up one.
    const stranger = await account(d, 'stranger');
    const theirs = await restLogin(d.a.url, stranger.email);
    assert.equal((await call(d.a.url, 'DELETE', `/auth/sessions/${theirs.sessionId}`, { headers: bearer(first.accessToken) })).status, 404);
    assert.equal((await call(d.a.url, 'GET', '/auth/verify', { headers: bearer(theirs.accessToken) })).status, 200, 'the stranger still signed in');

    assert.equal((await call(d.a.url, 'DELETE', `/auth/sessions/${first.sessionId}`, { headers: bearer(second.accessToken) })).status, 204);
    assert.equal((await post(d.a.url, '/auth/refresh', { refreshToken: first.refreshToken })).status, 401, 'a revoked session cannot refresh');
    const revokeOthers = await socket.request('sessions_revoke_others');
    assert.equal(revokeOthers.ok, true, JSON.stringify(revokeOthers));
    const left = await call(d.a.url, 'GET', '/auth/sessions', { headers: bearer(third.accessToken) });
    assert.deepEqual(
      left.body.map((s: any) => s.id),
      [third.sessionId],
    );
    assert.equal((await call(d.b.url, 'GET', '/auth/verify', { headers: bearer(second.accessToken) })).status, 401, 'the other session ended everywhere');
    socket.close();
  });

  test('a socket on edge A is told and closed with 4001 within 1 s of a revoke sent to edge B', async () => {
    const d = get();
    const { email } = await account(d, 'kick');
    const { socket, session } = await socketLogin(d.a.wsUrl, email);
    const other = await restLogin(d.b.url, email);
    await socket.waitForEvent('security.new_sign_in', 5_000, (data) => data.sessionId === other.sessionId);
    const sent = Date.now();
    assert.equal((await call(d.b.url, 'DELETE', `/auth/sessions/${session.sessionId}`, { headers: bearer(other.accessToken) })).status, 204);
    const revoked = await socket.waitForEvent('session.revoked', 1_000);
    assert.deepEqual(revoked.data, { sessionId: session.sessionId, reason: 'revoked' });
    const closed = await socket.closed;
    assert.equal(closed.code, 4001);
    assert.ok(closed.at - sent < 1_000, `closed ${closed.at - sent} ms after the revoke`);
  });

  test('a logout on one edge and a refresh-token reuse each reach the account sockets on the other', async () => {
    const d = get();
    const { email } = await account(d, 'logout');
    const watcher = await LiveSocket.open(d.a.wsUrl);
    const watched = await restLogin(d.b.url, email);
    const auth = await watcher.request('authenticate', { accessToken: watched.accessToken });
    assert.deepEqual(auth.data, { sub: watched.user.id, sid: watched.sessionId });
    const second = await restLogin(d.a.url, email, 'desktop');
    assert.equal((await post(d.b.url, '/auth/logout', { refreshToken: second.refreshToken })).status, 204);
    const loggedOut = await watcher.waitForEvent('session.revoked', 2_000, (data) => data.sessionId === second.sessionId);
    assert.equal(loggedOut.data.reason, 'logout');

    const rotated = await post(d.b.url, '/auth/refresh', { refreshToken: watched.refreshToken });
    assert.equal(rotated.status, 200);
    // The replaced token comes back: a thief. The family is revoked and the socket of that session closed.
    const reuse = await post(d.b.url, '/auth/refresh', { refreshToken: watched.refreshToken });
    assert.equal(reuse.status, 401);
    await watcher.waitForEvent('security.refresh_reuse', 2_000, (data) => data.sessionId === watched.sessionId);
    await watcher.waitForEvent('session.revoked', 2_000, (data) => data.sessionId === watched.sessionId && data.reason === 'refresh_reuse');
    assert.equal((await watcher.closed).code, 4001);
  });

  test('a socket that refreshes over itself stays present: every event of its account reaches it, its presence is never withdrawn', async () => {
    const d = get();
    const { email } = await account(d, 'refreshing');
    const { socket, session } = await socketLogin(d.a.wsUrl, email);
    const withdrawnBefore = await d.presenceWithdrawals?.(session.user.id);
    let refreshToken = session.refreshToken;
    const signIns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [rotated, signIn] = await Promise.all([socket.request('refresh', { refreshToken }), restLogin(d.b.url, email, `device-${i}`)]);
      assert.equal(rotated.ok, true, JSON.stringify(rotated));
      assert.equal(rotated.data.sessionId, session.sessionId);
      refreshToken = rotated.data.refreshToken;
      signIns.push(signIn.sessionId);
    }
    for (const sessionId of signIns) await socket.waitForEvent('security.new_sign_in', 5_000, (data) => data.sessionId === sessionId);
    if (d.presenceWithdrawals) assert.equal(await d.presenceWithdrawals(session.user.id), withdrawnBefore, 'a refresh withdrew the account from the edge');
    socket.close();
  });

  test('WebSocket: authenticate with a bad token is invalid_token; session messages need an authenticated connection', async () => {
    const d = get();
    const socket = await LiveSocket.open(d.a.wsUrl);
    const bad = await socket.request('authenticate', { accessToken: 'not-a-token' });
    assert.equal(bad.status, 401);
    assert.equal(bad.error.code, 'invalid_token');
    const list = await socket.request('sessions_list');
    assert.equal(list.status, 401);
    assert.equal(list.error.code, 'invalid_token');
    socket.close();
  });

  test('50 accounts, 500 sockets over two edges: each socket receives exactly its own account events, one message per edge that holds the account', async () => {
    const d = get();
    const accounts = await Promise.all(Array.from({ length: 50 }, (_, i) => account(d, `fan${i}`)));
    const sessions = await Promise.all(accounts.map((a, i) => restLogin(i % 2 ? d.a.url : d.b.url, a.email)));
    // Accounts 0-24 hold sockets on both edges, 25-49 on edge A only: 10 sockets per account.
    const sockets: Array<{ socket: LiveSocket; userId: string }> = [];
    for (let i = 0; i < accounts.length; i++) {
      for (let k = 0; k < 10; k++) {
        const url = i < 25 && k % 2 ? d.b.wsUrl : d.a.wsUrl;
        sockets.push({ socket: await LiveSocket.open(url), userId: sessions[i]!.user.id });
      }
    }
    await Promise.all(
      sockets.map(async ({ socket }, n) => {
        const i = Math.floor(n / 10);
        const auth = await socket.request('authenticate', { accessToken: sessions[i]!.accessToken });
        assert.equal(auth.ok, true, JSON.stringify(auth));
      }),
    );
    await d.publishedPerEdge?.();
    // One event per account: a new sign-in.
    const signIns = await Promise.all(accounts.map((a) => restLogin(d.b.url, a.email, 'second')));
    await Promise.all(
      sockets.map(({ socket }, n) => socket.waitForEvent('security.new_sign_in', 5_000, (data) => data.sessionId === signIns[Math.floor(n / 10)]!.sessionId)),
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const [n, { socket }] of sockets.entries()) {
      const i = Math.floor(n / 10);
      const signInEvents = socket.events.filter((e) => e.event === 'security.new_sign_in');
      assert.equal(signInEvents.length, 1, `socket ${n} got ${JSON.stringify(signInEvents)}`);
      assert.equal(signInEvents[0]!.data.sessionId, signIns[i]!.sessionId, `socket ${n} received another account's event`);
    }
    const perEdge = await d.publishedPerEdge?.();
    if (perEdge) {
      for (const [i, session] of sessions.entries()) {
        const onA: number = perEdge.get(d.a.nodeId)?.get(session.user.id) ?? 0;
        const onB: number = perEdge.get(d.b.nodeId)?.get(session.user.id) ?? 0;
        assert.deepEqual([onA, onB], i < 25 ? [1, 1] : [1, 0], `account ${i}: messages on edge A and B`);
      }
    }
    for (const { socket } of sockets) socket.close();
  });

  test("admin analytics: a user's `sessions` is what the audit trail shows open, as GET /auth/sessions lists them", async () => {
    const d = get();
    const { email, userId } = await account(d, 'trail-sessions');
    const admin = bearer(await d.adminToken());
    /** The trail is written behind the answers (audit writer batches): wait until it shows `expected`. */
    const trailShows = async (expected: number, listedWith?: string) => {
      const end = Date.now() + 10_000;
      let sessions: number | undefined;
      while (Date.now() < end) {
        const summary = await call(d.apiUrl, 'GET', `/admin/analytics/users/${userId}`, { headers: admin });
        assert.equal(summary.status, 200, JSON.stringify(summary.body));
        sessions = summary.body.sessions;
        if (sessions === expected) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(sessions, expected, 'sessions the trail shows open');
      if (listedWith) assert.equal((await call(d.a.url, 'GET', '/auth/sessions', { headers: bearer(listedWith) })).body.length, expected);
    };
    const [s1, s2, s3, s4] = [
      await restLogin(d.a.url, email),
      await restLogin(d.b.url, email),
      await restLogin(d.a.url, email),
      await restLogin(d.b.url, email),
    ];
    await trailShows(4, s4.accessToken);
    assert.equal((await post(d.b.url, '/auth/logout', { refreshToken: s1.refreshToken })).status, 204);
    await trailShows(3, s4.accessToken);
    assert.equal((await call(d.a.url, 'DELETE', `/auth/sessions/${s2.sessionId}`, { headers: bearer(s4.accessToken) })).status, 204);
    await trailShows(2, s4.accessToken);
    assert.equal((await call(d.a.url, 'POST', '/auth/sessions/revoke-others', { headers: bearer(s4.accessToken), body: {} })).status, 204);
    assert.equal((await call(d.a.url, 'GET', '/auth/verify', { headers: bearer(s3.accessToken) })).status, 401);
    await trailShows(1, s4.accessToken);
    assert.equal((await call(d.apiUrl, 'POST', `/admin/users/${userId}/sessions/revoke`, { headers: admin })).status, 204);
    await trailShows(0);
    const s5 = await restLogin(d.b.url, email);
    await trailShows(1, s5.accessToken);
    assert.equal((await call(d.apiUrl, 'POST', `/admin/users/${userId}/disable`, { headers: admin })).status, 204);
    await trailShows(0);
    // `account.disabled` alone closes every session in the count: the disable's own `session.revoked`
    // events may land in a later batch of the audit writer, so the trail is read until they have.
    const expected = ['account_disabled', 'revoked', 'revoked', 'revoked_by_admin'];
    let reasons: string[] = [];
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      const trail = await call(d.apiUrl, 'GET', `/admin/events?userId=${userId}&type=session.revoked`, { headers: admin });
      reasons = trail.body.events.map((e: any) => e.data.reason).sort();
      if (reasons.length >= expected.length) break;
    }
    assert.deepEqual(reasons, expected);
  });

  test('admin: disable kicks every socket of the account and login answers account_disabled; enable lets it back in; both are audit events', async () => {
    const d = get();
    const { email, userId } = await account(d, 'disabled');
    const { socket } = await socketLogin(d.b.wsUrl, email);
    const admin = bearer(await d.adminToken());
    const notAdmin = await restLogin(d.a.url, (await account(d, 'plain')).email);
    assert.equal((await call(d.apiUrl, 'POST', `/admin/users/${userId}/disable`, { headers: bearer(notAdmin.accessToken) })).status, 403);
    assert.equal((await call(d.apiUrl, 'POST', `/admin/users/${userId}/disable`, { headers: admin })).status, 204);
    assert.equal((await socket.closed).code, 4001);
    const refused = await post(d.a.url, '/auth/login', { email, password: PASSWORD });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'account_disabled');
    const wrong = await post(d.a.url, '/auth/login', { email, password: 'not the password at all' });
    assert.equal(wrong.status, 401, 'a wrong password does not learn that the account is disabled');
    assert.equal((await call(d.apiUrl, 'POST', `/admin/users/${userId}/enable`, { headers: admin })).status, 204);
    // Both actions are in the audit trail, each with the administrator who did it (written in batches).
    const adminId = JSON.parse(Buffer.from(admin.authorization.split('.')[1]!, 'base64url').toString()).sub as string;
    const until = Date.now() + 10_000;
    let actions: Array<{ type: string; by: unknown }> = [];
    while (actions.length < 2 && Date.now() < until) {
      const trail = await call(d.apiUrl, 'GET', `/admin/events?userId=${userId}&limit=100`, { headers: admin });
      assert.equal(trail.status, 200, JSON.stringify(trail.body));
      actions = trail.body.events
        .filter((e: any) => e.type === 'account.disabled' || e.type === 'account.enabled')
        .map((e: any) => ({ type: e.type, by: e.data.by }))
        .reverse();
      if (actions.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(actions, [
      { type: 'account.disabled', by: adminId },
      { type: 'account.enabled', by: adminId },
    ]);
    const back = await restLogin(d.a.url, email);
    assert.equal((await call(d.apiUrl, 'POST', `/admin/users/${userId}/sessions/revoke`, { headers: admin })).status, 204);
    assert.equal((await call(d.a.url, 'GET', '/auth/verify', { headers: bearer(back.accessToken) })).status, 401);
    assert.equal((await call(d.apiUrl, 'POST', '/admin/users/00000000-0000-4000-8000-000000000000/disable', { headers: admin })).status, 404);
  });
}
