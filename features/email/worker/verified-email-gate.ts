import { AppError } from '@authgate/shared/errors';
import { originOf } from '@authgate/worker/audit';
import type { SignInGate } from '@authgate/worker/commands/sign-in-gates';
import { mailVerification } from '@authgate/worker/commands/verification-mail';

/**
 * REQUIRE_VERIFIED_EMAIL: an account whose owner has not followed a verification link yet does not
 * sign in. Asked after the right password only, so the answer tells a guesser nothing. The refusal
 * mails a fresh link (within the account's hourly allowance of verification mails, silently beyond
 * it): an owner whose first mail was lost, or who cannot sign in to ask for another, gets one this way.
 */
export const verifiedEmailGate: SignInGate = {
  step: 'verified_email',
  async check({ command, user }, ctx) {
    if (!ctx.requireVerifiedEmail || user.emailVerifiedAt) return;
    const allowed = await ctx.mailLimits.takeVerification(user.id).then(
      () => true,
      () => false,
    );
    if (allowed) await mailVerification(ctx, command, user);
    ctx.audit.emit({ action: 'login.failed', ...originOf(command), userId: user.id, reason: 'email_not_verified' });
    throw new AppError(
      'email_not_verified',
      'the email address of this account is not verified: follow the link in the verification email (a new one is sent, a few times an hour at most)',
    );
  },
};
