import { AppError } from '@authgate/shared/errors';
import { originOf } from '@authgate/worker/audit';
import type { Handler } from './drivers.ts';
import { mailToken } from '@authgate/worker/email/token-mail';
import { authOf } from '@authgate/worker/commands/auth-of';

/**
 * POST /auth/email/resend (Bearer): a new verification mail, within the account's hourly allowance
 * (EMAIL_RESEND_PER_HOUR, else 429 with Retry-After). An address already verified gets no mail.
 */
export const emailResend: Handler = async (command, ctx) => {
  const auth = authOf(command);
  const user = await ctx.users.findById(auth.sub);
  if (!user) throw new AppError('invalid_token', 'access token is invalid or expired');
  if (user.emailVerifiedAt) return { status: 202 };
  await ctx.mailLimits.takeVerification(user.id);
  // The owner waits for this one: a lane that refuses it is `overloaded`, to be retried.
  if (await mailToken(ctx, command, user, 'verify_email')) ctx.audit.emit({ action: 'email.verification_sent', ...originOf(command), userId: user.id });
  return { status: 202 };
};
