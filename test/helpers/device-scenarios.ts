import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
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
  /** Every mail `email` has received so far. */
  mails(email: string): Promise<Array<{ subject: string; text: string }>>;
  /** The deployment's limits (DEVICE_TEST_LIMITS, set in its environment). */
  limits: typeof DEVICE_TEST_LIMITS;
  /** An edge of the same shape run with DEVICE_VERIFICATION=off. */
  off: Edge;
  /** Every log line every process of the deployment has printed so far. */
  logLines(): string[];
  /** The known_devices rows of an account, read from the database (distributed shape only). */
  knownDevices?: (userId: string) => Promise<Array<{ device_hash: string; first_seen_at: Date; last_seen_at: Date }>>;
}

/**
 * The limits both shapes run with: wrong device codes per account (MFA_ACCOUNT_MAX_FAILURES) and per
 * client address (MFA_IP_MAX_FAILURES), and prompts-and-code-mails per account per hour
 * (DEVICE_MAILS_PER_HOUR). The scenarios that reach them come from addresses of their own
 * (X-Forwarded-For, TRUSTED_PROXIES=127.0.0.1); the others stay well below them.
 */
export const DEVICE_TEST_LIMITS = { codeFailuresPerAccount: 8, codeFailuresPerAddress: 16, noticesPerHour: 3 } as const;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** A client address of its own, as nginx would name it (X-Forwarded-For from a trusted proxy). */
const newAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const codeMailsOf = async (d: DeviceDeployment, email: string) =>
  (await d.mails(email)).filter((mail) => mail.subject.includes('sign-in code')).map((mail) => mail.text);
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

type Challenge = { verificationId: string; completeToken: string };

function assertChallenge(error: any, notified = true): Challenge {
  assert.equal(error.code, 'device_verification_required', JSON.stringify(error));
  assert.equal(error.expiresIn, 600);
  assert.equal(typeof error.verificationId, 'string');
  assert.ok(Buffer.from(error.verificationId, 'base64url').length >= 16, 'verificationId: at least 128 random bits');
  assert.equal(typeof error.completeToken, 'string');
  assert.ok(Buffer.from(error.completeToken, 'base64url').length >= 16, 'completeToken: at least 128 random bits');
  assert.notEqual(error.completeToken, error.verificationId);
  assert.equal(error.notified, notified, 'whether a prompt and a code mail went out');
  return { verificationId: error.verificationId, completeToken: error.completeToken };
}

function assertTokenPair(body: any, email: string) {
  assert.equal(typeof body.accessToken, 'string', JSON.stringify(body));
  assert.equal(typeof body.refreshToken, 'string');
  assert.equal(body.tokenType, 'Bearer');
  assert.equal(body.user.email, email);
}

/** The new-device scenarios every deployment shape must pass (docs/rest.md, "New devices"). */
export function deviceScenarios(get: () => DeviceDeployment): void {
  /** Every verificationId, completeToken and code the tests saw: none may be in any log line. */
  const secrets: string[] = [];
  /** The completeTokens alone: no event, mail or audit record may hold one either. */
  const completeTokens: string[] = [];
  /** A device_verification_required answer, its secrets recorded. */
  const challenge = (error: any, notified = true): Challenge => {
    const found = assertChallenge(error, notified);
    secrets.push(found.verificationId, found.completeToken);
    completeTokens.push(found.completeToken);
    return found;
  };
  /** The code mailed to `email` for the sign-in from `deviceId` (its mail names the device's user agent). */
  const mailedCode = async (d: DeviceDeployment, email: string, deviceId: string) => {
    const text = await waitFor(`the code mail to ${email} for ${deviceId}`, async () =>
      (await codeMailsOf(d, email)).find((mail) => new RegExp(`^Device: device-test/${deviceId}\\r?$`, 'm').test(mail)),
    );
    const code = /^\s+(\d{6})\s*$/m.exec(text)?.[1];
    assert.ok(code, 'the mail holds a 6-digit code');
    secrets.push(code);
    return code;
  };
  const otherThan = (code: string) => (code === '000000' ? '111111' : '000000');

  test('a login over WebSocket on edge A from a new device is approved by a socket on edge B; the waiting socket is told within 1 s and completes', async () => {
    const d = get();
    const { email, userId } = await account(d.a.url, 'approve');
    const laptop = await firstSession(d.b.url, email);
    const watcher = await watcherOn(d.b.wsUrl, laptop.accessToken);
    const waiting = await LiveSocket.open(d.a.wsUrl, { 'user-agent': 'new-phone/2.0' });

    const login = await waiting.request('login', { email, password: PASSWORD, deviceId: 'phone' });
    assert.equal(login.ok, false);
    assert.equal(login.status, 403);
    const held = challenge(login.error);
    const { verificationId } = held;

    const requested = await watcher.waitForEvent('device.approval_requested', 5_000, (data) => data.verificationId === verificationId);
    assert.equal(requested.data.ip, '127.0.0.1');
    assert.equal(requested.data.userAgent, 'new-phone/2.0');
    assert.ok(Math.abs(Date.parse(requested.data.at) - Date.now()) < 60_000, 'at is a time');
    assert.equal(
      waiting.events.some((e) => e.event === 'device.approval_requested'),
      false,
      'the waiting connection is not the account',
    );

    const early = await waiting.request('device_complete', held);
    assert.equal(early.status, 409);
    assert.equal(early.error.code, 'device_verification_pending');

    const sent = Date.now();
    const approve = await watcher.request('device_approve', { verificationId });
    assert.equal(approve.ok, true, JSON.stringify(approve));
    assert.equal(approve.status, 204);
    const approved = await waiting.waitForEvent('device.approved', 1_000);
    assert.deepEqual(approved.data, { verificationId });
    assert.ok(approved.at - sent < 1_000, `device.approved ${approved.at - sent} ms after the approval was sent`);

    const complete = await waiting.request('device_complete', held);
    assert.equal(complete.ok, true, JSON.stringify(complete));
    assert.equal(complete.status, 200);
    assertTokenPair(complete.data, email);
    // The connection is bound to its new session, as after a login.
    const list = await waiting.request('sessions_list');
    assert.equal(list.ok, true, JSON.stringify(list));
    assert.equal(list.data.find((s: any) => s.current).deviceId, 'phone');
    assert.equal(list.data.find((s: any) => s.current).id, complete.data.sessionId);

    const again = await waiting.request('device_complete', held);
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

  test('another session of the account, told the verificationId and approving, cannot finish the sign-in itself: only the waiting client, with its completeToken', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'thief');
    const laptop = await firstSession(d.b.url, email);
    // The other session: any signed-in session of the account, here a socket on edge B.
    const other = await watcherOn(d.b.wsUrl, laptop.accessToken);
    const waiting = await LiveSocket.open(d.a.wsUrl, agentOf('owners-phone'));
    const held = challenge((await waiting.request('login', { email, password: PASSWORD, deviceId: 'owners-phone' })).error);
    const { verificationId } = held;

    const requested = await other.waitForEvent('device.approval_requested', 5_000, (data) => data.verificationId === verificationId);
    assert.deepEqual(Object.keys(requested.data).sort(), ['at', 'ip', 'userAgent', 'verificationId'], 'the prompt carries no completeToken');
    const code = await mailedCode(d, email, 'owners-phone');
    assert.equal((await other.request('device_approve', { verificationId })).status, 204);
    await waiting.waitForEvent('device.approved', 5_000);

    // What an unknown verification is answered: the thief's attempts must be answered alike.
    const unknown = await post(d.a.url, '/auth/devices/complete', { verificationId: randomBytes(24).toString('base64url'), completeToken: held.completeToken });
    assert.equal(unknown.status, 404);
    const forged = randomBytes(32).toString('base64url');
    const refusals = [
      await other.request('device_complete', { verificationId }),
      await other.request('device_complete', { verificationId, completeToken: forged }),
      await other.request('device_complete', { verificationId, completeToken: '' }),
      await other.request('device_verify', { verificationId, code }),
      await other.request('device_verify', { verificationId, completeToken: forged, code }),
    ];
    for (const refusal of refusals) {
      assert.equal(refusal.status, 404, JSON.stringify(refusal));
      assert.equal(refusal.error.code, 'not_found');
      assert.equal(refusal.error.message, unknown.body.error.message, 'told apart from an unknown verification in nothing');
    }
    for (const edge of [d.a.url, d.b.url]) {
      const overRest = [
        await post(edge, '/auth/devices/complete', { verificationId }, bearer(laptop.accessToken)),
        await post(edge, '/auth/devices/complete', { verificationId, completeToken: forged }),
        await post(edge, '/auth/devices/verify', { verificationId, code }),
        await post(edge, '/auth/devices/verify', { verificationId, completeToken: forged, code }),
      ];
      for (const refusal of overRest) {
        assert.equal(refusal.status, 404, JSON.stringify(refusal.body));
        assert.equal(refusal.body.error.code, 'not_found');
        assert.equal(refusal.body.error.message, unknown.body.error.message);
      }
    }
    // No try was spent and nothing was handed out: the waiting device finishes, once.
    const complete = await waiting.request('device_complete', held);
    assert.equal(complete.status, 200, JSON.stringify(complete));
    assertTokenPair(complete.data, email);
    assert.equal((await post(d.a.url, '/auth/devices/complete', held)).status, 404, 'once');

    // The REST shape of the same: the real device completes by REST, the thief by REST does not.
    const restHeld = challenge((await restLogin(d.a.url, email, 'owners-tablet')).body.error);
    await other.waitForEvent('device.approval_requested', 5_000, (data) => data.verificationId === restHeld.verificationId);
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId: restHeld.verificationId }, bearer(laptop.accessToken))).status, 204);
    assert.equal((await post(d.b.url, '/auth/devices/complete', { verificationId: restHeld.verificationId })).status, 404);
    const restComplete = await post(d.a.url, '/auth/devices/complete', restHeld);
    assert.equal(restComplete.status, 200, JSON.stringify(restComplete.body));
    assertTokenPair(restComplete.body, email);

    // The completeToken was in the login's answer only: in no event either socket received, in no mail.
    await mailedCode(d, email, 'owners-tablet');
    const trail = await waitFor('the audit trail of both sign-ins', async () => {
      const answer = await call(d.apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(laptop.accessToken) });
      const events = (answer.body?.events ?? []) as Array<{ type: string }>;
      return events.filter((e) => e.type === 'login.succeeded').length === 3 && events.filter((e) => e.type === 'device.approved').length === 2
        ? events
        : undefined;
    });
    const seen = [JSON.stringify(other.events), JSON.stringify(waiting.events), JSON.stringify(await d.mails(email)), JSON.stringify(trail)].join('\n');
    for (const token of [held.completeToken, restHeld.completeToken])
      assert.ok(!seen.includes(token), 'a completeToken in an event, a mail or the audit trail');
    other.close();
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
    const held = challenge(result.error);
    const { verificationId } = held;

    const sent = Date.now();
    const deny = await post(d.b.url, '/auth/devices/deny', { verificationId }, bearer(laptop.accessToken));
    assert.equal(deny.status, 204, JSON.stringify(deny.body));
    const denied = await waiting.waitForEvent('device.denied', 1_000);
    assert.deepEqual(denied.data, { verificationId });
    assert.ok(denied.at - sent < 1_000);

    const complete = await post(d.a.url, '/auth/devices/complete', held);
    assert.equal(complete.status, 403);
    assert.equal(complete.body.error.code, 'device_denied');
    const overSocket = await waiting.request('device_complete', held);
    assert.equal(overSocket.status, 403);
    assert.equal(overSocket.error.code, 'device_denied');
    const code = await mailedCode(d, email, 'stranger-pc');
    const verify = await post(d.a.url, '/auth/devices/verify', { ...held, code });
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
    const held = challenge(login.error);
    const code = await mailedCode(d, email, 'tablet');
    assert.match(code, /^\d{6}$/);

    const wrong = await waiting.request('device_verify', { ...held, code: otherThan(code) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.error.code, 'invalid_code');
    const right = await waiting.request('device_verify', { ...held, code });
    assert.equal(right.ok, true, JSON.stringify(right));
    assertTokenPair(right.data, email);
    assert.equal((await waiting.request('sessions_list')).ok, true, 'bound to the new session');
    assert.equal((await waiting.request('device_verify', { ...held, code })).status, 404, 'a code works once');
    assert.equal((await restLogin(d.a.url, email, 'tablet')).status, 200, 'the device is known now');

    const second = await restLogin(d.a.url, email, 'kiosk');
    const secondHeld = challenge(second.body.error);
    const secondCode = await mailedCode(d, email, 'kiosk');
    for (let i = 1; i <= 5; i++) {
      const guess = await post(d.a.url, '/auth/devices/verify', { ...secondHeld, code: otherThan(secondCode) });
      assert.equal(guess.status, 401, `wrong code ${i}`);
      assert.equal(guess.body.error.code, 'invalid_code');
    }
    const late = await post(d.a.url, '/auth/devices/verify', { ...secondHeld, code: secondCode });
    assert.equal(late.status, 404, 'the right code after five wrong ones: the verification is gone');
    assert.equal((await post(d.a.url, '/auth/devices/complete', secondHeld)).status, 404);
    waiting.close();
  });

  test('wrong codes count per account across verifications: past the limit 429 with Retry-After, even for the right code', async () => {
    const d = get();
    const limit = d.limits.codeFailuresPerAccount;
    const { email } = await account(d.a.url, 'guessed');
    await firstSession(d.a.url, email);
    let wrongSoFar = 0;
    let last: { held: Challenge; code: string } | undefined;
    // Verification after verification, each with fewer than its 5 tries spent, from addresses of their own.
    for (let n = 1; wrongSoFar < limit; n++) {
      const held = challenge((await restLogin(d.a.url, email, `guess-${n}`)).body.error);
      const code = await mailedCode(d, email, `guess-${n}`);
      last = { held, code };
      for (let i = 0; i < 4 && wrongSoFar < limit; i++, wrongSoFar++) {
        const guess = await post(d.a.url, '/auth/devices/verify', { ...held, code: otherThan(code) }, from(newAddress()));
        assert.equal(guess.status, 401, `wrong code ${wrongSoFar + 1} of the account: ${JSON.stringify(guess.body)}`);
      }
    }
    assert.ok(last);
    const { held, code } = last;
    const refused = await post(d.a.url, '/auth/devices/verify', { ...held, code }, from(newAddress()));
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 3600, `Retry-After: ${retryAfter}`);
    assert.equal(refused.body.error.retryAfter, retryAfter);
    const overSocket = await LiveSocket.open(d.b.wsUrl, from(newAddress()));
    const refusedOverSocket = await overSocket.request('device_verify', { ...held, code });
    assert.equal(refusedOverSocket.status, 429, JSON.stringify(refusedOverSocket));
    assert.equal(refusedOverSocket.error.code, 'rate_limited');
    overSocket.close();
    // The limit blocked the attempts: the verification itself waits on, and an approval still finishes it.
    assert.equal((await post(d.a.url, '/auth/devices/complete', held)).status, 409);
  });

  test('wrong codes count per client address across accounts: past the limit 429, while another address is not refused', async () => {
    const d = get();
    const address = newAddress();
    const perAccount = d.limits.codeFailuresPerAccount - 2;
    let wrongSoFar = 0;
    let last: { held: Challenge; code: string; email: string } | undefined;
    for (let a = 1; wrongSoFar < d.limits.codeFailuresPerAddress; a++) {
      const { email } = await account(d.a.url, `address-${a}`);
      await firstSession(d.a.url, email);
      let spentHere = 0;
      for (let n = 1; spentHere < perAccount && wrongSoFar < d.limits.codeFailuresPerAddress; n++) {
        const held = challenge((await restLogin(d.a.url, email, `spot-${n}`)).body.error);
        const code = await mailedCode(d, email, `spot-${n}`);
        last = { held, code, email };
        for (let i = 0; i < 4 && spentHere < perAccount && wrongSoFar < d.limits.codeFailuresPerAddress; i++, spentHere++, wrongSoFar++) {
          const guess = await post(d.b.url, '/auth/devices/verify', { ...held, code: otherThan(code) }, from(address));
          assert.equal(guess.status, 401, `wrong code ${wrongSoFar + 1} from ${address}: ${JSON.stringify(guess.body)}`);
        }
      }
    }
    assert.ok(last);
    const refused = await post(d.b.url, '/auth/devices/verify', { ...last.held, code: last.code }, from(address));
    assert.equal(refused.status, 429, `the address is over its limit, its account is not: ${JSON.stringify(refused.body)}`);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    // The same code from another address: the account is below its own limit, the code is right.
    const elsewhere = await post(d.b.url, '/auth/devices/verify', { ...last.held, code: last.code }, from(newAddress()));
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
    assertTokenPair(elsewhere.body, last.email);
  });

  test('prompts and code mails per account per hour are capped (DEVICE_MAILS_PER_HOUR): past it the sign-in still waits, notified: false, and nothing is sent', async () => {
    const d = get();
    const cap = d.limits.noticesPerHour;
    const { email } = await account(d.a.url, 'flooded');
    const laptop = await firstSession(d.a.url, email);
    const watcher = await watcherOn(d.b.wsUrl, laptop.accessToken);
    const held: Challenge[] = [];
    for (let n = 1; n <= cap + 2; n++) {
      const login = await restLogin(d.a.url, email, `flood-${n}`);
      assert.equal(login.status, 403, JSON.stringify(login.body));
      held.push(challenge(login.body.error, n <= cap));
    }
    for (let n = 1; n <= cap; n++) await mailedCode(d, email, `flood-${n}`);

    // Markers sent after every login: an approval (a later live event to the same sockets) and a
    // verification mail (a later mail to the same address). Once each has arrived, so has what came before it.
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId: held[0]!.verificationId }, bearer(laptop.accessToken))).status, 204);
    await watcher.waitForEvent('device.approved', 5_000, (data) => data.verificationId === held[0]!.verificationId);
    assert.equal((await post(d.a.url, '/auth/email/resend', {}, bearer(laptop.accessToken))).status, 202);
    await waitFor('the verification mail sent after the logins', async () =>
      (await d.mails(email)).some((mail) => mail.subject.startsWith('Confirm your email')) ? true : undefined,
    );

    const prompts = watcher.events.filter((e) => e.event === 'device.approval_requested').map((e) => e.data.verificationId);
    assert.deepEqual(
      prompts,
      held.slice(0, cap).map((h) => h.verificationId),
      `${cap} prompts, then none`,
    );
    const codeMails = await codeMailsOf(d, email);
    assert.equal(codeMails.length, cap, `${cap} code mails, then none`);
    for (let n = cap + 1; n <= cap + 2; n++) assert.ok(!codeMails.some((mail) => mail.includes(`device-test/flood-${n}`)));

    // The trail still holds every request, those nobody was told of marked so.
    const trail = await waitFor('the approval requests in the audit trail', async () => {
      const answer = await call(d.apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(laptop.accessToken) });
      const requests = ((answer.body?.events ?? []) as Array<{ type: string; data: Record<string, unknown> }>).filter(
        (e) => e.type === 'device.approval_requested',
      );
      return requests.length === cap + 2 ? requests : undefined;
    });
    assert.equal(trail.filter((e) => e.data.reason === 'notices_capped').length, 2);

    // A sign-in past the cap waits like any other: pending, its completeToken its own.
    const capped = held[cap]!;
    assert.equal((await post(d.a.url, '/auth/devices/complete', capped)).status, 409);
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId: capped.verificationId })).status, 404);
    watcher.close();
  });

  test('approve and deny: only by a session of the account; unknown ids 404; bad requests are clear errors', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'owner');
    await firstSession(d.a.url, email);
    const pending = await restLogin(d.a.url, email, 'other-device');
    const held = challenge(pending.body.error);
    const { verificationId } = held;

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
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId: 'no-such-verification', completeToken: held.completeToken })).status, 404);
    assert.equal(
      (await post(d.a.url, '/auth/devices/verify', { verificationId: 'x'.repeat(129), completeToken: held.completeToken, code: '123456' })).status,
      400,
    );
    const longToken = await post(d.a.url, '/auth/devices/complete', { verificationId, completeToken: 'x'.repeat(129) });
    assert.equal(longToken.status, 400);
    assert.equal(longToken.body.error.details[0].path, 'completeToken');
    assert.equal((await post(d.a.url, '/auth/devices/complete', { verificationId, completeToken: 42 })).status, 400);
    assert.equal((await post(d.a.url, '/auth/devices/complete', held)).status, 409, 'still pending');
  });

  test('leaving deviceId out does not skip the check once the account has signed in from a device; it can be approved, but never becomes known', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'nodevice');
    const laptop = await firstSession(d.a.url, email);
    const watcher = await watcherOn(d.b.wsUrl, laptop.accessToken);

    const bare = await restLogin(d.a.url, email);
    assert.equal(bare.status, 403, JSON.stringify(bare.body));
    const held = challenge(bare.body.error);
    await watcher.waitForEvent('device.approval_requested', 5_000, (data) => data.verificationId === held.verificationId);
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId: held.verificationId }, bearer(laptop.accessToken))).status, 204);
    const complete = await post(d.a.url, '/auth/devices/complete', held);
    assert.equal(complete.status, 200, JSON.stringify(complete.body));
    assertTokenPair(complete.body, email);
    const sessions = await call(d.a.url, 'GET', '/auth/sessions', { headers: bearer(complete.body.accessToken) });
    assert.equal(sessions.body.find((s: any) => s.current).deviceId, null);

    // Approved once, still no device to recognise: the next one asks again, over either transport.
    assert.equal((await restLogin(d.a.url, email)).status, 403, 'a device-less login never becomes known');
    const socket = await LiveSocket.open(d.b.wsUrl, agentOf('none-ws'));
    const overSocket = await socket.request('login', { email, password: PASSWORD });
    assert.equal(overSocket.status, 403);
    const socketHeld = challenge(overSocket.error);
    const code = await mailedCode(d, email, 'none-ws');
    const verified = await socket.request('device_verify', { ...socketHeld, code });
    assert.equal(verified.status, 200, JSON.stringify(verified));
    socket.close();
    watcher.close();
  });

  test('an account that only ever signed in without a deviceId is not checked; with DEVICE_VERIFICATION=off no login is', async () => {
    const d = get();
    const { email } = await account(d.a.url, 'devicefree');
    for (let i = 0; i < 3; i++) assert.equal((await restLogin(d.a.url, email)).status, 200, `device-less login ${i + 1}`);
    const socket = await LiveSocket.open(d.b.wsUrl);
    assert.equal((await socket.request('login', { email, password: PASSWORD })).status, 200);
    socket.close();
    // It has signed in before: a device it names is a new one, and once it is known, device-less logins are checked.
    challenge((await restLogin(d.a.url, email, 'first-named')).body.error);

    const off = await account(d.off.url, 'off');
    assert.equal((await restLogin(d.off.url, off.email, 'laptop')).status, 200);
    assert.equal((await restLogin(d.off.url, off.email, 'phone')).status, 200, 'a new device, the check off');
    assert.equal((await restLogin(d.off.url, off.email)).status, 200, 'no deviceId, the check off');
    const offSocket = await LiveSocket.open(d.off.wsUrl);
    assert.equal((await offSocket.request('login', { email: off.email, password: PASSWORD, deviceId: 'tablet' })).status, 200);
    offSocket.close();
  });

  test("the account's audit trail holds each step, and no log line holds a verificationId, completeToken or code", async () => {
    const d = get();
    const { email } = await account(d.a.url, 'audit');
    const laptop = await firstSession(d.a.url, email);
    const viaApproval = challenge((await restLogin(d.a.url, email, 'phone')).body.error);
    assert.equal((await post(d.b.url, '/auth/devices/approve', { verificationId: viaApproval.verificationId }, bearer(laptop.accessToken))).status, 204);
    assert.equal((await post(d.a.url, '/auth/devices/complete', viaApproval)).status, 200);
    const viaCode = challenge((await restLogin(d.a.url, email, 'tablet')).body.error);
    const code = await mailedCode(d, email, 'tablet');
    assert.equal((await post(d.a.url, '/auth/devices/verify', { ...viaCode, code: otherThan(code) })).status, 401);
    assert.equal((await post(d.a.url, '/auth/devices/verify', { ...viaCode, code })).status, 200);
    const viaDenial = challenge((await restLogin(d.a.url, email, 'kiosk')).body.error);
    assert.equal((await post(d.b.url, '/auth/devices/deny', { verificationId: viaDenial.verificationId }, bearer(laptop.accessToken))).status, 204);

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
      for (const secret of secrets) assert.ok(!text.includes(secret), `audit event ${event.type} holds no verificationId, completeToken or code`);
    }

    // Each code, verificationId and completeToken of this file's tests, looked for in every line every process printed.
    const lines = d.logLines();
    assert.ok(lines.length > 0);
    assert.ok(completeTokens.length >= 10);
    for (const secret of secrets) {
      // A code is six digits: looked for standing alone, not inside a longer number or id.
      const shape = /^\d+$/.test(secret) ? new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`) : undefined;
      const leak = lines.find((line) => (shape ? shape.test(line) : line.includes(secret)));
      assert.equal(leak, undefined, `a log line holds a verificationId, completeToken or code: ${leak}`);
    }
  });
}
