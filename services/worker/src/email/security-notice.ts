import type { Drivers } from '../feature.ts';
import { randomUUID } from 'node:crypto';
import type { AuditOrigin } from '../audit.ts';
import type { CappedNotice } from './mail-limits.ts';

/**
 * Mails the account a notice of something its owner may not have done: a sign-in from a device the
 * account never signed in from (`new_sign_in`), a refresh token used twice (`refresh_reuse`), with
 * where and when it happened and the link to the account's sessions. Whoever knows the password or
 * holds a stolen token can cause these, so each kind is capped per account and hour
 * (SECURITY_NOTICE_MAILS_PER_HOUR, checked before anything else): past it nothing is mailed, while
 * the audit event and the live event still tell. A notice is never worth a failed sign-in or
 * refresh: a failure here is a log line. No secret goes in the mail.
 */
export async function mailSecurityNotice(
  ctx: Drivers<'log' | 'mail' | 'mailLimits' | 'users'>,
  kind: CappedNotice,
  account: { id: string; email?: string | undefined },
  origin: AuditOrigin,
): Promise<void> {
  const ids = { requestId: origin.requestId, userId: account.id, kind };
  try {
    if (!(await ctx.mailLimits.takeNotice(kind, account.id))) {
      ctx.log.info(ids, 'security notice not mailed: the account had its hourly allowance');
      return;
    }
    const email = account.email ?? (await ctx.users.findById(account.id))?.email;
    if (!email) return;
    const at = new Date().toISOString();
    await ctx.mail.publish({
      v: 1,
      id: randomUUID(),
      kind,
      to: email,
      createdAt: at,
      data: { ...(origin.ip ? { ip: origin.ip } : {}), ...(origin.userAgent ? { userAgent: origin.userAgent } : {}), at },
    });
  } catch (err) {
    ctx.log.warn({ ...ids, err }, 'security notice not queued');
  }
}
