import type { Drivers } from '../feature.ts';
import { randomUUID } from 'node:crypto';
import type { EmailTokenPurpose } from '@authgate/features/email/stores/email-tokens';
import { securityNoticeJob, type SecurityNotice } from '@authgate/shared/mail/notice';
import type { Command } from '@authgate/shared/protocol';

type Recipient = { id: string; email: string };

/**
 * Issues a `purpose` token for the user and queues the mail that carries it (with the token's expiry,
 * after which the mailer sets the mail aside instead of sending a dead link). Once per command: the
 * token is keyed by the command's requestId, so a redelivered command (its worker died after queueing
 * the mail, before the acknowledgement) finds its own token and queues nothing; true when a mail was
 * queued by this call. A mail the lane refuses withdraws its token, and the error is thrown.
 */
export async function mailToken(ctx: Drivers<'emailTokens' | 'log' | 'mail'>, command: Command, user: Recipient, purpose: EmailTokenPurpose): Promise<boolean> {
  const issued = await ctx.emailTokens.issue({ purpose, userId: user.id, requestId: command.requestId });
  if (!issued) {
    ctx.log.info({ requestId: command.requestId, userId: user.id, purpose }, 'token mail already queued by an earlier delivery of this command');
    return false;
  }
  try {
    await ctx.mail.publish({
      v: 1,
      id: randomUUID(),
      kind: purpose,
      to: user.email,
      createdAt: new Date().toISOString(),
      expiresAt: issued.expiresAt.toISOString(),
      data: { token: issued.token },
    });
  } catch (err) {
    await ctx.emailTokens.withdraw(command.requestId).catch(() => {});
    throw err;
  }
  return true;
}

/** A security notice (password changed, second factor on or off) with where and when it happened; it carries no secret. */
export async function mailNotice(ctx: Drivers<'emailTokens' | 'log' | 'mail'>, command: Command, user: Recipient, notice: SecurityNotice): Promise<void> {
  await ctx.mail.publish(securityNoticeJob(user.email, notice, command.meta));
}
