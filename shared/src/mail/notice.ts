import { randomUUID } from 'node:crypto';
import type { MailJob } from './job.ts';

/** What a security notice tells the account: its password changed, or its second factor went on or off (and by whom). */
export type SecurityNotice = { kind: 'password_changed' | 'mfa_enabled' } | { kind: 'mfa_disabled'; by: 'owner' | 'administrator' };

/**
 * The mail job of a security notice to `to`, with where and when it happened (the request's address
 * and user agent, when it came from the account's own client). It carries no secret: a notice tells
 * what happened, it never lets anyone act.
 */
export function securityNoticeJob(to: string, notice: SecurityNotice, origin: { ip?: string | undefined; userAgent?: string | undefined } = {}): MailJob {
  const at = new Date().toISOString();
  const data = { ...(origin.ip ? { ip: origin.ip } : {}), ...(origin.userAgent ? { userAgent: origin.userAgent } : {}), at };
  const common = { v: 1 as const, id: randomUUID(), to, createdAt: at };
  return notice.kind === 'mfa_disabled' ? { ...common, kind: notice.kind, data: { ...data, by: notice.by } } : { ...common, kind: notice.kind, data };
}
