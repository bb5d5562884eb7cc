import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SESSION_KINDS } from '@authgate/shared/protocol';
import { call, post } from './http.ts';
import type { LiveDeployment } from './live-scenarios.ts';
import { LiveSocket } from './live-socket.ts';
import { newEmail, PASSWORD } from './users.ts';

/** The ACCESS_TOKEN_TTL_S the deployments of these scenarios run with: short, to watch tokens expire. */
export const SOCKET_EXPIRY_TTL_S = 4;

interface Pair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  user: { id: string };
}

async function account(d: LiveDeployment, label: string): Promise<string> {
  const email = newEmail(label);
  const registered = await post(d.a.url, '/auth/register', { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return email;
}

async function restLogin(url: string, email: string, deviceId: string): Promise<Pair> {
  const login = await post(url, '/auth/login', { email, password: PASSWORD, deviceId });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body as Pair;
}

/** The access token's `exp`, read from its payload (the test's own knowledge of when it ends). */
function expOf(accessToken: string): number {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number }).exp;
}

/** Waits until the access token has expired, plus `extraMs`. */
async function untilExpired(accessToken: string, extraMs = 50): Promise<void> {
  const wait = expOf(accessToken) * 1000 + extraMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** The session's next pair, refreshed over REST: an access token good for a whole lifetime from now. */
async function refreshOverRest(d: LiveDeployment, pair: Pair): Promise<Pair> {
  const refreshed = await post(d.b.url, '/auth/refresh', { refreshToken: pair.refreshToken, deviceId: 'laptop' });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  return refreshed.body as Pair;
}

/** A socket on `wsUrl` authenticated with the pair's access token. */
async function authenticated(wsUrl: string, pair: Pair): Promise<LiveSocket> {
  const socket = await LiveSocket.open(wsUrl);
  const auth = await socket.request('authenticate', { accessToken: pair.accessToken });
  assert.deepEqual(auth.data, { sub: pair.user.id, sid: pair.sessionId }, JSON.stringify(auth));
  return socket;
}

/** Every session message, with a body it would take: none may act for an expired connection. */
function sessionMessages(otherSessionId: string): Array<[string, Record<string, unknown>]> {
  const bodies: Record<string, Record<string, unknown>> = {
    session_revoke: { sessionId: otherSessionId },
    device_approve: { verificationId: 'v'.repeat(43) },
    device_deny: { verificationId: 'v'.repeat(43) },
    password_change: { currentPassword: PASSWORD, newPassword: 'another long passphrase 2' },
    mfa_totp_confirm: { code: '123456' },
    mfa_totp_disable: { password: PASSWORD, code: '123456' },
  };
  return [...SESSION_KINDS].map((kind) => [kind, bodies[kind] ?? {}]);
}

async function assertRefusedAsExpired(socket: LiveSocket, otherSessionId: string): Promise<void> {
  for (const [kind, body] of sessionMessages(otherSessionId)) {
    const answer = await socket.request(kind, body);
    assert.equal(answer.ok, false, `${kind}: ${JSON.stringify(answer)}`);
    assert.equal(answer.status, 401, `${kind}: ${JSON.stringify(answer)}`);
    assert.equal(answer.error.code, 'invalid_token', kind);
    assert.equal(typeof answer.error.message, 'string', kind);
  }
}

/**
 * `trigger` makes an event of the account; `witness`, a socket of the account whose token is current,
 * receives it (so it was delivered), and `expired` must not have, nor get it a moment later.
 */
async function assertEventPassesBy(expired: LiveSocket, witness: LiveSocket, event: string, trigger: () => Promise<string>): Promise<void> {
  const sessionId = await trigger();
  await witness.waitForEvent(event, 5_000, (data) => data.sessionId === sessionId);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(
    expired.events.filter((e) => e.data.sessionId === sessionId),
    [],
    'an event reached a socket whose access token had expired',
  );
}

/** A socket's authority ends with its access token: the scenarios every deployment shape must pass. */
export function socketExpiryScenarios(get: () => LiveDeployment): void {
  test('authenticate: after its access token expires, every session message answers 401 invalid_token and no event reaches the socket; authenticate again and both work, and a revoke still closes it with 4001', async () => {
    const d = get();
    const email = await account(d, 'expiry-auth');
    const first = await restLogin(d.b.url, email, 'laptop');
    const spare = await restLogin(d.b.url, email, 'tablet');
    const socket = await authenticated(d.a.wsUrl, first);
    const listed = await socket.request('sessions_list');
    assert.equal(listed.status, 200, JSON.stringify(listed));

    await untilExpired(first.accessToken);
    await assertRefusedAsExpired(socket, spare.sessionId);
    const spareAlive = await post(d.b.url, '/auth/refresh', { refreshToken: spare.refreshToken, deviceId: 'tablet' });
    assert.equal(spareAlive.status, 200, 'no session was revoked by the refused messages');

    // A current token of the same session, on a second socket of the same edge: it sees the events.
    const current = await refreshOverRest(d, first);
    const witness = await authenticated(d.a.wsUrl, current);
    let desktop: Pair | undefined;
    await assertEventPassesBy(socket, witness, 'security.new_sign_in', async () => {
      desktop = await restLogin(d.b.url, email, 'desktop');
      return desktop.sessionId;
    });
    witness.close();

    // Authenticated again with a current token: session messages and events work again.
    const fresh = await refreshOverRest(d, current);
    const again = await socket.request('authenticate', { accessToken: fresh.accessToken });
    assert.deepEqual(again.data, { sub: first.user.id, sid: first.sessionId });
    const relisted = await socket.request('sessions_list');
    assert.equal(relisted.status, 200, JSON.stringify(relisted));
    const revokedSpare = await socket.request('session_revoke', { sessionId: spare.sessionId });
    assert.equal(revokedSpare.status, 204, JSON.stringify(revokedSpare));
    await socket.waitForEvent('session.revoked', 5_000, (data) => data.sessionId === spare.sessionId);

    // Its own session revoked elsewhere: told, and closed with 4001.
    const revoked = await call(d.b.url, 'DELETE', `/auth/sessions/${first.sessionId}`, { headers: { authorization: `Bearer ${desktop!.accessToken}` } });
    assert.equal(revoked.status, 204);
    await socket.waitForEvent('session.revoked', 5_000, (data) => data.sessionId === first.sessionId);
    assert.equal((await socket.closed).code, 4001);
  });

  test('login over the socket binds it until the exp of the token it issued; after it, refused and deaf; a refresh over it binds it again to the new token', async () => {
    const d = get();
    const email = await account(d, 'expiry-login');
    const socket = await LiveSocket.open(d.a.wsUrl);
    const login = await socket.request('login', { email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(login.ok, true, JSON.stringify(login));
    const session = login.data as Pair;
    assert.equal((await socket.request('sessions_list')).status, 200);

    await untilExpired(session.accessToken);
    const refused = await socket.request('sessions_list');
    assert.equal(refused.status, 401, JSON.stringify(refused));
    assert.equal(refused.error.code, 'invalid_token');
    const witness = await authenticated(d.a.wsUrl, await restLogin(d.b.url, email, 'laptop'));
    await assertEventPassesBy(socket, witness, 'security.new_sign_in', async () => (await restLogin(d.b.url, email, 'desktop')).sessionId);

    const rotated = await socket.request('refresh', { refreshToken: session.refreshToken, deviceId: 'phone' });
    assert.equal(rotated.ok, true, JSON.stringify(rotated));
    assert.ok(expOf(rotated.data.accessToken) * 1000 > Date.now());
    assert.equal((await socket.request('sessions_list')).status, 200, 'bound again by the refresh');
    const signIn = await restLogin(d.b.url, email, 'tv');
    await socket.waitForEvent('security.new_sign_in', 5_000, (data) => data.sessionId === signIn.sessionId);
    socket.close();
    witness.close();
  });

  test("once its token has expired, the socket no longer holds its account on its edge: the account's events are not even published there", async () => {
    const d = get();
    const email = await account(d, 'expiry-presence');
    const pair = await restLogin(d.b.url, email, 'laptop');
    const socket = await authenticated(d.a.wsUrl, pair);
    const withdrawnBefore = await d.presenceWithdrawals?.(pair.user.id);
    // The edge drops expired connections from the presence in a sweep each second.
    await untilExpired(pair.accessToken, 1_500);
    if (d.presenceWithdrawals) assert.equal(await d.presenceWithdrawals(pair.user.id), withdrawnBefore! + 1, 'the account was withdrawn from edge A');
    await d.publishedPerEdge?.();
    const witness = await authenticated(d.b.wsUrl, await restLogin(d.b.url, email, 'tablet'));
    await assertEventPassesBy(socket, witness, 'security.new_sign_in', async () => (await restLogin(d.b.url, email, 'desktop')).sessionId);
    const perEdge = await d.publishedPerEdge?.();
    if (perEdge) {
      assert.equal(perEdge.get(d.a.nodeId)?.get(pair.user.id) ?? 0, 0, 'published to the edge of the expired socket');
      assert.ok((perEdge.get(d.b.nodeId)?.get(pair.user.id) ?? 0) >= 1, 'published to the edge of the current one');
    }
    socket.close();
    witness.close();
  });
}
