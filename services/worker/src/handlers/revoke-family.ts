import type { WorkerContext } from '../context.ts';

/**
 * A replaced refresh token came back (to refresh or to log out): someone holds a copy. The store has
 * already dropped the whole family; every edge now refuses its access tokens too, and the reuse is an
 * audit event.
 */
export async function revokeFamily(ctx: WorkerContext, sid: string, userId: string, audit: { requestId: string; ip: string }): Promise<void> {
  await ctx.revocations.revoke(sid);
  ctx.audit.emit({ ...audit, action: 'refresh.reuse_detected', userId, sessionId: sid });
}
