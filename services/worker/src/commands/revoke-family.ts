import type { Drivers } from '../feature.ts';
import { endSession } from '@authgate/features/sessions/end-session';
import type { AuditOrigin } from '../audit.ts';
import { mailSecurityNotice } from '../email/security-notice.ts';

/**
 * A replaced refresh token came back (to refresh or to log out): someone holds a copy. The store has
 * already dropped the whole family; every edge now refuses its access tokens too, the account's live
 * sockets are told (and that session's closed), the reuse is an audit event, and the owner is mailed.
 */
export async function revokeFamily(
  ctx: Drivers<'audit' | 'live' | 'sessions' | 'revocations' | 'directory' | 'users' | 'log' | 'mail' | 'mailLimits'>,
  sid: string,
  userId: string,
  audit: AuditOrigin,
): Promise<void> {
  await ctx.live.publish({ userId, event: 'security.refresh_reuse', data: { sessionId: sid, ip: audit.ip, at: new Date().toISOString() } });
  await endSession(ctx, userId, sid, 'refresh_reuse', { refreshEnded: true });
  ctx.audit.emit({ ...audit, action: 'refresh.reuse_detected', userId, sessionId: sid });
  await mailSecurityNotice(ctx, 'refresh_reuse', { id: userId }, audit);
}
