import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthgateError, type AuthgateClient, type LoginOutcome } from '@authgate/client';
import { Secret, TOTP } from 'otpauth';
import type { ParsedMail } from 'mailparser';
import { isResetMail, isVerifyMail, type Mailbox } from '../helpers/mailbox.ts';
import { PASSWORD, nextEvent, uniqueEmail, wiredClient } from './support.ts';

export interface SdkDeployment {
  /** The public origin (nginx in the cluster, the process in the all-in-one). */
  url: string;
  /** Where the deployment's mails arrive (the new-device codes, the verification and reset links). */
  mailbox: Mailbox;
}

/** The six-digit code of a new-device mail (its own line of the text part). */
function deviceCodeOf(text: string | undefined): string {
  const code = /^\s+(\d{6})\s*$/m.exec(text ?? '')?.[1];
  return code ?? assert.fail(`no code in the mail: ${text}`);
}

/** Waits until at least `ms` are left in the current 30 s TOTP step, so test and worker agree on it. */
async function roomInStep(ms = 8_000): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < ms) await new Promise((r) => setTimeout(r, left + 100));
}

function expectOutcome<K extends LoginOutcome['kind']>(outcome: LoginOutcome, kind: K): Extract<LoginOutcome, { kind: K }> {
  assert.equal(outcome.kind, kind, JSON.stringify(outcome));
  return outcome as Extract<LoginOutcome, { kind: K }>;
}

export const VARIANTS = [
  { name: 'WebSocket', options: { transport: 'ws' as const } },
  { name: 'REST', options: { transport: 'rest' as const } },
  { name: 'REST deferred to the WebSocket (X-Connection-Id)', options: { transport: 'rest' as const, deferred: true } },
];

/** Polls `check` until it holds (the audit trail is written in batches), bounded. */
async function eventually<T>(what: string, get: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (check(value)) return value;
    if (Date.now() > until) assert.fail(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, status: number): Promise<AuthgateError> {
  const err = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AuthgateError, `an AuthgateError, not ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.status, status);
  return err;
}

/** The SDK's scenarios against a running gateway, once per transport. */
export function sdkScenarios(deployment: () => SdkDeployment): void {
  for (const variant of VARIANTS) {
    const make = () => wiredClient({ baseUrl: deployment().url, ...variant.options });
    const signIn = async (client: AuthgateClient, email: string) => {
      const outcome = await client.login(email, PASSWORD);
      assert.equal(outcome.kind, 'signed_in');
      return outcome.kind === 'signed_in' ? outcome.session : assert.fail('not signed in');
    };

    test(`${variant.name}: register, sign in, verify, me, sessions, the event trail, logout`, async () => {
      const { client, wire } = make();
      try {
        const email = uniqueEmail('sdk');
        const { userId } = await client.register(email, PASSWORD);
        const began = nextEvent(client, 'signed_in');
        const session = await signIn(client, email);
        assert.equal((await began).session.sessionId, session.sessionId);
        assert.equal(session.user.id, userId);
        assert.equal(client.current?.sessionId, session.sessionId);

        const verified = await client.verify();
        assert.deepEqual([verified.sub, verified.sid], [userId, session.sessionId]);
        assert.equal((await client.me()).email, email);
        const sessions = await client.sessions();
        assert.equal(sessions.length, 1);
        assert.equal(sessions[0]?.current, true);
        assert.equal(sessions[0]?.deviceId, client.deviceId);
        const trail = await eventually(
          'register and login.succeeded in the trail',
          () => client.events({ limit: 10 }),
          (page) => ['register', 'login.succeeded'].every((type) => page.events.some((e) => e.type === type)),
        );
        assert.ok(trail.events.every((e) => !JSON.stringify(e).includes(PASSWORD)));

        // Each transport takes its own road on the wire.
        const loginOnWire = wire.http.filter((r) => r.path === '/auth/login');
        if (variant.options.transport === 'ws') {
          assert.equal(loginOnWire.length, 0);
          assert.equal(wire.frames.filter((f) => f.type === 'login').length, 1);
        } else {
          assert.deepEqual(
            loginOnWire.map((r) => r.status),
            [variant.options.deferred ? 202 : 200],
          );
        }

        const ended = nextEvent(client, 'signed_out');
        await client.logout();
        assert.equal((await ended).reason, 'logout');
        assert.equal(client.current, null);
        const after = await fetch(`${deployment().url}/auth/verify`, { headers: { authorization: `Bearer ${session.accessToken}` } });
        assert.equal(after.status, 401);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: failures are AuthgateErrors with the contract's codes`, async () => {
      const { client } = make();
      try {
        const email = uniqueEmail('sdk-errors');
        await client.register(email, PASSWORD);
        await rejectsWith(client.register(email, PASSWORD), 'email_taken', 409);
        await rejectsWith(client.register(uniqueEmail('weak'), 'password'), 'weak_password', 400);
        const invalid = await rejectsWith(client.register('not-an-email', PASSWORD), 'invalid_request', 400);
        assert.ok(invalid.details?.some((d) => d.path === 'email'));
        await rejectsWith(client.login(email, 'wrong password here'), 'invalid_credentials', 401);
        await rejectsWith(client.sessions(), 'signed_out', 0);
        assert.equal(client.current, null);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: concurrent refreshes share one request, and the session survives (no grace)`, async () => {
      const { client, wire } = make();
      try {
        const email = uniqueEmail('sdk-refresh');
        await client.register(email, PASSWORD);
        const first = await signIn(client, email);
        const [a, b, c] = await Promise.all([client.refresh(), client.refresh(), client.refresh()]);
        assert.equal(wire.count('refresh'), 1, 'one refresh request on the wire');
        assert.equal(a.refreshToken, b.refreshToken);
        assert.equal(b.refreshToken, c.refreshToken);
        assert.notEqual(a.refreshToken, first.refreshToken);
        // REFRESH_GRACE_MS is 0: a second spend of the first token would have revoked the session.
        assert.equal((await client.verify()).sid, first.sessionId);
        const next = await client.refresh();
        assert.equal(wire.count('refresh'), 2);
        assert.notEqual(next.refreshToken, a.refreshToken);
        assert.equal((await client.verify()).sid, first.sessionId);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: second factor: enrol, then login answers mfa_required and verifyMfa signs in`, async () => {
      const { client } = make();
      try {
        const email = uniqueEmail('sdk-mfa');
        await client.register(email, PASSWORD);
        await signIn(client, email);
        const setup = await client.setupTotp(PASSWORD);
        assert.match(setup.secret, /^[A-Z2-7]{16,}$/);
        assert.ok(setup.otpauthUrl.startsWith('otpauth://totp/'), setup.otpauthUrl);
        const totp = new TOTP({ secret: Secret.fromBase32(setup.secret), algorithm: 'SHA1', digits: 6, period: 30 });
        await roomInStep();
        const { recoveryCodes } = await client.confirmTotp(totp.generate());
        assert.equal(recoveryCodes.length, 10);
        await rejectsWith(client.setupTotp(PASSWORD), 'mfa_already_enabled', 409);
        assert.equal((await client.me()).mfaEnabled, true);
        await client.logout();

        const challenge = expectOutcome(await client.login(email, PASSWORD), 'mfa_required');
        assert.equal(typeof challenge.mfaToken, 'string');
        assert.ok(challenge.mfaToken.length >= 32, 'the mfaToken of the error object');
        assert.deepEqual([...challenge.methods].sort(), ['recovery', 'totp']);
        assert.equal(client.current, null, 'no session before the second factor');
        await rejectsWith(client.verifyMfa(challenge.mfaToken, { code: '000000' }), 'invalid_code', 401);
        // The confirm spent this step's code; the next step's is within the allowed drift.
        const signedIn = expectOutcome(await client.verifyMfa(challenge.mfaToken, { code: totp.generate({ timestamp: Date.now() + 30_000 }) }), 'signed_in');
        assert.equal((await client.verify()).sid, signedIn.session.sessionId);
        await client.logout();

        // A recovery code instead of the app's code.
        const again = expectOutcome(await client.login(email, PASSWORD), 'mfa_required');
        const byRecovery = expectOutcome(await client.verifyMfa(again.mfaToken, { recoveryCode: recoveryCodes[0] as string }), 'signed_in');
        assert.equal((await client.sessions()).find((s) => s.current)?.id, byRecovery.session.sessionId);
      } finally {
        client.close();
      }
    });

    test(`${variant.name}: a new device waits for device_verification_required; another client approves or denies it`, async () => {
      const { client: laptop } = make();
      const { client: phone, wire: phoneWire } = make();
      const { client: tablet } = make();
      try {
        const email = uniqueEmail('sdk-device');
        await laptop.register(email, PASSWORD);
        await signIn(laptop, email);
        await laptop.connect();

        const asked = nextEvent(laptop, 'device.approval_requested');
        const waiting = expectOutcome(await phone.login(email, PASSWORD), 'device_verification_required');
        assert.equal(typeof waiting.verificationId, 'string');
        assert.equal(typeof waiting.completeToken, 'string', 'the challenge holds the completeToken');
        assert.equal(waiting.notified, true);
        assert.equal(waiting.expiresIn, 600);
        assert.equal(phone.current, null);
        assert.equal((await asked).verificationId, waiting.verificationId, 'the signed-in client is asked, live');
        await rejectsWith(phone.completeDevice(waiting.verificationId), 'device_verification_pending', 409);

        // Over a socket the waiting connection hears device.approved: no polling needed (one poll a minute).
        // Plain REST has no waiting connection: the client asks every 300 ms.
        const live = variant.options.transport === 'ws' || variant.options.deferred === true;
        const approvedHeard = live ? nextEvent(phone, 'device.approved') : undefined;
        const began = nextEvent(phone, 'signed_in');
        const approved = phone.waitForDeviceApproval(waiting.verificationId, { pollMs: live ? 60_000 : 300 });
        const start = Date.now();
        await laptop.approveDevice(waiting.verificationId);
        // The approving client has the verificationId, not the completeToken: it cannot finish in the phone's place.
        await rejectsWith(laptop.completeDevice(waiting.verificationId), 'not_found', 404);
        const session = await approved;
        if (approvedHeard) assert.equal((await approvedHeard).verificationId, waiting.verificationId);
        assert.ok(Date.now() - start < 10_000);
        assert.equal((await began).session.sessionId, session.sessionId);
        assert.equal((await phone.verify()).sid, session.sessionId);
        assert.equal((await phone.sessions()).length, 2);
        // Over the WebSocket, device_complete bound the connection to the new session: no authenticate.
        if (variant.options.transport === 'ws') assert.equal(phoneWire.count('authenticate'), 0);
        // The device is known now: its next sign-in goes straight through.
        await phone.logout();
        await signIn(phone, email);

        // Denied: the waiting client is told device_denied and never holds a session.
        const askedAgain = nextEvent(laptop, 'device.approval_requested');
        const denied = expectOutcome(await tablet.login(email, PASSWORD), 'device_verification_required');
        assert.equal((await askedAgain).verificationId, denied.verificationId);
        const refused = rejectsWith(tablet.waitForDeviceApproval(denied.verificationId, { pollMs: live ? 60_000 : 300 }), 'device_denied', 403);
        await laptop.denyDevice(denied.verificationId);
        await refused;
        await rejectsWith(tablet.completeDevice(denied.verificationId), 'device_denied', 403);
        assert.equal(tablet.current, null);
      } finally {
        laptop.close();
        phone.close();
        tablet.close();
      }
    });

    test(`${variant.name}: a new device signs in with the emailed code (verifyDevice)`, async () => {
      const { client: laptop } = make();
      const { client: phone, wire } = make();
      try {
        const email = uniqueEmail('sdk-devcode');
        await laptop.register(email, PASSWORD);
        await signIn(laptop, email);
        const waiting = expectOutcome(await phone.login(email, PASSWORD), 'device_verification_required');
        const mail = await deployment().mailbox.take(email, (m) => /sign-in code/i.test(m.subject ?? ''));
        const code = deviceCodeOf(mail.text);
        const wrong = code === '000000' ? '111111' : '000000';
        await rejectsWith(phone.verifyDevice(waiting.verificationId, wrong), 'invalid_code', 401);
        // The whole outcome works as well as its verificationId: the client sends the completeToken either way.
        const session = await phone.verifyDevice(waiting, code);
        assert.equal(phone.current?.sessionId, session.sessionId);
        assert.equal((await phone.verify()).sid, session.sessionId);
        await phone.connect();
        const sessions = await phone.sessions();
        assert.equal(sessions.find((s) => s.current)?.id, session.sessionId);
        assert.equal(sessions.length, 2);
        // Over the WebSocket, device_verify bound the connection to the new session: no authenticate was needed.
        if (variant.options.transport === 'ws') assert.equal(wire.count('authenticate'), 0);
      } finally {
        laptop.close();
        phone.close();
      }
    });

    test(`${variant.name}: a new sign-in is announced live, and revoking a session signs it out live`, async () => {
      const { client: laptop } = make();
      const { client: phone } = make();
      try {
        const email = uniqueEmail('sdk-live');
        await laptop.register(email, PASSWORD);
        await signIn(laptop, email);
        await laptop.connect();
        const announced = nextEvent(laptop, 'security.new_sign_in');
        // The phone is a new device: the laptop approves it (as the page does when its person says yes).
        const asked = nextEvent(laptop, 'device.approval_requested');
        const waiting = expectOutcome(await phone.login(email, PASSWORD), 'device_verification_required');
        const approved = phone.waitForDeviceApproval(waiting.verificationId, { pollMs: 300 });
        await laptop.approveDevice((await asked).verificationId);
        const phoneSession = await approved;
        assert.equal((await announced).sessionId, phoneSession.sessionId);

        await phone.connect();
        const kicked = nextEvent(phone, 'signed_out');
        const revoked = nextEvent(phone, 'session.revoked');
        await laptop.revokeSession(phoneSession.sessionId);
        assert.equal((await revoked).sessionId, phoneSession.sessionId);
        assert.equal((await kicked).reason, 'revoked');
        assert.equal(phone.current, null);
        assert.equal((await laptop.sessions()).length, 1);
      } finally {
        laptop.close();
        phone.close();
      }
    });

    test(`${variant.name}: email and password: verifyEmail, resendVerification, changePassword, forgotPassword, resetPassword`, async () => {
      const { client } = make();
      const mailbox = deployment().mailbox;
      const newPassword = 'a brand new staple battery';
      try {
        const email = uniqueEmail('sdk-email');
        await client.register(email, PASSWORD);
        const first = linkTokenOf(await mailbox.take(email, isVerifyMail), 'verify-email');
        await signIn(client, email);
        assert.equal((await client.me()).emailVerified, false);
        await client.resendVerification();
        const second = linkTokenOf(await mailbox.take(email, isVerifyMail), 'verify-email');
        await client.verifyEmail(second);
        assert.equal((await client.me()).emailVerified, true);
        await rejectsWith(client.verifyEmail(first), 'invalid_token', 401);

        await rejectsWith(client.changePassword('not the password at all', newPassword), 'invalid_credentials', 401);
        await client.changePassword(PASSWORD, newPassword);
        assert.ok((await client.verify()).sid, 'the session that changed it stays');

        await client.forgotPassword(email);
        const reset = linkTokenOf(await mailbox.take(email, isResetMail), 'reset-password');
        await rejectsWith(client.resetPassword(reset, 'password1'), 'weak_password', 400);
        await client.connect();
        const signedOut = nextEvent(client, 'signed_out');
        await client.resetPassword(reset, PASSWORD);
        await signedOut;
        assert.equal(client.current, null, 'every session ended, this one too');
        await rejectsWith(client.login(email, newPassword), 'invalid_credentials', 401);
        await signIn(client, email);
        await rejectsWith(client.resetPassword(reset, 'yet another staple battery'), 'invalid_token', 401);
      } finally {
        client.close();
      }
    });
  }
}

/** The token of a mail's `/<page>#token=` link. */
function linkTokenOf(mail: ParsedMail, page: 'verify-email' | 'reset-password'): string {
  const token = new RegExp(`/${page}#token=([A-Za-z0-9_-]{43,})`).exec(mail.text ?? '')?.[1];
  return token ?? assert.fail(`no ${page} link in "${mail.subject}"`);
}
