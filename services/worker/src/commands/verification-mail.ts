import type { Drivers } from '../feature.ts';
import type { Command } from '@authgate/shared/protocol';
import { originOf } from '../audit.ts';
import { mailToken } from '../email/token-mail.ts';

/**
 * The verification mail of a registration (or of a sign-in refused for want of one). The account
 * exists whatever happens here, so a mail that cannot be queued is logged, not failed: the owner asks
 * for another (POST /auth/email/resend, or a sign-in while REQUIRE_VERIFIED_EMAIL is on).
 */
export async function mailVerification(
  ctx: Drivers<'audit' | 'log' | 'emailTokens' | 'mail'>,
  command: Command,
  user: { id: string; email: string },
): Promise<void> {
  try {
    if (await mailToken(ctx, command, user, 'verify_email')) ctx.audit.emit({ action: 'email.verification_sent', ...originOf(command), userId: user.id });
  } catch (err) {
    ctx.log.warn({ err, requestId: command.requestId, userId: user.id }, 'verification mail not queued; the owner can ask for another');
  }
}
