import { AppError } from '@authgate/shared/errors';
import { checkNewPassword } from '@authgate/shared/password-policy';
import { passwordChangeBody } from '../contract.ts';
import { originOf } from '@authgate/worker/audit';
import type { Handler } from './drivers.ts';
import { endSessionsOf } from '@authgate/worker/email/end-sessions';
import { mailNotice } from '@authgate/worker/email/token-mail';
import { checkAccountPassword } from '@authgate/worker/commands/account-password';
import { endPendingSignInsOf } from '@authgate/worker/commands/end-pending-sign-ins';
import { authOf } from '@authgate/worker/commands/auth-of';

/**
 * POST /auth/password/change (Bearer): the current password proves the person (a stolen access token
 * alone changes nothing; its check counts on the login limits), the new one meets the registration
 * policy. Every other session ends, and every sign-in still waiting for a second factor or a device's
 * approval; the account's remaining sockets hear `password.changed`, and a notice is mailed.
 */
export const passwordChange: Handler = async (command, ctx) => {
  const auth = authOf(command);
  const { currentPassword, newPassword } = passwordChangeBody.parse(command.body);
  const user = await ctx.users.findById(auth.sub);
  if (!user) throw new AppError('invalid_token', 'access token is invalid or expired');
  await checkAccountPassword(ctx, command, user, currentPassword);
  checkNewPassword(newPassword, user.email);
  await ctx.stuffing.refuseBreached(newPassword);
  await ctx.users.updatePasswordHash(user.id, await ctx.hasher.hash(newPassword));
  const ended = await endSessionsOf(ctx, command, user.id, 'password_changed', auth.sid);
  await endPendingSignInsOf(ctx, command, user.id);
  const at = new Date().toISOString();
  await ctx.live
    .publish({ userId: user.id, event: 'password.changed', data: { sessionId: auth.sid, at } })
    .catch((err: unknown) => ctx.log.warn({ err, requestId: command.requestId }, 'password.changed event not published'));
  ctx.audit.emit({ action: 'password.changed', ...originOf(command), userId: user.id, sessionId: auth.sid });
  ctx.log.info({ requestId: command.requestId, userId: user.id, sessionsEnded: ended }, 'password changed');
  await mailNotice(ctx, command, user, { kind: 'password_changed' }).catch((err: unknown) =>
    ctx.log.warn({ err, requestId: command.requestId }, 'password changed notice not queued'),
  );
  return { status: 204 };
};
