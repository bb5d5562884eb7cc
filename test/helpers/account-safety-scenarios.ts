import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { ParsedMail } from 'mailparser';
import { codeAt } from '@authgate/features/second-factor/worker/totp';
import { call, post } from './http.ts';
import { LiveSocket } from './live-socket.ts';
import { isResetMail, linkToken, type Mailbox } from './mailbox.ts';
import { newEmail, PASSWORD } from './users.ts';

/**
 * A deployment whose edge believes X-Forwarded-For from the test (TRUSTED_PROXIES=127.0.0.1), so that
 * each scenario signs in from addresses of its own, with DEVICE_VERIFICATION on, an administrator, and
 * its mails at hand.
 */
export interface SafetyDeployment {
  url: string;
  wsUrl: string;
  /** Where /auth/me, /auth/events and /admin/* are answered (the account API, or the all-in-one's edge). */
  apiUrl: string;
  mailbox: Mailbox;
  publicUrl: string;
  adminId: string;
  /** An access token of the administrator (a `sub` in ADMIN_USER_IDS). */
  adminToken(): Promise<string>;
  /** LOGIN_FREE_FAILURES and LOGIN_ACCOUNT_MAX_FAILURES of the deployment (its LOGIN_BACKOFF_BASE_S outlasts a test). */
  limits: { freeFailures: number; accountMaxFailures: number };
}

const STEP_MS = 30_000;
const NEW_PASSWORD = 'a brand new staple battery';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A client address of its own (random, in 198.18.0.0/15, the range RFC 2544 sets aside for tests), sent as X-Forwarded-For. */
function newAddress(): string {
  const [a, b] = randomBytes(2);
  return `198.${18 + (a! % 2)}.${b}.${1 + (randomBytes(1)[0]! % 250)}`;
}
const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra });

/** The worker and the test agree on the TOTP step: a flow starts with at least 8 s of it left. */
async function freshStep(): Promise<void> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 8_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

interface Account {
  email: string;
  userId: string;
  ip: string;
  /** The first sign-in, from `laptop`: the session the account acts from, and its known device. */
  access: string;
  refresh: string;
}

async function account(d: SafetyDeployment, label: string): Promise<Account> {
  const email = newEmail(label);
  const ip = newAddress();
  const registered = await post(d.url, '/auth/register', { email, password: PASSWORD }, from(ip));
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const login = await post(d.url, '/auth/login', { email, password: PASSWORD, deviceId: 'laptop' }, from(ip));
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { email, userId: registered.body.userId, ip, access: login.body.accessToken, refresh: login.body.refreshToken };
}

/** TOTP on for the account: setup with its password, confirmed with the code of the step before now. */
async function enrol(d: SafetyDeployment, a: Account) {
  const setup = await call(d.url, 'POST', '/auth/mfa/totp/setup', { headers: from(a.ip, bearer(a.access)), body: { password: PASSWORD } });
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  const secret = setup.body.secret as string;
  const confirm = await call(d.url, 'POST', '/auth/mfa/totp/confirm', {
    headers: from(a.ip, bearer(a.access)),
    body: { code: codeAt(secret, Date.now() - STEP_MS) },
  });
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return { secret, recoveryCodes: confirm.body.recoveryCodes as string[] };
}

/** The account's audit trail once it holds `count(type) >= n` for each of `wanted` (the writer batches). */
async function trail(d: SafetyDeployment, access: string, wanted: Record<string, number>) {
  const until = Date.now() + 15_000;
  for (;;) {
    const answer = await call(d.apiUrl, 'GET', '/auth/events?limit=100', { headers: bearer(access) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const events = answer.body.events as Array<{ type: string; data: Record<string, unknown> }>;
    const enough = Object.entries(wanted).every(([type, n]) => events.filter((e) => e.type === type).length >= n);
    if (enough) return events;
    if (Date.now() > until) assert.fail(`the trail lacks some of ${JSON.stringify(wanted)}: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const subjectIs = (pattern: RegExp) => (mail: ParsedMail) => pattern.test(mail.subject ?? '');
const MFA_ON = /two-factor authentication was turned on/i;
const MFA_OFF = /^Two-factor authentication was turned off/i;
const MFA_OFF_BY_ADMIN = /administrator turned off two-factor authentication/i;

function assertRateLimited(answer: { status: number; headers?: Headers; body?: any; error?: any }, what: string) {
  assert.equal(answer.status, 429, `${what}: ${JSON.stringify(answer.body ?? answer.error)}`);
  const error = answer.body?.error ?? answer.error;
  assert.equal(error.code, 'rate_limited', what);
  assert.ok(error.retryAfter >= 1, `${what}: retryAfter ${error.retryAfter}`);
  if (answer.headers) assert.equal(answer.headers.get('retry-after'), String(error.retryAfter), `${what}: Retry-After`);
}

/** The scenarios of the second factor's setup and way back, the limits on password checks, and the end of pending sign-ins. */
export function accountSafetyScenarios(get: () => SafetyDeployment): void {
  describe('TOTP setup takes the password; turning it on or off is mailed; an administrator is the way back', () => {
    test('setup without the password is 400, with a wrong one 401 invalid_credentials (audited), with the right one 200; over WebSocket alike', async () => {
      const d = get();
      const a = await account(d, 'setup-password');
      const setup = (body: unknown) => call(d.url, 'POST', '/auth/mfa/totp/setup', { headers: from(a.ip, bearer(a.access)), body });
      const none = await setup({});
      assert.equal(none.status, 400, JSON.stringify(none.body));
      assert.equal(none.body.error.code, 'invalid_request');
      assert.equal(none.body.error.details[0].path, 'password');
      const wrong = await setup({ password: 'not the password' });
      assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
      assert.equal(wrong.body.error.code, 'invalid_credentials');
      assert.equal(wrong.body.secret, undefined);
      const right = await setup({ password: PASSWORD });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      assert.match(right.body.secret, /^[A-Z2-7]{16,}$/);

      const socket = await LiveSocket.open(d.wsUrl, from(a.ip));
      try {
        assert.equal((await socket.request('authenticate', { accessToken: a.access })).status, 200);
        const wsNone = await socket.request('mfa_totp_setup');
        assert.equal(wsNone.status, 400, JSON.stringify(wsNone));
        const wsWrong = await socket.request('mfa_totp_setup', { password: 'still not it' });
        assert.equal(wsWrong.status, 401, JSON.stringify(wsWrong));
        assert.equal(wsWrong.error.code, 'invalid_credentials');
        const wsRight = await socket.request('mfa_totp_setup', { password: PASSWORD });
        assert.equal(wsRight.status, 200, JSON.stringify(wsRight));
        assert.notEqual(wsRight.data.secret, right.body.secret, 'a second setup replaces the pending secret');
      } finally {
        socket.close();
      }
      const me = await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(a.access) });
      assert.equal(me.body.mfaEnabled, false, 'pending is not on');
      const events = await trail(d, a.access, { 'password.check_failed': 2 });
      const failed = events.filter((e) => e.type === 'password.check_failed');
      assert.deepEqual(
        failed.map((e) => e.data.reason),
        ['mfa_totp_setup', 'mfa_totp_setup'],
      );
      assert.ok(!JSON.stringify(failed).includes('not the password') && !JSON.stringify(failed).includes('still not it'), 'no password in an event');
    });

    test('turning TOTP on, then off with both factors, mails the account a notice each time, holding no secret', async () => {
      const d = get();
      await freshStep();
      const a = await account(d, 'mfa-notices');
      const { secret, recoveryCodes } = await enrol(d, a);
      const on = await d.mailbox.take(a.email, subjectIs(MFA_ON));
      assert.match(on.text ?? '', /authenticator app/);
      assert.match(on.text ?? '', new RegExp(`IP address: ${a.ip.replaceAll('.', '\\.')}`), 'where it came from');
      const disable = await call(d.url, 'POST', '/auth/mfa/totp/disable', {
        headers: from(a.ip, bearer(a.access)),
        body: { password: PASSWORD, code: recoveryCodes[0] },
      });
      assert.equal(disable.status, 204, JSON.stringify(disable.body));
      const off = await d.mailbox.take(a.email, subjectIs(MFA_OFF));
      assert.match(off.text ?? '', /password alone signs you in/);
      for (const mail of [on, off]) {
        const text = `${mail.text}${mail.html}`;
        assert.ok(!text.includes(secret) && !recoveryCodes.some((code) => text.includes(code)), 'no secret or recovery code in a notice');
      }
    });

    test('POST /admin/users/:id/mfa/disable: 403 for others, 400/404 for a bad or unknown id, 204; the owner signs in with the password, is mailed, and the trail names the administrator', async () => {
      const d = get();
      await freshStep();
      const a = await account(d, 'admin-way-back');
      await enrol(d, a);
      await d.mailbox.take(a.email, subjectIs(MFA_ON));
      const path = `/admin/users/${a.userId}/mfa/disable`;
      const asOwner = await call(d.apiUrl, 'POST', path, { headers: bearer(a.access) });
      assert.equal(asOwner.status, 403, JSON.stringify(asOwner.body));
      assert.equal(asOwner.body.error.code, 'forbidden');
      const anonymous = await call(d.apiUrl, 'POST', path);
      assert.equal(anonymous.status, 401);
      const admin = bearer(await d.adminToken());
      assert.equal((await call(d.apiUrl, 'POST', '/admin/users/not-a-user-id/mfa/disable', { headers: admin })).body.error.code, 'invalid_request');
      const unknown = await call(d.apiUrl, 'POST', `/admin/users/${randomUUID()}/mfa/disable`, { headers: admin });
      assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
      assert.equal(unknown.body.error.code, 'not_found');
      assert.equal((await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(a.access) })).body.mfaEnabled, true, 'nothing changed yet');

      const done = await call(d.apiUrl, 'POST', path, { headers: admin });
      assert.equal(done.status, 204, JSON.stringify(done.body));
      assert.equal((await call(d.apiUrl, 'GET', '/auth/me', { headers: bearer(a.access) })).body.mfaEnabled, false);
      const login = await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'laptop' }, from(a.ip));
      assert.equal(login.status, 200, `the password alone signs in again: ${JSON.stringify(login.body)}`);
      const notice = await d.mailbox.take(a.email, subjectIs(MFA_OFF_BY_ADMIN));
      assert.ok(!(notice.text ?? '').includes('IP address:'), "the administrator's address is not in the owner's mail");
      assert.equal((await call(d.apiUrl, 'POST', path, { headers: admin })).status, 204, 'already off: 204 again');

      const until = Date.now() + 15_000;
      let events: Array<{ type: string; userId: string; data: Record<string, unknown> }> = [];
      for (;;) {
        const answer = await call(d.apiUrl, 'GET', `/admin/events?type=mfa.disabled&userId=${a.userId}`, { headers: admin });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        events = answer.body.events;
        if (events.length > 0 || Date.now() > until) break;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.equal(events.length, 1, `one mfa.disabled event, none for the second call: ${JSON.stringify(events)}`);
      assert.equal(events[0]!.data.actor, 'administrator');
      assert.equal(events[0]!.data.by, d.adminId);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(d.mailbox.to(a.email).filter(subjectIs(MFA_OFF_BY_ADMIN)).length, 1, 'one notice: the second call changed nothing');
    });
  });

  describe('password checks outside login count against the login limits', () => {
    test('60 wrong currentPassword from one address: 401 up to LOGIN_FREE_FAILURES, then 429 with Retry-After; the right password waits too, on /auth/login as well', async () => {
      const d = get();
      const a = await account(d, 'change-60');
      const statuses: number[] = [];
      let lastLimited: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 60; i++) {
        const answer = await call(d.url, 'POST', '/auth/password/change', {
          headers: from(a.ip, bearer(a.access)),
          body: { currentPassword: `wrong guess ${i}`, newPassword: NEW_PASSWORD },
        });
        statuses.push(answer.status);
        if (answer.status === 429) lastLimited = answer;
        else assert.equal(answer.body.error.code, 'invalid_credentials', `attempt ${i + 1}`);
      }
      const free = d.limits.freeFailures;
      assert.deepEqual(statuses, [...Array(free).fill(401), ...Array(60 - free).fill(429)], statuses.join(' '));
      assertRateLimited(lastLimited!, 'the 60th');
      assertRateLimited(
        await call(d.url, 'POST', '/auth/password/change', {
          headers: from(a.ip, bearer(a.access)),
          body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        }),
        'the right current password from that address',
      );
      assertRateLimited(await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'laptop' }, from(a.ip)), 'a login from that address');
      // Another address of the owner is another (account, address) pair, and the account budget has room.
      const elsewhere = await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'laptop' }, from(newAddress()));
      assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
      const events = await trail(d, elsewhere.body.accessToken, { 'password.check_failed': free });
      const failed = events.filter((e) => e.type === 'password.check_failed');
      assert.equal(failed.length, free, 'one event per refused check; a 429 is no check');
      assert.ok(failed.every((e) => e.data.reason === 'password_change'));
      assert.ok(!JSON.stringify(events).includes('wrong guess'), 'no guess in an event');
    });

    test('across addresses, wrong passwords on setup, change and disable (REST and WebSocket) spend the account budget of /auth/login; past it 429, while a trusted device still reaches its password check', async () => {
      const d = get();
      await freshStep();
      const a = await account(d, 'account-budget');
      const budget = d.limits.accountMaxFailures;
      let spent = 0;
      let ip = newAddress();
      const nextAddress = () => {
        // Under the (account, address) limit: the account-wide budget is what stops these.
        if (spent % (d.limits.freeFailures - 1) === 0) ip = newAddress();
        return ip;
      };
      const rest = async (path: string, body: Record<string, unknown>) => {
        const answer = await call(d.url, 'POST', path, { headers: from(nextAddress(), bearer(a.access)), body });
        spent++;
        return { status: answer.status, code: answer.body?.error?.code, answer };
      };
      const ws = async (type: string, body: Record<string, unknown>) => {
        const socket = await LiveSocket.open(d.wsUrl, from(nextAddress()));
        try {
          assert.equal((await socket.request('authenticate', { accessToken: a.access })).status, 200);
          const answer = await socket.request(type, body);
          spent++;
          return { status: answer.status as number, code: answer.error?.code as string | undefined, answer };
        } finally {
          socket.close();
        }
      };
      const wrong = (n: number) => `wrong guess ${n}`;
      for (let i = 0; i < 2; i++) {
        assert.equal((await rest('/auth/mfa/totp/setup', { password: wrong(spent) })).code, 'invalid_credentials');
        assert.equal((await ws('mfa_totp_setup', { password: wrong(spent) })).code, 'invalid_credentials');
      }
      const { recoveryCodes } = await enrol(d, a);
      while (spent < budget) {
        const turn = spent % 4;
        const outcome =
          turn === 0
            ? await rest('/auth/password/change', { currentPassword: wrong(spent), newPassword: NEW_PASSWORD })
            : turn === 1
              ? await rest('/auth/mfa/totp/disable', { password: wrong(spent), code: recoveryCodes[0] })
              : turn === 2
                ? await ws('password_change', { currentPassword: wrong(spent), newPassword: NEW_PASSWORD })
                : await ws('mfa_totp_disable', { password: wrong(spent), code: recoveryCodes[0] });
        assert.equal(outcome.code, 'invalid_credentials', `wrong password ${spent}: ${JSON.stringify(outcome.answer.body ?? outcome.answer)}`);
      }
      // The budget is spent: the right password is refused before any check, on every route and transport.
      const fresh = newAddress();
      assertRateLimited(
        await call(d.url, 'POST', '/auth/password/change', {
          headers: from(fresh, bearer(a.access)),
          body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        }),
        'change with the right password',
      );
      const socket = await LiveSocket.open(d.wsUrl, from(fresh));
      try {
        assert.equal((await socket.request('authenticate', { accessToken: a.access })).status, 200);
        assertRateLimited(await socket.request('mfa_totp_disable', { password: PASSWORD, code: recoveryCodes[0] }), 'disable over WebSocket');
      } finally {
        socket.close();
      }
      assertRateLimited(await post(d.url, '/auth/login', { email: a.email, password: PASSWORD }, from(fresh)), 'a login naming no device');
      assertRateLimited(
        await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'unknown-pc' }, from(fresh)),
        'a login from a new device',
      );
      // The owner's trusted device has a budget of its own: its login reaches the password (then the second factor).
      const trusted = await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'laptop' }, from(fresh));
      assert.equal(trusted.status, 403, JSON.stringify(trusted.body));
      assert.equal(trusted.body.error.code, 'mfa_required');

      const events = await trail(d, a.access, { 'password.check_failed': budget });
      const reasons = new Set(events.filter((e) => e.type === 'password.check_failed').map((e) => e.data.reason));
      assert.deepEqual([...reasons].sort(), ['mfa_totp_disable', 'mfa_totp_setup', 'password_change']);
      assert.equal(events.filter((e) => e.type === 'mfa.disabled').length, 0, 'TOTP stayed on');
    });
  });

  describe('a pending mfaToken or device verification ends with the credentials that began it', () => {
    /**
     * TOTP on, the laptop known; then two sign-ins stopped halfway: from `phone` past its code, waiting
     * for the new device's approval (approved already by the laptop, ready to complete), and from
     * `tablet` waiting for its code (an mfaToken).
     */
    async function halfwaySignIns(d: SafetyDeployment, label: string) {
      await freshStep();
      const a = await account(d, label);
      const factor = await enrol(d, a);
      const phone = await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'phone' }, from(a.ip));
      assert.equal(phone.body.error?.code, 'mfa_required', JSON.stringify(phone.body));
      const verified = await post(d.url, '/auth/mfa/verify', { mfaToken: phone.body.error.mfaToken, code: codeAt(factor.secret, Date.now()) }, from(a.ip));
      assert.equal(verified.status, 403, JSON.stringify(verified.body));
      assert.equal(verified.body.error.code, 'device_verification_required');
      const { verificationId, completeToken } = verified.body.error as { verificationId: string; completeToken?: string };
      const approved = await post(d.url, '/auth/devices/approve', { verificationId }, from(a.ip, bearer(a.access)));
      assert.equal(approved.status, 204, JSON.stringify(approved.body));
      const tablet = await post(d.url, '/auth/login', { email: a.email, password: PASSWORD, deviceId: 'tablet' }, from(a.ip));
      assert.equal(tablet.body.error?.code, 'mfa_required', JSON.stringify(tablet.body));
      return {
        ...a,
        ...factor,
        mfaToken: tablet.body.error.mfaToken as string,
        device: { verificationId, ...(completeToken ? { completeToken } : {}) },
      };
    }

    /** After the trigger: the old mfaToken with a right code is `invalid_token`, the approved verification `not_found`; over REST or a socket. */
    async function assertEnded(d: SafetyDeployment, h: Awaited<ReturnType<typeof halfwaySignIns>>, over: 'rest' | 'ws') {
      const code = codeAt(h.secret, Date.now() + STEP_MS);
      if (over === 'rest') {
        const mfa = await post(d.url, '/auth/mfa/verify', { mfaToken: h.mfaToken, code }, from(h.ip));
        assert.equal(mfa.status, 401, `the old mfaToken: ${JSON.stringify(mfa.body)}`);
        assert.equal(mfa.body.error.code, 'invalid_token');
        const device = await post(d.url, '/auth/devices/complete', h.device, from(h.ip));
        assert.equal(device.status, 404, `the old device verification: ${JSON.stringify(device.body)}`);
        assert.equal(device.body.error.code, 'not_found');
        return;
      }
      const socket = await LiveSocket.open(d.wsUrl, from(h.ip));
      try {
        const mfa = await socket.request('mfa_verify', { mfaToken: h.mfaToken, code });
        assert.equal(mfa.status, 401, `the old mfaToken: ${JSON.stringify(mfa)}`);
        assert.equal(mfa.error.code, 'invalid_token');
        const device = await socket.request('device_complete', h.device);
        assert.equal(device.status, 404, `the old device verification: ${JSON.stringify(device)}`);
        assert.equal(device.error.code, 'not_found');
      } finally {
        socket.close();
      }
    }

    test('a password reset ends them', async () => {
      const d = get();
      const h = await halfwaySignIns(d, 'pending-reset');
      assert.equal((await post(d.url, '/auth/password/forgot', { email: h.email }, from(h.ip))).status, 202);
      const token = linkToken(await d.mailbox.take(h.email, isResetMail), d.publicUrl, 'reset-password');
      const reset = await post(d.url, '/auth/password/reset', { token, password: NEW_PASSWORD }, from(h.ip));
      assert.equal(reset.status, 204, JSON.stringify(reset.body));
      await assertEnded(d, h, 'rest');
    });

    test('a password change (over WebSocket) ends them', async () => {
      const d = get();
      const h = await halfwaySignIns(d, 'pending-change');
      const socket = await LiveSocket.open(d.wsUrl, from(h.ip));
      try {
        assert.equal((await socket.request('authenticate', { accessToken: h.access })).status, 200);
        const changed = await socket.request('password_change', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        assert.equal(changed.status, 204, JSON.stringify(changed));
      } finally {
        socket.close();
      }
      await assertEnded(d, h, 'ws');
      // A sign-in begun now, with the new password, goes through.
      const login = await post(d.url, '/auth/login', { email: h.email, password: NEW_PASSWORD, deviceId: 'laptop' }, from(h.ip));
      assert.equal(login.body.error?.code, 'mfa_required', JSON.stringify(login.body));
    });

    test('the owner turning the second factor off ends them', async () => {
      const d = get();
      const h = await halfwaySignIns(d, 'pending-mfa-off');
      const off = await call(d.url, 'POST', '/auth/mfa/totp/disable', {
        headers: from(h.ip, bearer(h.access)),
        body: { password: PASSWORD, code: h.recoveryCodes[0] },
      });
      assert.equal(off.status, 204, JSON.stringify(off.body));
      await assertEnded(d, h, 'rest');
    });

    test('an administrator turning the second factor off ends them', async () => {
      const d = get();
      const h = await halfwaySignIns(d, 'pending-admin-mfa-off');
      const off = await call(d.apiUrl, 'POST', `/admin/users/${h.userId}/mfa/disable`, { headers: bearer(await d.adminToken()) });
      assert.equal(off.status, 204, JSON.stringify(off.body));
      await assertEnded(d, h, 'ws');
    });

    test('an administrator disabling the account ends them', async () => {
      const d = get();
      const h = await halfwaySignIns(d, 'pending-disabled');
      const disabled = await call(d.apiUrl, 'POST', `/admin/users/${h.userId}/disable`, { headers: bearer(await d.adminToken()) });
      assert.equal(disabled.status, 204, JSON.stringify(disabled.body));
      await assertEnded(d, h, 'rest');
    });
  });
}
