import { passwordForgotBody } from '../contract.ts';
import { originOf } from '@authgate/worker/audit';
import type { Handler } from './drivers.ts';
import { mailToken } from '@authgate/worker/email/token-mail';

/**
 * POST /auth/password/forgot. The client has had its 202 from the edge already (ACCEPTED_AT_EDGE), so
 * nothing here shows in the answer or its time: an unknown address, a disabled account or an
 * account past its hourly reset mails (PASSWORD_RESET_MAILS_PER_HOUR) simply get no mail.
 */
export const passwordForgot: Handler = async (command, ctx) => {
  const { email } = passwordForgotBody.parse(command.body);
  const user = await ctx.users.findByEmail(email);
  if (!user || user.disabledAt) return { status: 202 };
  if (!(await ctx.mailLimits.takeReset(user.id))) {
    ctx.log.info({ requestId: command.requestId, userId: user.id }, 'password reset mail not sent: the hourly allowance of the account is spent');
    return { status: 202 };
  }
  if (await mailToken(ctx, command, user, 'password_reset')) ctx.audit.emit({ action: 'password.reset_requested', ...originOf(command), userId: user.id });
  return { status: 202 };
};
