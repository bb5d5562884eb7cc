import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, post } from './http.ts';
import { LiveSocket } from './live-socket.ts';
import { newEmail, PASSWORD } from './users.ts';

interface Edge {
  url: string;
  wsUrl: string;
}

/** A deployment with two edges (the same process in the all-in-one) and a mail catcher. */
export interface DeviceDeployment {
  a: Edge;
  b: Edge;
  /** Where GET /auth/events is answered (the account API, or the all-in-one's edge). */
  apiUrl: string;
  /** The text of every device-code mail `email` has received so far. */
  codeMails(email: string): Promise<string[]>;
  /** An edge of the same shape run with DEVICE_VERIFICATION=off. */
  off: Edge;
  /** Every log line every process of the deployment has printed so far. */
  logLines(): string[];
  /** The known_devices rows of an account, read from the database (distributed shape only). */
  knownDevices?: (userId: string) => Promise<Array<{ device_hash: string; first_seen_at: Date; last_seen_at: Date }>>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function account(url: string, label: string) {
  const email = newEmail(label);
  const registered = await post(url, '/auth/register', { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return { email, userId: registered.body.userId as string };
}

/** Each device signs in with a user agent of its own: its code mail names it (`Device: ...`). */
const agentOf = (deviceId: string | undefined) => ({ 'user-agent': `device-test/${deviceId ?? 'none'}` });

async function restLogin(url: string, email: string, deviceId?: string) {
  return post(url, '/auth/login', { email, password: PASSWORD, ...(deviceId ? { deviceId } : {}) }, agentOf(deviceId));
}

/** The account's first sign-in (from `laptop`): no device check, and the session that approves later. */
async function firstSession(url: string, email: string) {
  const login = await restLogin(url, email, 'laptop');
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body as { accessToken: string; refreshToken: string; sessionId: string; user: { id: string; email: string } };
}

/** A socket authenticated as that session: it receives the account's live events. */
async function watcherOn(wsUrl: string, accessToken: string) {
  const socket = await LiveSocket.open(wsUrl);
  const auth = await socket.request('authenticate', { accessToken });
  assert.equal(auth.ok, true, JSON.stringify(auth));
  return socket;
}

async function waitFor<T>(what: string | (() => string), get: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(50);
  }
}

function assertChallenge(error: any): string {
  assert.equal(error.code, 'device_verification_required', JSON.stringify(error));
  assert.equal(error.expiresIn, 600);
  assert.equal(typeof error.verificationId, 'string');
  assert.ok(Buffer.from(error.verificationId, 'base64url').length >= 16, 'at least 128 random bits');
  return error.verificationId as string;
}

function assertTokenPair(body: any, email: string) {
  assert.equal(typeof body.accessToken, 'string', JSON.stringify(body));
  assert.equal(typeof body.refreshToken, 'string');
  assert.equal(body.tokenType, 'Bearer');
  assert.equal(body.user.email, email);
}

/** The new-device scenarios every deployment shape must pass (docs/rest.md, "New devices"). */
export function deviceScenarios(get: () => DeviceDeployment): void {
  /** Every verificationId and code the tests saw: none may be in any log line. */
  const secrets: string[] = [];
  /** The code mailed to `email` for the sign-in from `deviceId` (its mail names the device's user agent). */
  const mailedCode = async (d: DeviceDeployment, email: string, deviceId: string) => {
    const text = await waitFor(`the code mail to ${email} for ${deviceId}`, async () =>
      (await d.codeMails(email)).find((mail) => new RegExp(`^Device: device-test/${deviceId}\\r?$`, 'm').test(mail)),
    );
    const code = /^\s+(\d{6})\s*$/m.exec(text)?.[1];
    assert.ok(code, 'the mail holds a 6-digit code');
    secrets.push(code);
    return code;
  };

  test('a login over WebSocket on edge A from a new device is approved by a socket on edge B; the waiting socket is told within 1 s and completes', async () => {
    const d = get();
    const { email, userId } = await account(d.a.url, 'approve');
    const laptop = await firstSession(d.b.url, email);
    const watcher = await watcherOn(d.b.wsUrl, laptop.accessToken);
    const waiting = await LiveSocket.open(d.a.wsUrl, { 'user-agent': 'new-phone/2.0' });

    const login = await waiting.request('login', { email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(login.ok, false);
    assert.equal(login.status, 403);
    const verificationId = assertChallenge(login.error);
    secrets.push(verificationId);

    const requested = await watcher.waitForEvent('device.approval_requested', 5_000, (data) => data.verificationId === verificationId);
    assert.equal(requested.data.ip, '127.0.0.1');
    assert.equal(requested.data.userAgent, 'new-phone/2.0');
    assert.ok(Math.abs(Date.parse(requested.data.at) - Date.now()) < 60_000, 'at is a time');
    assert.equal(
      waiting.events.some((e) => e.event === 'device.approval_requested'),
      false,
      'the waiting connection is not the account',
    );

    const early = await waiting.request('device_complete', { verificationId });
    assert.equal(early.status, 409);
    assert.equal(early.error.code, 'device_verification_pending');

    const sent = Date.now();
    const approve = await watcher.request('device_approve', { verificationId });
    assert.equal(approve.ok, true, JSON.stringify(approve));
    assert.equal(approve.status, 204);
    const approved = await waiting.waitForEvent('device.approved', 1_000);
    assert.deepEqual(approved.data, { verificationId });
    assert.ok(approved.at - sent < 1_000, `device.approved ${approved.at - sent} ms after the approval was sent`);

    const complete = await waiting.request('device_complete', { verificationId });
    assert.equal(complete.ok, true, JSON.stringify(complete));
    assert.equal(complete.status, 200);
    assertTokenPair(complete.data, email);
    // The connection is bound to its new session, as after a login.
    const list = await waiting.request('sessions_list');
    assert.equal(list.ok, true, JSON.stringify(list));
    assert.equal(list.data.find((s: any) => s.current).deviceId, 'phone');
    assert.equal(list.data.find((s: any) => s.current).id, complete.data.sessionId);

    const again = await waiting.request('device_complete', { verificationId });
    assert.equal(again.status, 404, 'completed once');
    assert.equal(again.error.code, 'not_found');
    // The device is known now: its next sign-in goes straight through.
    const known = await restLogin(d.a.url, email, 'phone');
    assert.equal(known.status, 200, JSON.stringify(known.body));

    if (d.knownDevices) {
      const rows = await d.knownDevices(userId);
      assert.equal(rows.length, 2, 'laptop and phone');
      for (const row of rows) {
        assert.doesNotMatch(row.device_hash, /laptop|phone/, 'device ids are stored hashed');
        assert.ok(row.last_seen_at >= row.first_seen_at);
      }
    }
    watcher.close();
    waiting.close();
  });

  test('a deferred login (X-Connection-Id) denied from the other edge: the waiting socket is told, and it never gets tokens', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'deny');
    const laptop = await firstSession(d.b.url, email);
    const waiting = await LiveSocket.open(d.a.wsUrl);
    const accepted = await call(d.a.url, 'POST', '/auth/login', {
      body: { email, password: PASSWORD, deviceId: 'stranger-pc' },
      headers: { 'x-connection-id': waiting.connectionId, ...agentOf('stranger-pc') },
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const result = await waitFor('the deferred login result', async () => {
      const collected = await call(d.a.url, 'GET', `/auth/results/${accepted.body.requestId}`, { headers: { 'x-connection-id': waiting.connectionId } });
      return collected.status === 200 ? collected.body : undefined;
    });
    assert.equal(result.status, 403);
    const verificationId = assertChallenge(result.error);
    secrets.push(verificationId);

    const sent = Date.now();
    const deny = await post(d.b.url, '/auth/devices/deny', { verificationId }, bearer(laptop.accessToken));
    assert.equal(deny.status, 204, JSON.stringify(deny.body));
    const denied = await waiting.waitForEvent('device.denied', 1_000);
    assert.deepEqual(denied.data, { verificationId });
    assert.ok(denied.at - sent < 1_000);

    const complete = await post(d.a.url, '/auth/devices/complete', { verificationId });
    assert.equal(complete.status, 403);
    assert.equal(complete.body.error.code, 'device_denied');
    const overSocket = await waiting.request('device_complete', { verificationId });
    assert.equal(overSocket.status, 403);
    assert.equal(overSocket.error.code, 'device_denied');
    const code = await mailedCode(d, email, 'stranger-pc');
    const verify = await post(d.a.url, '/auth/devices/verify', { verificationId, code });
    assert.equal(verify.status, 403, 'not even the emailed code opens a denied sign-in');
    assert.equal(verify.body.error.code, 'device_denied');
    assert.equal((await post(d.b.url, '/auth/devices/deny', { verificationId }, bearer(laptop.accessToken))).status, 204, 'the same decision again');
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId }, bearer(laptop.accessToken))).status, 404, 'a decision is made once');
    // Still a stranger: the next sign-in from it asks again.
    assert.equal((await restLogin(d.a.url, email, 'stranger-pc')).status, 403);
    waiting.close();
  });

  test('the emailed code: over WebSocket it completes and binds the socket; five wrong codes end a verification', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'code');
    await firstSession(d.b.url, email);
    const waiting = await LiveSocket.open(d.a.wsUrl, agentOf('tablet'));
    const login = await waiting.request('login', { email, password: PASSWORD, deviceId: 'tablet' });
    const verificationId = assertChallenge(login.error);
    secrets.push(verificationId);
    const code = await mailedCode(d, email, 'tablet');
    assert.match(code, /^\d{6}$/);
    const wrongCode = code === '000000' ? '111111' : '000000';

    const wrong = await waiting.request('device_verify', { verificationId, code: wrongCode });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.error.code, 'invalid_code');
    const right = await waiting.request('device_verify', { verificationId, code });
    assert.equal(right.ok, true, JSON.stringify(right));
    assertTokenPair(right.data, email);
    assert.equal((await waiting.request('sessions_list')).ok, true, 'bound to the new session');
    assert.equal((await waiting.request('device_verify', { verificationId, code })).status, 404, 'a code works once');
    assert.equal((await restLogin(d.a.url, email, 'tablet')).status, 200, 'the device is known now');

    const second = await restLogin(d.a.url, email, 'kiosk');
    const secondId = assertChallenge(second.body.error);
    secrets.push(secondId);
    const secondCode = await mailedCode(d, email, 'kiosk');
    const secondWrong = secondCode === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 5; i++) {
      const guess = await post(d.a.url, '/auth/devices/verify', { verificationId: secondId, code: secondWrong });
      assert.equal(guess.status, 401, `wrong code ${i}`);
      assert.equal(guess.body.error.code, 'invalid_code');
    }
    const late = await post(d.a.url, '/auth/devices/verify', { verificationId: secondId, code: secondCode });
    assert.equal(late.status, 404, 'the right code after five wrong ones: the verification is gone');
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId: secondId })).status, 404);
    waiting.close();
  });

  test('approve and deny: only by a session of the account; unknown ids 404; bad requests are clear errors', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'owner');
    await firstSession(d.a.url, email);
    const pending = await restLogin(d.a.url, email, 'other-device');
    const verificationId = assertChallenge(pending.body.error);
    secrets.push(verificationId);

    const stranger = await account(d.a.url, 'stranger');
    const theirs = await firstSession(d.b.url, stranger.email);
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId }, bearer(theirs.accessToken))).status, 404, "another account's sign-in");
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId: 'no-such-verification' }, bearer(theirs.accessToken))).status, 404);
    const anonymous = await post(d.b.url, '/auth/devices/approve', { verificationId });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'invalid_token');
    const socket = await LiveSocket.open(d.b.wsUrl);
    assert.equal((await socket.request('device_approve', { verificationId })).error.code, 'invalid_token', 'an unauthenticated socket');
    socket.close();
    const empty = await post(d.b.url, '/auth/devices/approve', {}, bearer(theirs.accessToken));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.details[0].path, 'verificationId');
    const form = await call(d.b.url, 'POST', '/auth/devices/deny', {
      raw: 'verificationId=x',
      headers: { ...bearer(theirs.accessToken), 'content-type': 'text/plain' },
    });
    assert.equal(form.status, 415);
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId: 'no-such-verification' })).status, 404);
    assert.equal((await post(d.a.url, '/auth/devices/verify', { verificationId: 'x'.repeat(129), code: '123456' })).status, 400);
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId })).status, 409, 'still pending');
  });

  test('a login that names no deviceId is not checked; with DEVICE_VERIFICATION=off no login is', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'nodevice');
    await firstSession(d.a.url, email);
    assert.equal((await restLogin(d.a.url, email)).status, 200, 'no deviceId');

    const off = await account(d.off.url, 'off');
    assert.equal((await restLogin(d.off.url, off.email, 'laptop')).status, 200);
    assert.equal((await restLogin(d.off.url, off.email, 'phone')).status, 200, 'a new device, the check off');
    const socket = await LiveSocket.open(d.off.wsUrl);
    assert.equal((await socket.request('login', { email: off.email, password: PASSWORD, deviceId: 'tablet' })).status, 200);
    socket.close();
  });

  test("the account's audit trail holds each step, and no log line holds a verificationId or a code", async () => {
    const d = get();
    const { email } = await account(d.a.url, 'audit');
    const laptop = await firstSession(d.a.url, email);
    const viaApproval = assertChallenge((await restLogin(d.a.url, email, 'phone')).body.error);
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId: viaApproval }, bearer(laptop.accessToken))).status, 204);
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId: viaApproval })).status, 200);
    const viaCode = assertChallenge((await restLogin(d.a.url, email, 'tablet')).body.error);
    const code = await mailedCode(d, email, 'tablet');
    assert.equal((await post(d.a.url, '/auth/devices/verify', { verificationId: viaCode, code: code === '000000' ? '111111' : '000000' })).status, 401);
    assert.equal((await post(d.a.url, '/auth/devices/verify', { verificationId: viaCode, code })).status, 200);
    const viaDenial = assertChallenge((await restLogin(d.a.url, email, 'kiosk')).body.error);
    assert.equal((await post(d.b.url, '/auth/devices/deny', { verificationId: viaDenial }, bearer(laptop.accessToken))).status, 204);
    secrets.push(viaApproval, viaCode, viaDenial);

    const expected = ['device.approval_requested', 'device.approved', 'device.denied', 'login.failed', 'login.succeeded', 'register'];
    let seen: unknown;
    const events = await waitFor(
      () => `the audit events (got ${JSON.stringify(seen)})`,
      async () => {
        const answer = await call(d.apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(laptop.accessToken) });
        const list = (answer.body?.events ?? []) as Array<{ type: string; deviceId: string | null; data: Record<string, unknown> }>;
        seen = list.map((e) => e.type);
        const count = (type: string) => list.filter((e) => e.type === type).length;
        return count('device.approval_requested') === 3 && count('device.approved') === 2 && count('device.denied') === 1 && count('login.failed') === 1
          ? list
          : undefined;
      },
    );
    assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), expected);
    assert.deepEqual(
      events
        .filter((e) => e.type === 'device.approval_requested')
        .map((e) => e.deviceId)
        .sort(),
      ['kiosk', 'phone', 'tablet'],
    );
    assert.equal(events.find((e) => e.type === 'device.approved' && e.deviceId === 'tablet')?.data.reason, 'emailed_code');
    assert.equal(events.find((e) => e.type === 'login.failed')?.data.reason, 'invalid_device_code');
    for (const event of events) {
      const text = JSON.stringify(event);
      for (const secret of secrets) assert.ok(!text.includes(secret), `audit event ${event.type} holds no verificationId or code`);
    }

    // Each code and verificationId of this file's tests, looked for in every line every process printed.
    const lines = d.logLines();
    assert.ok(lines.length > 0);
    assert.ok(secrets.length >= 4);
    for (const secret of secrets) {
      // A code is six digits: looked for standing alone, not inside a longer number or id.
      const shape = /^\d+$/.test(secret) ? new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`) : undefined;
      const leak = lines.find((line) => (shape ? shape.test(line) : line.includes(secret)));
      assert.equal(leak, undefined, `a log line holds a verificationId or code: ${leak}`);
    }
  });
}
