import type { AuthgateClient, DeviceChallenge, LoginOutcome, Session } from '@authgate/client';
import { field, form, h, text } from './dom.ts';
import { describe } from './messages.ts';

/** The second step of a sign-in: a code from the authenticator app, or one of the recovery codes. */
export function mfaScreen(client: AuthgateClient, mfaToken: string, next: (outcome: LoginOutcome) => void): HTMLElement {
  const withCode = form(
    'Two-factor authentication',
    [
      field(
        'Code from your authenticator app',
        { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6', required: true },
        'Six digits; a new one every 30 seconds.',
      ),
    ],
    'Verify',
    async (data) => next(await client.verifyMfa(mfaToken, { code: text(data, 'code').trim() })),
    describe,
  );
  withCode.id = 'mfa-code';
  const withRecovery = form(
    'Lost your authenticator?',
    [field('Recovery code', { name: 'recoveryCode', autocomplete: 'off', required: true })],
    'Use recovery code',
    async (data) => next(await client.verifyMfa(mfaToken, { recoveryCode: text(data, 'recoveryCode').trim() })),
    describe,
  );
  withRecovery.id = 'mfa-recovery';
  return h('section', { class: 'screen', id: 'mfa-step' }, withCode, h('details', {}, h('summary', {}, 'Use a recovery code instead'), withRecovery));
}

/**
 * A sign-in from a device the account never used: it waits for a session of the account to approve
 * it (live), or takes the code that was emailed. Only this page holds the challenge's completeToken,
 * so only it can finish the sign-in, whoever approves. `notified: false`: the account was sent its
 * hourly share of prompts and codes already, so nobody was asked this time; the page says so.
 */
export function deviceScreen(
  client: AuthgateClient,
  challenge: DeviceChallenge & { expiresIn: number; notified: boolean },
  done: (session: Session) => void,
  failed: (message: string) => void,
): HTMLElement {
  const { verificationId, expiresIn, notified } = challenge;
  const status = h(
    'p',
    { class: 'waiting', role: 'status', 'aria-live': 'polite' },
    notified
      ? 'Waiting for approval from one of your signed-in devices…'
      : 'No approval request or code was sent this time: too many were sent for this account in the last hour. Try again later.',
  );
  const abort = new AbortController();
  client.waitForDeviceApproval(challenge, { signal: abort.signal }).then(done, (err: unknown) => {
    if (!abort.signal.aborted) failed(describe(err));
  });
  const byCode = form(
    'Or enter the emailed code',
    [field('Code from the email', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true })],
    'Verify this device',
    async (data) => {
      const session = await client.verifyDevice(challenge, text(data, 'code').trim());
      abort.abort();
      done(session);
    },
    describe,
  );
  byCode.id = 'device-code';
  const minutes = Math.max(1, Math.round(expiresIn / 60));
  return h(
    'section',
    { class: 'screen', id: 'device-wait', 'aria-labelledby': 'device-wait-title', 'data-verification': verificationId },
    h('h2', { id: 'device-wait-title' }, 'Approve this new device'),
    h(
      'p',
      {},
      `You are signing in from a device this account has not used before. Approve it from a device where you are signed in, within ${minutes} minutes.`,
    ),
    status,
    byCode,
  );
}
