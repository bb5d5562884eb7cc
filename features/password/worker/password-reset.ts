import { AppError } from '@authgate/shared/errors';
import { checkNewPassword } from '@authgate/shared/password-policy';
import { passwordResetBody } from '../contract.ts';
import { originOf } from '@authgate/worker/audit';
import type { Handler } from './drivers.ts';
import { endSessionsOf } from '@authgate/worker/email/end-sessions';
import { mailNotice } from '@authgate/worker/email/token-mail';
import { endPendingSignInsOf } from '@authgate/worker/commands/end-pending-sign-ins';

const invalid = () => new AppError('invalid_token', 'the reset link is invalid, expired or already used');

/**
 * POST /auth/password/reset: the token of a reset mail, once, within 30 minutes, sets a new password
 * (the registration policy, with the account's own address among what is refused). Every session of
 * the account ends: whoever knew the old password is out, live.
 */
export const passwordReset: Handler = async (command, ctx) => {
  const { token, password } = passwordResetBody.parse(command.body);
  // A token that would not be accepted costs no bcrypt work.
  const holder = await ctx.emailTokens.peek(token, 'password_reset');
  const user = holder === undefined ? undefined : await ctx.users.findById(holder);
  if (!user) throw invalid();
  checkNewPassword(password, user.email);
  await ctx.stuffing.refuseBreached(password);
  const passwordHash = await ctx.hasher.hash(password);
  // The token is spent in the transaction that sets the password: both, or (a concurrent use won) neither.
  const userId = await ctx.emailTokens.use(token, 'password_reset', async (trx, owner) => {
    await ctx.users.updatePasswordHash(owner, passwordHash, trx);
    await ctx.emailTokens.retireAll(trx, owner, 'password_reset');
    // The link came to the mailbox: its owner is proven as a verification link would prove them.
    await ctx.users.markEmailVerified(owner, trx);
  });
  if (userId !== user.id) throw invalid();
  const ended = await endSessionsOf(ctx, command, user.id, 'password_reset');
  await endPendingSignInsOf(ctx, command, user.id);
  ctx.audit.emit({ action: 'password.reset', ...originOf(command), userId: user.id });
  ctx.log.info({ requestId: command.requestId, userId: user.id, sessionsEnded: ended }, 'password reset');
  await mailNotice(ctx, command, user, { kind: 'password_changed' }).catch((err: unknown) =>
    ctx.log.warn({ err, requestId: command.requestId }, 'password changed notice not queued'),
  );
  return { status: 204 };
};
