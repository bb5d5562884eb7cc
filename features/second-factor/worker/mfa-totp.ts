import { AppError } from '@authgate/shared/errors';
import type { Command } from '@authgate/shared/protocol';
import { mfaTotpConfirmBody, mfaTotpDisableBody, mfaTotpSetupBody } from '../contract.ts';
import { originOf } from '@authgate/worker/audit';
import type { Ctx, Handler } from './drivers.ts';
import { mailNotice } from '@authgate/worker/email/token-mail';
import { newRecoveryCodes } from '@authgate/features/second-factor/worker/recovery-codes';
import { answerOfCode, checkSecondFactor } from '@authgate/features/second-factor/worker/second-factor';
import { matchingStep, newTotpSecret, otpauthUrl } from '@authgate/features/second-factor/worker/totp';
import { checkAccountPassword } from '@authgate/worker/commands/account-password';
import { endPendingSignInsOf } from '@authgate/worker/commands/end-pending-sign-ins';
import { authOf } from '@authgate/worker/commands/auth-of';

/** The signed-in user a TOTP command is for: a valid token of a user since deleted is no token. */
async function userOf(command: Command, ctx: Ctx) {
  const user = await ctx.users.findById(authOf(command).sub);
  if (!user) throw new AppError('invalid_token', 'access token is invalid or expired');
  return user;
}

const alreadyOn = () => new AppError('mfa_already_enabled', 'TOTP is already on for this account: disable it first');

/**
 * A new secret, pending until a code from it confirms it. The current password first (on the login
 * limits, account-password.ts): a stolen access token alone must not turn TOTP on and lock the owner
 * out. Already on is answered before any bcrypt. The answer is sealed like every result body.
 */
export const mfaTotpSetup: Handler = async (command, ctx) => {
  const { password } = mfaTotpSetupBody.parse(command.body);
  const user = await userOf(command, ctx);
  if (await ctx.mfa.totp.isEnabled(user.id)) throw alreadyOn();
  await checkAccountPassword(ctx, command, user, password);
  const secret = newTotpSecret();
  if (!(await ctx.mfa.totp.savePending(user.id, ctx.mfa.box.seal(secret, user.id)))) throw alreadyOn();
  return { status: 200, data: { secret, otpauthUrl: otpauthUrl(secret, user.email) } };
};

/**
 * The first code from the app proves the secret arrived: TOTP goes on, with the code's step already
 * used (it cannot log in afterwards), and 10 recovery codes, shown this once and kept only as digests.
 */
export const mfaTotpConfirm: Handler = async (command, ctx) => {
  const { code } = mfaTotpConfirmBody.parse(command.body);
  const user = await userOf(command, ctx);
  const enrolment = await ctx.mfa.totp.find(user.id);
  if (!enrolment) throw new AppError('not_found', 'no TOTP setup to confirm: call POST /auth/mfa/totp/setup first');
  if (enrolment.confirmedAt) throw alreadyOn();
  await ctx.mfa.limiter.admit(user.id, command.meta.ip);
  const step = matchingStep(ctx.mfa.box.open(enrolment.secretSealed, user.id), code, ctx.mfa.now());
  if (step === undefined) {
    ctx.audit.emit({ action: 'mfa.failed', ...originOf(command), userId: user.id, reason: 'confirm' });
    throw new AppError('invalid_code', 'the code is wrong or expired');
  }
  const recovery = newRecoveryCodes();
  if (!(await ctx.mfa.totp.confirm(user.id, step, recovery.digests))) throw alreadyOn();
  await ctx.mfa.limiter
    .succeeded(user.id, command.meta.ip)
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'code limiter not rewarded'));
  ctx.audit.emit({ action: 'mfa.enabled', ...originOf(command), userId: user.id, sessionId: authOf(command).sid });
  // The account's other sockets and its mailbox learn of it; a failure here must not undo what is done.
  await ctx.live
    .publish({ userId: user.id, event: 'mfa.enabled', data: { method: 'totp', at: new Date().toISOString() } })
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'mfa.enabled event not published'));
  await mailNotice(ctx, command, user, { kind: 'mfa_enabled' }).catch((err: unknown) =>
    ctx.log.warn({ err, requestId: command.requestId }, 'mfa enabled notice not queued'),
  );
  return { status: 200, data: { recoveryCodes: recovery.codes } };
};

/**
 * TOTP off takes both factors: the password (bcrypt, on the password lane and the login limits) and a
 * code or recovery code. Sign-ins still waiting for a code (or a device's approval) end with it, and
 * the account is mailed a notice.
 */
export const mfaTotpDisable: Handler = async (command, ctx) => {
  const { password, code } = mfaTotpDisableBody.parse(command.body);
  const user = await userOf(command, ctx);
  if (!(await ctx.mfa.totp.isEnabled(user.id))) throw new AppError('not_found', 'TOTP is not on for this account');
  await checkAccountPassword(ctx, command, user, password);
  await checkSecondFactor(ctx, command, user.id, answerOfCode(code));
  await ctx.mfa.totp.remove(user.id);
  // Told before the pending sign-ins end: if that fails, TOTP is off all the same and its trail says so.
  ctx.audit.emit({ action: 'mfa.disabled', ...originOf(command), userId: user.id, sessionId: authOf(command).sid });
  await mailNotice(ctx, command, user, { kind: 'mfa_disabled', by: 'owner' }).catch((err: unknown) =>
    ctx.log.warn({ err, requestId: command.requestId }, 'mfa disabled notice not queued'),
  );
  await endPendingSignInsOf(ctx, command, user.id);
  return { status: 204 };
};
